"""A physical standby answers kNN queries through the index like its primary (issue 3, Storage).

The standby is made with pg_basebackup -R from the primary and started as a second server. Some
indexes exist before the base backup (copied with it), others are built after the standby runs
(the build is streamed), then rows are inserted, updated and deleted + VACUUMed on the primary,
and the faiss HNSW delta is merged into its graph.
After a bounded wait for the standby's replay LSN to pass the primary's WAL position, the same
queries on both servers must return the same rows with the same distances, through the index.
"""

import os

import pytest

from . import helpers as h

DIM, BASE, K = 24, 2000, 10

BEFORE_BACKUP = {
    "ivf_flat": ("faiss (embedding) WITH (factory = 'IVF16,Flat')", {"jadevector.nprobe": 4}),
    "hnsw": ("faiss (embedding) WITH (factory = 'HNSW8')", {}),
    "pg_ivfflat": ("ivfflat (embedding) WITH (lists = 16)", {"ivfflat.probes": 3}),
}
AFTER_BACKUP = {
    "flat": ("faiss (embedding) WITH (factory = 'Flat')", {}),
    "ivf_pq": ("faiss (embedding) WITH (factory = 'IVF16,PQ4')", {}),
    "hnsw_sq8": ("faiss (embedding) WITH (factory = 'HNSW8,SQ8')", {}),
    "pg_hnsw": ("hnsw (embedding) WITH (m = 8, ef_construction = 32)", {}),
}
FAMILIES = dict(BEFORE_BACKUP, **AFTER_BACKUP)


def _create(conn, name, using, base):
    table = "s_" + name
    h.create_table(conn, table, DIM)
    h.copy_rows(conn, table, range(1, BASE + 1), base)
    with conn.cursor() as cur:
        # Both servers must hold the same pages when they are compared: an autovacuum after the
        # replay target (e.g. removing tuples that the test's VACUUM still saw as recently dead
        # under a concurrent snapshot) would tombstone entries on the primary only, and a graph
        # search's traversal depends on which nodes are tombstoned.
        cur.execute("ALTER TABLE %s SET (autovacuum_enabled = false)" % table)
        cur.execute("CREATE INDEX six_%s ON %s USING %s" % (name, table, using))
        cur.execute("ANALYZE %s" % table)


@pytest.fixture(scope="module")
def pair(pg):
    """(primary, standby) with every family loaded, changed and replayed."""
    conn = pg.connect()
    base = h.random_vectors(BASE, DIM, seed=51)
    for name, (using, _) in BEFORE_BACKUP.items():
        _create(conn, name, using, base)

    standby = h.PgInstance("idxstandby", settings=h.FAST_SETTINGS, build_dir=h.BUILD_DIR)
    try:
        r = h.as_postgres([os.path.join(standby.bindir, "pg_basebackup"), "-D", standby.datadir, "-R",
                           "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres"],
                          capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        standby.write_settings({"hot_standby": "on"})
        standby.start()
        sconn = standby.connect()
        with sconn.cursor() as cur:
            cur.execute("SELECT pg_is_in_recovery()")
            assert cur.fetchone()[0] is True

        for name, (using, _) in AFTER_BACKUP.items():
            _create(conn, name, using, base)
        extra = h.random_vectors(300, DIM, seed=52)
        updated = h.random_vectors(50, DIM, seed=53)
        live = {i + 1: base[i] for i in range(BASE)}
        with conn.cursor() as cur:
            for name in FAMILIES:
                table = "s_" + name
                h.copy_rows(conn, table, range(BASE + 1, BASE + 301), extra)
                for j, v in enumerate(updated):
                    cur.execute("UPDATE %s SET embedding = %%s WHERE id = %%s" % table, (h.vec_text(v), 10 * j + 7))
                cur.execute("DELETE FROM %s WHERE id %% 5 = 0" % table)
                cur.execute("VACUUM %s" % table)
            # Fold the faiss HNSW delta into its graph on the primary: the new graph blob, id map
            # and metapage switch must replay on the standby (pg_hnsw keeps its delta).
            cur.execute("SELECT jadevector_merge_delta('six_hnsw')")
            assert cur.fetchone()[0] > 0
            cur.execute("SELECT delta_vectors FROM jadevector_index_info('six_hnsw')")
            assert cur.fetchone()[0] == 0
        live.update({BASE + 1 + j: extra[j] for j in range(300)})
        live.update({10 * j + 7: updated[j] for j in range(50)})
        live = {i: v for i, v in live.items() if i % 5 != 0}

        with conn.cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn()")
            target = cur.fetchone()[0]

        def replayed():
            with sconn.cursor() as scur:
                scur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))
                return scur.fetchone()[0]

        h.wait_until(replayed, timeout=60, interval=0.1, what="standby replay of %s" % target)
        yield pg, conn, standby, sconn, live
        sconn.close()
    finally:
        conn.close()
        standby.destroy()


def _answers(cur, table, queries, settings):
    h.apply_settings(cur, settings)
    cur.execute("SET enable_seqscan = off")
    out = [h.knn(cur, table, q, "l2", K) for q in queries]
    cur.execute("RESET ALL")
    return out


@pytest.mark.parametrize("name", list(FAMILIES))
def test_standby_answers_like_primary(pair, name):
    pg, conn, standby, sconn, live = pair
    table, index = "s_" + name, "six_" + name
    settings = FAMILIES[name][1]
    queries = list(h.random_vectors(20, DIM, seed=54)) + [live[i] for i in (1, 7, 2101, 2299, 1997)]
    with conn.cursor() as pcur, sconn.cursor() as scur:
        scur.execute("SET enable_seqscan = off")
        h.assert_index_scan(scur, table, index, "l2", queries[0], K)
        primary = _answers(pcur, table, queries, settings)
        replica = _answers(scur, table, queries, settings)
        for q, (pids, pd), (sids, sd) in zip(queries, primary, replica):
            assert sids == pids, "standby %s vs primary %s" % (sids, pids)
            assert sd == pd
            assert all(i in live for i in sids), "standby returned a deleted row: %s" % sids
        # Rows inserted and updated after the base backup are found on the standby by exact match.
        for i in (7, 2101, 2299):
            assert h.exact_match(scur, table, live[i]) == (i, 0.0), i
        scur.execute("SELECT count(*) FROM %s" % table)
        assert scur.fetchone()[0] == len(live)
        scur.execute("SELECT graph_vectors, delta_vectors FROM jadevector_index_info(%s)", (index,))
        pcur.execute("SELECT graph_vectors, delta_vectors FROM jadevector_index_info(%s)", (index,))
        assert scur.fetchone() == pcur.fetchone()
