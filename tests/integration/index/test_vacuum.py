"""DELETE / UPDATE / VACUUM / REINDEX / TRUNCATE / DROP with each index family (issue 3, Lifecycle).

The invariant under test: the index never returns a row that is not live, and after VACUUM has
freed heap TIDs, new rows that reuse those TIDs are returned for their own vectors (not for the
vectors of the rows that used to be there). Every query runs through the index (enable_seqscan
off, EXPLAIN checked) and is compared with exact search over the rows the test knows are live.
"""

import os

import numpy as np
import pytest

from . import helpers as h

N, DIM, K = 3000, 32, 10


@pytest.fixture(params=list(h.SMALL_FAMILIES))
def family(request, pg, conn):
    """A fresh table `v_<family>` with N rows and the family's index; yields (table, live, ...)."""
    name = request.param
    using, settings, exact = h.SMALL_FAMILIES[name]
    table, index = "v_" + name, "vix_" + name
    base = h.random_vectors(N, DIM, seed=11)
    live = {i + 1: base[i] for i in range(N)}
    h.create_table(conn, table, DIM)
    h.copy_rows(conn, table, list(live), base)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE %s SET (autovacuum_enabled = off)" % table)
        cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, using))
        cur.execute("ANALYZE %s" % table)
        h.apply_settings(cur, settings)
        cur.execute("SET enable_seqscan = off")
    yield name, table, index, live, settings, exact
    with conn.cursor() as cur:
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE IF EXISTS %s" % table)


def _info(cur, index):
    cur.execute("SELECT list_entries, graph_vectors, graph_tombstones, delta_vectors "
                "FROM jadevector_index_info(%s)", (index,))
    return dict(zip(("list_entries", "graph_vectors", "graph_tombstones", "delta_vectors"), cur.fetchone()))


def _indexed_live(info):
    """Entries the index still maps to rows: list entries + live graph nodes (graph_vectors
    excludes tombstones)."""
    return info["list_entries"] + info["graph_vectors"]


def test_delete_vacuum_reuse(conn, family):
    name, table, index, live, settings, exact = family
    rng = np.random.default_rng(12)
    with conn.cursor() as cur:
        h.assert_index_scan(cur, table, index, "l2", live[1], K)
        # Delete a third of the rows; remember their vectors and TIDs.
        doomed = [i for i in live if i % 3 == 0]
        cur.execute("SELECT id, ctid::text FROM %s WHERE id %% 3 = 0" % table)
        freed_ctids = {ctid for _, ctid in cur.fetchall()}
        deleted = {i: live.pop(i) for i in doomed}
        cur.execute("DELETE FROM %s WHERE id %% 3 = 0" % table)

        # Before VACUUM: dead rows are hidden (MVCC) and searches for their vectors find live rows.
        for i in list(deleted)[:30]:
            h.check_knn(cur, table, live, deleted[i], K, exact)

        cur.execute("VACUUM %s" % table)
        info = _info(cur, index)
        assert _indexed_live(info) + info["delta_vectors"] == len(live), (info, len(live))
        for i in list(deleted)[30:60]:
            h.check_knn(cur, table, live, deleted[i], K, exact)

        # New rows after VACUUM reuse the freed heap slots; each is found for its own vector.
        new = h.random_vectors(len(doomed), DIM, seed=13)
        new_ids = list(range(N + 1, N + 1 + len(doomed)))
        h.copy_rows(conn, table, new_ids, new)
        cur.execute("SELECT id, ctid::text FROM %s WHERE id > %d" % (table, N))
        reused = {i for i, ctid in cur.fetchall() if ctid in freed_ctids}
        assert len(reused) > len(doomed) // 2, "only %d of %d new rows reused freed TIDs" % (len(reused), len(doomed))
        for i, v in zip(new_ids, new):
            live[i] = v
        for i in sorted(reused)[:40]:
            hit = h.exact_match(cur, table, live[i])
            assert hit is not None and hit[0] == i and hit[1] == 0.0, (i, hit)
        # The old vectors whose TIDs now hold new rows must not come back at distance 0.
        for i in list(deleted)[:40]:
            h.check_knn(cur, table, live, deleted[i], K, exact)
        for q in rng.random((20, DIM), dtype=np.float32):
            h.check_knn(cur, table, live, q, K, exact)


def test_update_then_vacuum(conn, family):
    name, table, index, live, settings, exact = family
    with conn.cursor() as cur:
        targets = list(range(5, N + 1, 10))
        new = h.random_vectors(len(targets), DIM, seed=14)
        old = {i: live[i] for i in targets}
        for i, v in zip(targets, new):
            cur.execute("UPDATE %s SET embedding = %%s WHERE id = %%s" % table, (h.vec_text(v), i))
            live[i] = v
        for rnd in ("before vacuum", "after vacuum"):
            for i in targets[:40]:
                hit = h.exact_match(cur, table, live[i])
                assert hit is not None and hit[0] == i and hit[1] == 0.0, (rnd, i, hit)
                # The old version is gone: its vector now finds other rows, never id i at 0.
                ids, _ = h.check_knn(cur, table, live, old[i], K, exact)
            cur.execute("VACUUM %s" % table)
        info = _info(cur, index)
        assert _indexed_live(info) + info["delta_vectors"] == len(live), (info, len(live))


def test_reindex(conn, family):
    name, table, index, live, settings, exact = family
    with conn.cursor() as cur:
        for i in range(1, N + 1, 4):
            live.pop(i)
        cur.execute("DELETE FROM %s WHERE id %% 4 = 1" % table)
        extra = h.random_vectors(200, DIM, seed=15)
        extra_ids = list(range(N + 1, N + 201))
        h.copy_rows(conn, table, extra_ids, extra)
        live.update(zip(extra_ids, extra))
        cur.execute("REINDEX INDEX %s" % index)
        info = _info(cur, index)
        # REINDEX sees the deleted rows as dead (no snapshot holds them): nothing dead is indexed.
        assert info["graph_tombstones"] == 0, info
        assert _indexed_live(info) + info["delta_vectors"] == len(live), (info, len(live))
        h.assert_index_scan(cur, table, index, "l2", extra[0], K)
        for i in extra_ids[:30]:
            hit = h.exact_match(cur, table, live[i])
            assert hit is not None and hit[0] == i and hit[1] == 0.0, (i, hit)
        for q in h.random_vectors(20, DIM, seed=16):
            h.check_knn(cur, table, live, q, K, exact)


def test_truncate_and_drop(pg, conn, family):
    name, table, index, live, settings, exact = family
    with conn.cursor() as cur:
        cur.execute("SELECT pg_relation_filepath(%s), current_setting('data_directory')", (index,))
        old_path, datadir = cur.fetchone()
        cur.execute("TRUNCATE %s" % table)
        live.clear()
        h.assert_index_scan(cur, table, index, "l2", np.zeros(DIM, np.float32) + 0.5, K)
        assert h.knn(cur, table, np.full(DIM, 0.5, np.float32), "l2", K) == ([], [])
        cur.execute("CHECKPOINT")  # the old relfilenode is unlinked at the next checkpoint
        assert not os.path.exists(os.path.join(datadir, old_path)) or os.path.getsize(
            os.path.join(datadir, old_path)) == 0, "old index file survived TRUNCATE"
        # The truncated index takes new rows and finds them.
        new = h.random_vectors(300, DIM, seed=17)
        h.copy_rows(conn, table, range(1, 301), new)
        live.update(zip(range(1, 301), new))
        for i in range(1, 301, 10):
            hit = h.exact_match(cur, table, live[i])
            assert hit is not None and hit[0] == i and hit[1] == 0.0, (i, hit)
        for q in h.random_vectors(10, DIM, seed=18):
            h.check_knn(cur, table, live, q, K, exact)
        cur.execute("SELECT pg_relation_filepath(%s)", (index,))
        path = os.path.join(datadir, cur.fetchone()[0])
        assert os.path.exists(path)
        cur.execute("DROP TABLE %s" % table)
        cur.execute("SELECT count(*) FROM pg_class WHERE relname = %s", (index,))
        assert cur.fetchone()[0] == 0
        cur.execute("CHECKPOINT")
        assert not os.path.exists(path) or os.path.getsize(path) == 0, "index file survived DROP TABLE"


@pytest.mark.parametrize("using", ["faiss (embedding) WITH (factory = 'HNSW8')",
                                   "faiss (embedding) WITH (factory = 'HNSW8,SQ8')",
                                   "hnsw (embedding) WITH (m = 8, ef_construction = 32)"])
def test_hnsw_delta_merge(conn, using):
    """Rows inserted after an HNSW build sit in the exact delta until a merge folds them into the
    graph (jadevector_merge_delta on demand, VACUUM once the delta is large); before, during
    bookkeeping and after, every live row is found exactly once and dead rows never come back."""
    table, index = "v_merge", "vix_merge"
    base = h.random_vectors(N, DIM, seed=19)
    live = {i + 1: base[i] for i in range(N)}
    h.create_table(conn, table, DIM)
    h.copy_rows(conn, table, list(live), base)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE %s SET (autovacuum_enabled = off)" % table)
        cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, using))
        h.apply_settings(cur, {"jadevector.ef_search": 400, "hnsw.ef_search": 400})
        cur.execute("SET enable_seqscan = off")
        # 1,500 new rows go to the delta; a few of them and some graph rows are then deleted.
        extra = h.random_vectors(1500, DIM, seed=20)
        extra_ids = list(range(N + 1, N + 1501))
        h.copy_rows(conn, table, extra_ids, extra)
        live.update(zip(extra_ids, extra))
        assert _info(cur, index)["delta_vectors"] == 1500
        cur.execute("DELETE FROM %s WHERE id %% 7 = 0" % table)
        dead = {i: live.pop(i) for i in list(live) if i % 7 == 0}
        cur.execute("SELECT jadevector_merge_delta(%s)", (index,))
        merged = cur.fetchone()[0]
        assert 0 < merged <= 1500, merged
        info = _info(cur, index)
        assert info["delta_vectors"] == 1500 - merged, info
        h.assert_index_scan(cur, table, index, "l2", extra[0], K)
        for i in extra_ids[:60]:
            if i in live:
                ids, d = h.knn(cur, table, live[i], "l2", 2)
                assert ids[0] == i and d[0] == 0.0 and ids[1] != i, (i, ids, d)
        for i in list(dead)[:30]:
            h.check_knn(cur, table, live, dead[i], K, False)
        # VACUUM removes the dead rows (graph tombstones, delta entries) ...
        cur.execute("VACUUM %s" % table)
        info = _info(cur, index)
        assert _indexed_live(info) + info["delta_vectors"] == len(live), (info, len(live))
        # ... and merges a delta that has grown past its threshold (>= 1,000 rows, >= 10% of the graph).
        more = h.random_vectors(1200, DIM, seed=21)
        more_ids = list(range(N + 2001, N + 3201))
        h.copy_rows(conn, table, more_ids, more)
        live.update(zip(more_ids, more))
        cur.execute("VACUUM %s" % table)
        info = _info(cur, index)
        assert info["delta_vectors"] == 0, "VACUUM did not merge a delta of 1,200 rows: %s" % info
        assert _indexed_live(info) == len(live), (info, len(live))
        for i in more_ids[::40] + extra_ids[1::50]:
            if i in live:
                assert h.exact_match(cur, table, live[i]) == (i, 0.0), i
        for q in h.random_vectors(20, DIM, seed=22):
            h.check_knn(cur, table, live, q, K, False)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE %s" % table)
