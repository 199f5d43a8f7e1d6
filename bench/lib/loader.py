"""Bulk loading: COPY payloads built with numpy, sent through psycopg2's copy_expert.

Binary COPY (the default) sends each vector in pgvector's binary format (uint16 dim, uint16 unused,
float4 components, network order); the whole payload is built before the clock starts, so the
measured rate is the server's (parse + heap insert + index maintenance + WAL), not Python's.
Text COPY ('id<TAB>[x,y,...]') is the fallback when the binary input function is not available.
"""

import io
import time

import numpy as np

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"


def copy_payload(ids, vectors, fmt):
    """Return the COPY FROM STDIN payload (bytes) for rows (ids[i], vectors[i])."""
    vectors = np.asarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if fmt == "binary":
        row = np.dtype([("nfields", ">i2"), ("len_id", ">i4"), ("id", ">i8"), ("len_vec", ">i4"),
                        ("dim", ">u2"), ("unused", ">u2"), ("vec", ">f4", (dim,))])
        rows = np.zeros(n, dtype=row)
        rows["nfields"] = 2
        rows["len_id"] = 8
        rows["id"] = ids
        rows["len_vec"] = 4 + 4 * dim
        rows["dim"] = dim
        rows["vec"] = vectors
        return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER
    line = "%d\t[" + ",".join(["%.9g"] * dim) + "]\n"
    out = io.StringIO()
    for i, v in zip(np.asarray(ids).tolist(), vectors.tolist()):
        out.write(line % ((i,) + tuple(v)))
    return out.getvalue().encode()


def copy_rows(conn, table, ids, vectors, fmt, batch=None):
    """COPY rows into table (one COPY per batch, autocommit); return elapsed seconds of the COPYs."""
    n = len(ids)
    batch = batch or n
    payloads = [copy_payload(ids[lo:lo + batch], vectors[lo:lo + batch], fmt) for lo in range(0, n, batch)]
    sql = "COPY %s (id, embedding) FROM STDIN%s" % (table, " (FORMAT binary)" if fmt == "binary" else "")
    elapsed = 0.0
    with conn.cursor() as cur:
        for p in payloads:
            t0 = time.perf_counter()
            cur.copy_expert(sql, io.BytesIO(p))
            elapsed += time.perf_counter() - t0
    return elapsed


def pick_copy_format(conn, table, dim, wanted):
    """Return the COPY format to use: `wanted`, or 'text' when binary input of vector fails (with reason)."""
    if wanted != "binary":
        return wanted, None
    probe = np.arange(dim, dtype=np.float32).reshape(1, dim) / dim
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE jade_copy_probe (id bigint, embedding vector(%d))" % dim)
            cur.copy_expert("COPY jade_copy_probe FROM STDIN (FORMAT binary)",
                            io.BytesIO(copy_payload([1], probe, "binary")))
            cur.execute("SELECT embedding::text FROM jade_copy_probe")
            back = cur.fetchone()[0]
            cur.execute("DROP TABLE jade_copy_probe")
        got = np.array([float(x) for x in back.strip("[]").split(",")], dtype=np.float32)
        if not np.array_equal(got, probe[0]):
            return "text", "binary COPY of vector round-tripped to different values"
        return "binary", None
    except Exception as e:  # noqa: BLE001 - any failure means binary input is not usable
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS jade_copy_probe")
        return "text", "binary COPY of vector failed: %s" % str(e).strip().splitlines()[0]
