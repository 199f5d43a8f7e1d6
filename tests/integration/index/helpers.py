"""Shared helpers of the index access method integration tests (tests/integration/index/).

Data is generated with fixed seeds so a failure reproduces; ground truth is computed exactly in
numpy (float64) and never taken from the server alone; data is loaded with COPY in the vector
text format '[x,y,...]' (float32 values printed with 9 significant digits, which round-trips a
float32 exactly, so the server stores exactly the vectors numpy scores).
"""

import io
import os
import sys
import time

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from lib.pg_instance import PgInstance, as_postgres, wait_until  # noqa: E402,F401  (re-exported for the tests)

BUILD_DIR = os.environ.get("JADE_BUILD_DIR", os.path.join(REPO, "build"))

# Operator of each opclass, as used in ORDER BY.
OPERATORS = {"l2": "<->", "ip": "<#>", "cosine": "<=>", "l1": "<+>"}
OPCLASSES = {"l2": "vector_l2_ops", "ip": "vector_ip_ops", "cosine": "vector_cosine_ops", "l1": "vector_l1_ops"}

# Settings for test servers: durable enough for the crash test when asked, fast otherwise.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                 "max_wal_size": "'1GB'", "shared_buffers": "128MB", "maintenance_work_mem": "'256MB'",
                 "jit": "off"}


def have_build():
    return os.path.exists(os.path.join(BUILD_DIR, "pgroot/usr/lib/postgresql/15/bin/postgres"))


def start_server(name, settings=None, fast=True):
    """Start a fresh server with jadevector created in database postgres; caller must destroy() it."""
    merged = dict(FAST_SETTINGS) if fast else {}
    merged.update(settings or {})
    pg = PgInstance(name, settings=merged, build_dir=BUILD_DIR)
    try:
        pg.init().start()
        conn = pg.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        conn.close()
    except Exception:
        pg.destroy()
        raise
    return pg


# -- data ---------------------------------------------------------------------------------------
def random_vectors(n, dim, seed):
    """n uniform random float32 vectors in [0, 1)^dim (the issue's '10K random 128-d vectors')."""
    rng = np.random.default_rng(seed)
    return rng.random((n, dim), dtype=np.float32)


def clustered_vectors(n, dim, seed, clusters=50, spread=0.15):
    """n float32 vectors drawn around `clusters` uniform random centres (for filter tests)."""
    rng = np.random.default_rng(seed)
    centres = rng.random((clusters, dim), dtype=np.float32)
    labels = rng.integers(0, clusters, n)
    x = centres[labels] + rng.normal(0.0, spread, (n, dim)).astype(np.float32)
    return x.astype(np.float32)


def vec_text(v):
    """The vector text format of one float32 vector, exact (9 significant digits)."""
    return "[" + ",".join("%.9g" % float(x) for x in v) + "]"


def copy_rows(conn, table, ids, vectors, extra_cols=None, extra_values=None):
    """COPY (id, embedding[, extra...]) rows into table in the text format; returns seconds taken."""
    buf = io.StringIO()
    for i, (rid, v) in enumerate(zip(ids, vectors)):
        fields = [str(int(rid)), vec_text(v)]
        if extra_values is not None:
            fields.extend(str(x) for x in extra_values[i])
        buf.write("\t".join(fields))
        buf.write("\n")
    buf.seek(0)
    cols = ["id", "embedding"] + list(extra_cols or [])
    t0 = time.time()
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(cols)), buf)
    return time.time() - t0


def create_table(conn, table, dim, extra_ddl=""):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS %s" % table)
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, embedding vector(%d)%s)"
                    % (table, dim, (", " + extra_ddl) if extra_ddl else ""))


# -- exact search --------------------------------------------------------------------------------
def distances(base, q, metric):
    """Exact operator distances (as the SQL operators define them) from q to every row, float64."""
    b = base.astype(np.float64)
    q = np.asarray(q, dtype=np.float64)
    if metric == "l2":
        return np.sqrt(((b - q) ** 2).sum(axis=1))
    if metric == "ip":
        return -(b @ q)
    if metric == "cosine":
        return 1.0 - (b @ q) / (np.linalg.norm(b, axis=1) * np.linalg.norm(q))
    if metric == "l1":
        return np.abs(b - q).sum(axis=1)
    raise ValueError(metric)


def exact_knn(base, ids, queries, k, metric, mask=None):
    """Exact top-k ids (list of lists) and their distances for each query; mask filters rows."""
    ids = np.asarray(ids)
    out_ids, out_d = [], []
    for q in queries:
        d = distances(base, q, metric)
        if mask is not None:
            d = np.where(mask, d, np.inf)
        order = np.argsort(d, kind="stable")[:k]
        order = order[np.isfinite(d[order])]
        out_ids.append([int(x) for x in ids[order]])
        out_d.append(d[order])
    return out_ids, out_d


def recall(found, truth):
    """Mean fraction of each truth list found (recall@k with k = len(truth[i]))."""
    total = sum(len(t) for t in truth)
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth))
    return hits / total if total else 1.0


# -- queries -------------------------------------------------------------------------------------
def knn_sql(table, metric, k, where=""):
    """The kNN query with two %s placeholders for the query vector (a '%' in where is escaped)."""
    where = where.replace("%", "%%")
    return "SELECT id, embedding %s %%s::vector AS d FROM %s %s ORDER BY embedding %s %%s::vector LIMIT %d" % (
        OPERATORS[metric], table, ("WHERE " + where) if where else "", OPERATORS[metric], k)


def knn(cur, table, q, metric, k, where=""):
    """Run one kNN query; returns (ids, distances)."""
    t = vec_text(q)
    cur.execute(knn_sql(table, metric, k, where), (t, t))
    rows = cur.fetchall()
    return [int(r[0]) for r in rows], [float(r[1]) for r in rows]


def explain(cur, sql, params=()):
    cur.execute("EXPLAIN (COSTS OFF) " + sql, params)
    return "\n".join(r[0] for r in cur.fetchall())


def assert_index_scan(cur, table, index, metric, q, k=10, where=""):
    """EXPLAIN the kNN query and require an index scan through `index`."""
    t = vec_text(q)
    plan = explain(cur, knn_sql(table, metric, k, where), (t, t))
    assert ("Index Scan using %s" % index) in plan, plan
    return plan


def server_start_time(cur):
    cur.execute("SELECT pg_postmaster_start_time()")
    return cur.fetchone()[0]


def sqlstate_of(cur, sql, params=None):
    """Run sql expecting an error; return its SQLSTATE (None when it succeeded)."""
    import psycopg2
    try:
        cur.execute(sql, params)
    except psycopg2.Error as e:
        if not cur.connection.autocommit:
            cur.connection.rollback()
        return e.pgcode
    return None


# -- families for the smaller lifecycle tests (a few thousand rows, 32-d) ------------------------
# name -> (USING clause, search settings wide enough that the scan is (close to) exhaustive,
#          whether the family then returns exact results)
SMALL_FAMILIES = {
    "flat": ("faiss (embedding vector_l2_ops) WITH (factory = 'Flat')", {}, True),
    "ivf_flat": ("faiss (embedding vector_l2_ops) WITH (factory = 'IVF16,Flat')", {"jadevector.nprobe": 16}, True),
    "ivf_sq8": ("faiss (embedding vector_l2_ops) WITH (factory = 'IVF16,SQ8')", {"jadevector.nprobe": 16}, False),
    "ivf_pq": ("faiss (embedding vector_l2_ops) WITH (factory = 'IVF16,PQ8')",
               {"jadevector.nprobe": 16, "jadevector.rerank_factor": 16}, False),
    "hnsw": ("faiss (embedding vector_l2_ops) WITH (factory = 'HNSW8')", {"jadevector.ef_search": 400}, False),
    "hnsw_sq8": ("faiss (embedding vector_l2_ops) WITH (factory = 'HNSW8,SQ8')", {"jadevector.ef_search": 400},
                 False),
    "pg_hnsw": ("hnsw (embedding vector_l2_ops) WITH (m = 8, ef_construction = 32)", {"hnsw.ef_search": 400},
                False),
    "pg_ivfflat": ("ivfflat (embedding vector_l2_ops) WITH (lists = 16)", {"ivfflat.probes": 16}, True),
}


def apply_settings(cur, settings):
    cur.execute("RESET ALL")
    for k, v in settings.items():
        cur.execute("SET %s = %s" % (k, v))


def check_knn(cur, table, live, q, k, exact_family, metric="l2", min_recall=0.8, where="", mask_fn=None):
    """One kNN query through the index, checked against exact search over `live` (id -> vector).

    Every returned id must be live, distances must be ordered and equal to the exact distance of
    that row's vector; exact families must return exactly the exact top-k, others at least
    min_recall of it. Returns (returned ids, exact ids).
    """
    ids, d = knn(cur, table, q, metric, k, where)
    live_ids = np.fromiter(live.keys(), dtype=np.int64)
    base = np.stack([live[i] for i in live_ids]) if len(live_ids) else np.zeros((0, len(q)), np.float32)
    mask = None if mask_fn is None else np.array([mask_fn(int(i)) for i in live_ids], dtype=bool)
    truth, truth_d = exact_knn(base, live_ids, [q], k, metric, mask)
    truth, truth_d = truth[0], truth_d[0]
    for i in ids:
        assert i in live, "returned id %d is not a live row (deleted or never inserted)" % i
    assert all(d[j] <= d[j + 1] + 1e-6 for j in range(len(d) - 1)), "not in distance order: %s" % d
    if ids:
        exact_d = distances(np.stack([live[i] for i in ids]), q, metric)
        assert np.allclose(d, exact_d, rtol=1e-4, atol=1e-4), (d, exact_d)
    assert len(ids) == len(truth), "returned %d rows, exact search has %d" % (len(ids), len(truth))
    if exact_family:
        # Ties aside, the same set: compare distances rather than ids.
        assert np.allclose(d, truth_d, rtol=1e-4, atol=1e-4), "ids %s d %s, exact %s d %s" % (ids, d, truth, truth_d)
    else:
        r = recall([ids], [truth])
        assert r >= min_recall, "recall %.2f: ids %s exact %s" % (r, ids, truth)
    return ids, truth


def exact_match(cur, table, v, metric="l2"):
    """Top-1 through the index for a stored vector: (id, distance) or None."""
    ids, d = knn(cur, table, v, metric, 1)
    return (ids[0], d[0]) if ids else None


def crash(pg):
    """SIGKILL the postmaster AND every one of its children at once, like a power cut or the OOM
    killer taking the whole server.

    PgInstance.kill9() kills only the postmaster; orphaned backends then run their current
    statement to completion (a merge or an INSERT finishes and even commits) and exit only when
    they next wait for the client, so it never interrupts work in flight. Here the children are
    killed in the same instant, mid-statement.
    """
    import signal
    import subprocess
    pid = pg.postmaster_pid()
    r = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    children = [int(x) for x in r.stdout.split()]
    for p in [pid] + children:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.time() + 30
    for p in [pid] + children:
        while time.time() < deadline:
            try:
                os.kill(p, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
    # Zombies of our own children do not exist (the postmaster is not our child); the pid file
    # stays, as after a real crash, and pg_ctl start recovers.
    pg.running = False
