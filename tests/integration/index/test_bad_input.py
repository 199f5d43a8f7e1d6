"""Bad input to the index access methods on a real server (issue 3, "Bad input").

Each case must end in an ERROR with the expected SQLSTATE (or the documented fallback), the
server must not have crashed (pg_postmaster_start_time unchanged, no backend killed by a
signal in the log) and the table must stay usable: queries, inserts and a working index.
"""

import numpy as np
import pytest

from . import helpers as h

DIM = 16


@pytest.fixture(scope="module")
def items(pg, conn):
    base = h.random_vectors(500, DIM, seed=31)
    h.create_table(conn, "bad_items", DIM)
    h.copy_rows(conn, "bad_items", range(1, 501), base)
    with conn.cursor() as cur:
        cur.execute("ANALYZE bad_items")
    return base


@pytest.fixture(scope="module")
def start_time(pg, conn):
    with conn.cursor() as cur:
        return h.server_start_time(cur)


def _assert_alive_and_usable(pg, conn, start_time, items):
    """The server did not restart and bad_items still answers through a fresh index."""
    with conn.cursor() as cur:
        assert h.server_start_time(cur) == start_time, "the server restarted (a backend crashed)"
        cur.execute("SELECT count(*) FROM bad_items")
        n = cur.fetchone()[0]
        assert n >= 500
        cur.execute("DROP INDEX IF EXISTS bad_ok")
        cur.execute("CREATE INDEX bad_ok ON bad_items USING faiss (embedding) WITH (factory = 'Flat')")
        cur.execute("SET enable_seqscan = off")
        h.assert_index_scan(cur, "bad_items", "bad_ok", "l2", items[3])
        assert h.exact_match(cur, "bad_items", items[3]) == (4, 0.0)
        cur.execute("RESET ALL")
        cur.execute("DROP INDEX bad_ok")
    log = pg.log_tail(2000)
    assert "terminated by signal" not in log and "server process" not in log, log[-3000:]


BAD_DDL = [
    # unknown / unsupported factory strings: refused before FAISS sees them
    ("unknown_family", "faiss (embedding) WITH (factory = 'LSH')", "22023"),
    ("lowercase_family", "faiss (embedding) WITH (factory = 'flat')", "22023"),
    ("unknown_codec", "faiss (embedding) WITH (factory = 'IVF8,Bogus')", "22023"),
    ("ivf_without_codec", "faiss (embedding) WITH (factory = 'IVF8')", "22023"),
    ("ivf_zero_lists", "faiss (embedding) WITH (factory = 'IVF0,Flat')", "22023"),
    ("ivf_huge_lists", "faiss (embedding) WITH (factory = 'IVF99999999,Flat')", "22023"),
    ("hnsw_m_too_small", "faiss (embedding) WITH (factory = 'HNSW1')", "22023"),
    ("hnsw_pq", "faiss (embedding) WITH (factory = 'HNSW16,PQ4')", "22023"),
    ("trailing_garbage", "faiss (embedding) WITH (factory = 'HNSW16,SQ8,Flat')", "22023"),
    ("idmap", "faiss (embedding) WITH (factory = 'IDMap,Flat')", "22023"),
    ("pq_not_dividing", "faiss (embedding) WITH (factory = 'IVF4,PQ5')", "22023"),
    ("blank_factory", "faiss (embedding) WITH (factory = '   ')", "22023"),
    # bad options
    ("unknown_option", "faiss (embedding) WITH (nosuch = 1)", "22023"),
    ("factory_on_hnsw", "hnsw (embedding) WITH (factory = 'Flat')", "22023"),
    ("hnsw_m_range", "hnsw (embedding) WITH (m = 1)", "22023"),
    ("hnsw_efc_lt_2m", "hnsw (embedding) WITH (m = 16, ef_construction = 10)", "22023"),
    ("ivfflat_lists_zero", "ivfflat (embedding) WITH (lists = 0)", "22023"),
    ("ivfflat_lists_text", "ivfflat (embedding) WITH (lists = 'abc')", "22023"),
    ("faiss_efc_range", "faiss (embedding) WITH (factory = 'HNSW8', ef_construction = 2)", "22023"),
    # metric / opclass mismatch
    ("l1_on_ivf", "faiss (embedding vector_l1_ops) WITH (factory = 'IVF4,Flat')", "0A000"),
    ("l1_on_hnsw", "faiss (embedding vector_l1_ops) WITH (factory = 'HNSW8')", "0A000"),
    ("l1_opclass_ivfflat", "ivfflat (embedding vector_l1_ops)", "42704"),
    ("l1_opclass_hnsw", "hnsw (embedding vector_l1_ops)", "42704"),
    ("not_a_vector", "faiss (note)", "42704"),
    ("multi_column", "faiss (embedding, embedding)", "0A000"),
]


@pytest.mark.parametrize("name,using,sqlstate", BAD_DDL, ids=[b[0] for b in BAD_DDL])
def test_bad_create_index(pg, conn, items, start_time, name, using, sqlstate):
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE bad_items ADD COLUMN IF NOT EXISTS note text")
        got = h.sqlstate_of(cur, "CREATE INDEX bad_ix ON bad_items USING " + using)
        if got is None:
            cur.execute("DROP INDEX bad_ix")
        assert got == sqlstate, "%s: expected SQLSTATE %s, got %s" % (name, sqlstate, got)
        cur.execute("SELECT count(*) FROM pg_class WHERE relname = 'bad_ix'")
        assert cur.fetchone()[0] == 0
    _assert_alive_and_usable(pg, conn, start_time, items)


def test_unique_index_refused(pg, conn, items, start_time):
    with conn.cursor() as cur:
        assert h.sqlstate_of(cur, "CREATE UNIQUE INDEX bad_ix ON bad_items USING faiss (embedding)") == "0A000"
    _assert_alive_and_usable(pg, conn, start_time, items)


def test_alter_index_bad_factory(pg, conn, items, start_time):
    with conn.cursor() as cur:
        cur.execute("CREATE INDEX bad_alter ON bad_items USING faiss (embedding) WITH (factory = 'Flat')")
        assert h.sqlstate_of(cur, "ALTER INDEX bad_alter SET (factory = 'IVF4,Nope')") == "22023"
        cur.execute("SELECT reloptions FROM pg_class WHERE relname = 'bad_alter'")
        assert cur.fetchone()[0] == ["factory=Flat"]
        cur.execute("DROP INDEX bad_alter")
    _assert_alive_and_usable(pg, conn, start_time, items)


@pytest.mark.parametrize("setting,value", [("ivfflat.probes", "0"), ("hnsw.ef_search", "0"),
                                           ("jadevector.nprobe", "-1"), ("jadevector.rerank_factor", "-1"),
                                           ("jadevector.build_threads", "-1"),
                                           ("hnsw.iterative_scan", "'bogus'"),
                                           ("ivfflat.iterative_scan", "'bogus'")])
def test_bad_gucs(conn, setting, value):
    with conn.cursor() as cur:
        assert h.sqlstate_of(cur, "SET %s = %s" % (setting, value)) == "22023"
        assert h.sqlstate_of(cur, "SET jadevector.no_such_setting = 1") == "42602"


def test_mixed_dimensions_untyped_column(pg, conn, items, start_time):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bad_mixed")
        cur.execute("CREATE TABLE bad_mixed (id int, embedding vector)")
        cur.execute("INSERT INTO bad_mixed VALUES (1, '[1,2,3]'), (2, '[1,2]')")
        for using in ("faiss (embedding) WITH (factory = 'Flat')", "hnsw (embedding)",
                      "ivfflat (embedding) WITH (lists = 1)"):
            assert h.sqlstate_of(cur, "CREATE INDEX bad_mixed_ix ON bad_mixed USING " + using) == "22000", using
        cur.execute("DELETE FROM bad_mixed WHERE id = 2")
        cur.execute("CREATE INDEX bad_mixed_ix ON bad_mixed USING faiss (embedding) WITH (factory = 'Flat')")
        assert h.sqlstate_of(cur, "INSERT INTO bad_mixed VALUES (3, '[1,2]')") == "22000"
        cur.execute("INSERT INTO bad_mixed VALUES (4, '[3,2,1]')")
        cur.execute("SET enable_seqscan = off")
        assert h.sqlstate_of(cur, "SELECT id FROM bad_mixed ORDER BY embedding <-> '[1,2]' LIMIT 1") == "22000"
        cur.execute("SELECT id FROM bad_mixed ORDER BY embedding <-> '[3,2,1]' LIMIT 2")
        assert [r[0] for r in cur.fetchall()] == [4, 1]
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE bad_mixed")
    _assert_alive_and_usable(pg, conn, start_time, items)


@pytest.mark.parametrize("using", ["faiss (embedding vector_l2_ops) WITH (factory = 'Flat')",
                                   "faiss (embedding vector_l2_ops) WITH (factory = 'IVF4,Flat')",
                                   "faiss (embedding vector_l2_ops) WITH (factory = 'HNSW8')",
                                   "hnsw (embedding vector_l2_ops)", "ivfflat (embedding vector_l2_ops) WITH (lists = 4)"])
def test_null_vectors_are_skipped(pg, conn, items, start_time, using):
    """NULL vectors are not indexed (as pgvector): build and insert succeed; scans never return them."""
    base = h.random_vectors(300, 8, seed=32)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bad_nulls")
        cur.execute("CREATE TABLE bad_nulls (id int, embedding vector(8))")
        h.copy_rows(conn, "bad_nulls", range(1, 301), base)
        cur.execute("INSERT INTO bad_nulls SELECT i, NULL FROM generate_series(1001, 1050) i")
        cur.execute("CREATE INDEX bad_nulls_ix ON bad_nulls USING " + using)
        cur.execute("INSERT INTO bad_nulls SELECT i, NULL FROM generate_series(2001, 2050) i")
        cur.execute("SET enable_seqscan = off")
        for setting in ("jadevector.nprobe = 4", "ivfflat.probes = 4", "hnsw.ef_search = 400",
                        "jadevector.ef_search = 400"):
            cur.execute("SET " + setting)
        h.assert_index_scan(cur, "bad_nulls", "bad_nulls_ix", "l2", base[0], 400)
        ids, d = h.knn(cur, "bad_nulls", base[0], "l2", 400)
        assert all(i <= 300 for i in ids), "a NULL row was returned by the index scan"
        assert len(ids) == 300, "expected every non-NULL row, got %d" % len(ids)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE bad_nulls")
    _assert_alive_and_usable(pg, conn, start_time, items)


@pytest.mark.parametrize("using", ["faiss (embedding vector_cosine_ops) WITH (factory = 'Flat')",
                                   "faiss (embedding vector_cosine_ops) WITH (factory = 'IVF2,Flat')",
                                   "faiss (embedding vector_cosine_ops) WITH (factory = 'HNSW8')",
                                   "hnsw (embedding vector_cosine_ops)",
                                   "ivfflat (embedding vector_cosine_ops) WITH (lists = 2)"])
def test_zero_vectors_with_cosine(pg, conn, items, start_time, using):
    """Zero vectors have no cosine distance. The AM's documented behaviour (as pgvector's): they
    are not indexed — build and insert succeed, scans never return them — and the table works."""
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bad_zero")
        cur.execute("CREATE TABLE bad_zero (id int, embedding vector(3))")
        cur.execute("INSERT INTO bad_zero SELECT i, ARRAY[i % 7 + 1, i % 5, i % 3]::float4[]::vector "
                    "FROM generate_series(1, 100) i")
        cur.execute("INSERT INTO bad_zero VALUES (1001, '[0,0,0]')")
        cur.execute("CREATE INDEX bad_zero_ix ON bad_zero USING " + using)
        cur.execute("INSERT INTO bad_zero VALUES (1002, '[0,0,0]'), (1003, '[1,0,0]')")
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET ivfflat.probes = 2")
        cur.execute("SET jadevector.nprobe = 2")
        cur.execute("SET hnsw.ef_search = 400")  # without iterative scan pgvector returns <= ef_search rows
        h.assert_index_scan(cur, "bad_zero", "bad_zero_ix", "cosine", np.array([1, 0, 0], np.float32), 200)
        ids, d = h.knn(cur, "bad_zero", np.array([1, 0, 0], np.float32), "cosine", 200)
        assert 1001 not in ids and 1002 not in ids, "zero vector returned with distance %s" % d
        assert len(ids) == 101 and 1003 in ids
        assert all(x == x for x in d), "NaN distance returned"
        # A zero query vector has no cosine order: it must not error or crash.
        cur.execute("SELECT count(*) FROM (SELECT id FROM bad_zero ORDER BY embedding <=> '[0,0,0]' LIMIT 5) s")
        assert cur.fetchone()[0] <= 5
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE bad_zero")
    _assert_alive_and_usable(pg, conn, start_time, items)


@pytest.mark.parametrize("factory,am", [("IVF64,Flat", "faiss"), ("IVF8,PQ4", "faiss"), ("IVF32,SQ8", "faiss"),
                                        (None, "ivfflat")])
def test_too_few_rows_to_train(pg, conn, items, start_time, factory, am):
    """Documented fallback: a NOTICE and an exact Flat index; REINDEX after loading more data
    gives the requested family."""
    base = h.random_vectors(2000, 8, seed=33)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bad_few")
        cur.execute("CREATE TABLE bad_few (id int, embedding vector(8))")
        h.copy_rows(conn, "bad_few", range(1, 21), base[:20])
        using = ("faiss (embedding) WITH (factory = '%s')" % factory) if factory else "ivfflat (embedding) WITH (lists = 64)"
        del conn.notices[:]
        cur.execute("CREATE INDEX bad_few_ix ON bad_few USING " + using)
        assert any("too few rows to train" in n for n in conn.notices), conn.notices
        cur.execute("SELECT am, family FROM jadevector_index_info('bad_few_ix')")
        assert cur.fetchone() == (am, "flat")
        cur.execute("SET enable_seqscan = off")
        for i in range(20):
            assert h.exact_match(cur, "bad_few", base[i]) == (i + 1, 0.0)
        h.copy_rows(conn, "bad_few", range(21, 2001), base[20:])
        for i in (25, 700, 1999):
            assert h.exact_match(cur, "bad_few", base[i]) == (i + 1, 0.0)
        cur.execute("REINDEX INDEX bad_few_ix")
        cur.execute("SELECT family FROM jadevector_index_info('bad_few_ix')")
        assert cur.fetchone()[0] == "ivf"
        cur.execute("SET jadevector.nprobe = 64")
        cur.execute("SET ivfflat.probes = 64")
        for i in (0, 25, 700, 1999):
            hit = h.exact_match(cur, "bad_few", base[i])
            assert hit == (i + 1, 0.0), (i, hit)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE bad_few")
    _assert_alive_and_usable(pg, conn, start_time, items)


def test_index_on_empty_untyped_column_then_inserts(pg, conn, items, start_time):
    """An index built on an empty untyped column fixes its dimension at the first insert."""
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bad_empty")
        cur.execute("CREATE TABLE bad_empty (id int, embedding vector)")
        cur.execute("CREATE INDEX bad_empty_ix ON bad_empty USING faiss (embedding)")
        cur.execute("INSERT INTO bad_empty VALUES (1, '[1,2,3,4]'), (2, '[4,3,2,1]')")
        assert h.sqlstate_of(cur, "INSERT INTO bad_empty VALUES (3, '[1,2,3]')") == "22000"
        cur.execute("SET enable_seqscan = off")
        cur.execute("SELECT id FROM bad_empty ORDER BY embedding <-> '[4,3,2,1.5]' LIMIT 1")
        assert cur.fetchone()[0] == 2
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE bad_empty")
    _assert_alive_and_usable(pg, conn, start_time, items)


def test_operator_not_matching_opclass_is_not_served(pg, conn, items, start_time):
    """An index of one metric is not used for another operator; results stay correct."""
    with conn.cursor() as cur:
        cur.execute("CREATE INDEX bad_l2 ON bad_items USING faiss (embedding vector_l2_ops) WITH (factory = 'Flat')")
        cur.execute("SET enable_seqscan = off")
        t = h.vec_text(items[0])
        plan = h.explain(cur, h.knn_sql("bad_items", "ip", 5), (t, t))
        assert "bad_l2" not in plan, plan
        ids, _ = h.knn(cur, "bad_items", items[0], "ip", 5)
        truth, _ = h.exact_knn(items, np.arange(1, 501), [items[0]], 5, "ip")
        assert ids == truth[0]
        cur.execute("RESET ALL")
        cur.execute("DROP INDEX bad_l2")
    _assert_alive_and_usable(pg, conn, start_time, items)


def test_large_dimensions(pg, conn, items, start_time):
    """3,072-d (beyond pgvector's 2,000) in IVF and HNSW; 16,000-d (more than a page) in Flat."""
    with conn.cursor() as cur:
        for dim, n, factories in ((3072, 300, ("IVF4,Flat", "HNSW8", "Flat")), (16000, 30, ("Flat", "HNSW8"))):
            base = h.random_vectors(n, dim, seed=dim)
            cur.execute("DROP TABLE IF EXISTS bad_big")
            cur.execute("CREATE TABLE bad_big (id int, embedding vector(%d))" % dim)
            h.copy_rows(conn, "bad_big", range(1, n + 1), base)
            for f in factories:
                cur.execute("CREATE INDEX bad_big_ix ON bad_big USING faiss (embedding) WITH (factory = '%s')" % f)
                extra = h.random_vectors(3, dim, seed=dim + 1)
                h.copy_rows(conn, "bad_big", range(n + 1, n + 4), extra)
                cur.execute("SET enable_seqscan = off")
                cur.execute("SET jadevector.nprobe = 4")
                h.assert_index_scan(cur, "bad_big", "bad_big_ix", "l2", base[0])
                for i in (0, n // 2, n - 1):
                    assert h.exact_match(cur, "bad_big", base[i]) == (i + 1, 0.0), (dim, f, i)
                assert h.exact_match(cur, "bad_big", extra[2]) == (n + 3, 0.0), (dim, f)
                cur.execute("RESET ALL")
                cur.execute("DROP INDEX bad_big_ix")
                cur.execute("DELETE FROM bad_big WHERE id > %d" % n)
            cur.execute("DROP TABLE bad_big")
        assert h.sqlstate_of(cur, "CREATE TABLE bad_huge (embedding vector(16001))") == "22023"
    _assert_alive_and_usable(pg, conn, start_time, items)
