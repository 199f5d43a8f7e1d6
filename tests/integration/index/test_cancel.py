"""Cancellation of index scans that run long without returning a row (statement_timeout, cancel).

The executor checks for interrupts once per row it gets, but PostgreSQL's index_getnext_slot()
loops without a check over TIDs whose heap tuples are invisible, and the AM has loops of its own
that return nothing for a while (HNSW batches of already-returned ids, the exhaustive pass, IVF
probing and re-ranking ahead of a filter). So every amgettuple call and those loops check for
interrupts. Here: an index whose entries are all dead but not yet vacuumed (a DELETE without
VACUUM) makes a kNN query walk every entry inside one index_getnext_slot() call; with a short
statement_timeout it must stop with 57014 long before the walk would end.
"""

import time

import numpy as np
import psycopg2
import pytest

from . import helpers as h

N, DIM = 400000, 2
TIMEOUT_MS = 10
# Rows per family: enough dead entries that the walk lasts many timeouts (an HNSW walk grows ef
# batch by batch over the whole graph, then checks every node: 27.7 s for 200,000 4-d rows here).
ROWS = {"Flat": N, "IVF16,Flat": N, "HNSW8": 50000}


@pytest.fixture(scope="module")
def dead_table(pg, conn):
    h.create_table(conn, "cx_items", DIM)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE cx_items SET (autovacuum_enabled = off)")
    h.copy_rows(conn, "cx_items", np.arange(1, N + 1), h.random_vectors(N, DIM, seed=95))
    with conn.cursor() as cur:
        cur.execute("ANALYZE cx_items")
    yield "cx_items"
    with conn.cursor() as cur:
        cur.execute("DROP TABLE cx_items")


def _table_of(conn, base, rows):
    if rows == N:
        return base
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS cx_part")
        cur.execute("CREATE TABLE cx_part WITH (autovacuum_enabled = off) AS SELECT * FROM %s WHERE id <= %d"
                    % (base, rows))
        cur.execute("ANALYZE cx_part")
    return "cx_part"


@pytest.mark.parametrize("factory", list(ROWS))
def test_statement_timeout_stops_a_walk_over_dead_entries(conn, dead_table, factory):
    table = _table_of(conn, dead_table, ROWS[factory])
    with conn.cursor() as cur:
        cur.execute("CREATE INDEX cx_idx ON %s USING faiss (embedding) WITH (factory = '%s')" % (table, factory))
        cur.execute("BEGIN")
        cur.execute("DELETE FROM %s WHERE id > 1" % table)  # every entry but one is dead to this query
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL jadevector.nprobe = 16")
        q = h.vec_text(np.full(DIM, 2.0, dtype=np.float32))  # far from row 1: it comes last
        sql = "SELECT id FROM %s ORDER BY embedding <-> '%s' LIMIT 1" % (table, q)
        full = None
        for _ in range(2):  # the second walk is the one to compare with (caches warm)
            t0 = time.time()
            cur.execute(sql)
            full = time.time() - t0
            assert cur.fetchall() == [(1,)]
        cur.execute("SET LOCAL statement_timeout = %d" % TIMEOUT_MS)
        t0 = time.time()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            cur.execute(sql)
        stopped = time.time() - t0
        cur.execute("ROLLBACK")
        cur.execute("DROP INDEX cx_idx")
    print("%s: full walk %.0f ms, canceled after %.0f ms" % (factory, full * 1000, stopped * 1000))
    # Canceled well before the walk would have ended (it takes far longer than the timeout).
    assert full > 5 * TIMEOUT_MS / 1000.0, "the walk is too short to test cancellation: %.3f s" % full
    assert stopped < full / 2, "canceled after %.3f s, the whole walk takes %.3f s" % (stopped, full)
