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
from lib.pg_instance import PgInstance, wait_until  # noqa: E402,F401  (re-exported for the tests)

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
