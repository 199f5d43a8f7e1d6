"""Transactions, DDL and session state through the coordinator behave as on one PostgreSQL.

Named regression tests for coordinator/README.md and issue 8 ("Transactions and DDL"): every case
runs through the coordinator on a 3-worker cluster and checks what a client of a single
PostgreSQL would see.
"""

import contextlib

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=3)


@pytest.fixture
def conn(cluster):
    c = cluster.connect()
    c.autocommit = True
    yield c
    c.close()


def run(c, sql, params=None):
    with c.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def make_table(c, name, shards=6, rows=0):
    run(c, "DROP TABLE IF EXISTS %s" % name)
    run(c, "CREATE TABLE %s (id bigint PRIMARY KEY, v int)" % name)
    run(c, "SELECT create_distributed_table(%s, 'id', shard_count => %s)", (name, shards))
    if rows:
        run(c, "INSERT INTO %s VALUES %s" % (name, ",".join("(%d,%d)" % (i, i) for i in range(1, rows + 1))))


def test_set_with_trailing_comment_keeps_the_next_block_transactional(conn):
    """`SET x = 50 -- note` must not swallow the worker-side BEGIN of a later block."""
    make_table(conn, "txn_comment")
    run(conn, "SET hnsw.ef_search = 50 -- note")
    run(conn, "BEGIN")
    run(conn, "INSERT INTO txn_comment VALUES (1,1),(2,2),(3,3),(4,4),(5,5),(6,6),(7,7),(8,8)")
    run(conn, "ROLLBACK")
    assert run(conn, "SELECT count(*) FROM txn_comment") == [(0,)]
    assert run(conn, "SHOW hnsw.ef_search") == [("50",)]


def tables(c):
    """Names in jade_tables (schema-qualified outside public)."""
    return {r[0] for r in run(c, "SELECT table_name FROM jade_tables")}


def error_of(c, sql, params=None):
    """The SQLSTATE of the error `sql` raises (the test fails when it raises none)."""
    with pytest.raises(psycopg2.Error) as e:
        run(c, sql, params)
    return e.value.pgcode


# ---- per-transaction modes -------------------------------------------------------------------

def test_begin_read_only_applies_to_that_block_only(conn):
    make_table(conn, "txn_ro", rows=10)
    run(conn, "BEGIN READ ONLY")
    assert run(conn, "SELECT count(*) FROM txn_ro") == [(10,)]
    run(conn, "COMMIT")
    # A later multi-shard write (implicit transaction) is not read only.
    run(conn, "INSERT INTO txn_ro VALUES (101, 1), (102, 2), (103, 3), (104, 4), (105, 5), (106, 6)")
    run(conn, "UPDATE txn_ro SET v = v + 1")
    assert run(conn, "SELECT count(*), sum(v) FROM txn_ro") == [(16, 10 * 11 // 2 + 10 + 6 * 7 // 2 + 6)]
    # Writes inside a READ ONLY block fail as on PostgreSQL.
    run(conn, "BEGIN READ ONLY")
    assert error_of(conn, "DELETE FROM txn_ro") == "25006"
    run(conn, "ROLLBACK")


def test_isolation_level_of_begin_is_not_kept(conn):
    make_table(conn, "txn_iso", rows=4)
    run(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE")
    run(conn, "SELECT count(*) FROM txn_iso")
    assert run(conn, "SHOW transaction_isolation") == [("serializable",)]
    run(conn, "COMMIT")
    assert run(conn, "SHOW transaction_isolation") == [("read committed",)]
    run(conn, "BEGIN")
    run(conn, "SELECT count(*) FROM txn_iso")
    assert run(conn, "SELECT DISTINCT current_setting('transaction_isolation') FROM txn_iso") == [("read committed",)]
    run(conn, "COMMIT")


def test_session_characteristics_are_session_defaults(conn):
    make_table(conn, "txn_chars", rows=6)
    run(conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    assert error_of(conn, "DELETE FROM txn_chars") == "25006"
    run(conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
    run(conn, "DELETE FROM txn_chars")
    assert run(conn, "SELECT count(*) FROM txn_chars") == [(0,)]


# ---- settings follow the transaction ---------------------------------------------------------

def test_set_in_rolled_back_block_is_undone(conn):
    make_table(conn, "txn_setrb", rows=12)
    run(conn, "SET hnsw.ef_search = 10")
    run(conn, "BEGIN")
    run(conn, "SET hnsw.ef_search = 20")
    assert run(conn, "SELECT DISTINCT current_setting('hnsw.ef_search') FROM txn_setrb") == [("20",)]
    run(conn, "ROLLBACK")
    assert run(conn, "SHOW hnsw.ef_search") == [("10",)]
    assert run(conn, "SELECT DISTINCT current_setting('hnsw.ef_search') FROM txn_setrb") == [("10",)]
    run(conn, "BEGIN")
    run(conn, "SAVEPOINT a")
    run(conn, "SET hnsw.ef_search = 30")
    run(conn, "ROLLBACK TO SAVEPOINT a")
    assert run(conn, "SELECT DISTINCT current_setting('hnsw.ef_search') FROM txn_setrb") == [("10",)]
    run(conn, "SET hnsw.ef_search = 40")
    run(conn, "COMMIT")
    assert run(conn, "SHOW hnsw.ef_search") == [("40",)]


def test_set_local_survives_a_session_set_in_the_block(conn):
    make_table(conn, "txn_setlocal", rows=12)
    run(conn, "BEGIN")
    run(conn, "SELECT count(*) FROM txn_setlocal")
    run(conn, "SET LOCAL work_mem = '1234kB'")
    run(conn, "SET hnsw.ef_search = 77")
    assert run(conn, "SELECT DISTINCT current_setting('work_mem') FROM txn_setlocal") == [("1234kB",)]
    run(conn, "COMMIT")
    assert run(conn, "SELECT DISTINCT current_setting('work_mem') FROM txn_setlocal") == [("4MB",)]


def test_savepoint_reaches_nodes_that_join_the_block_later(conn):
    make_table(conn, "txn_sp", rows=0)
    run(conn, "BEGIN")
    run(conn, "SAVEPOINT a")
    run(conn, "INSERT INTO txn_sp VALUES (1,1),(2,2),(3,3),(4,4),(5,5),(6,6),(7,7),(8,8)")
    run(conn, "ROLLBACK TO SAVEPOINT a")
    run(conn, "INSERT INTO txn_sp VALUES (9, 9)")
    run(conn, "RELEASE SAVEPOINT a")
    run(conn, "COMMIT")
    assert run(conn, "SELECT id FROM txn_sp") == [(9,)]
    run(conn, "BEGIN")
    assert error_of(conn, "ROLLBACK TO SAVEPOINT nope") == "3B001"
    run(conn, "ROLLBACK")


# ---- metadata changes take effect at commit ---------------------------------------------------

def test_drop_table_in_rolled_back_block_keeps_the_table(conn):
    make_table(conn, "txn_drop", rows=20)
    run(conn, "BEGIN")
    run(conn, "DROP TABLE txn_drop")
    run(conn, "ROLLBACK")
    assert "txn_drop" in tables(conn)
    assert run(conn, "SELECT count(*) FROM txn_drop") == [(20,)]
    run(conn, "INSERT INTO txn_drop VALUES (21, 21), (22, 22), (23, 23), (24, 24)")
    assert run(conn, "SELECT count(*) FROM txn_drop") == [(24,)]
    # A savepoint taken before the DROP undoes it too.
    run(conn, "BEGIN")
    run(conn, "SAVEPOINT s")
    run(conn, "DROP TABLE txn_drop")
    run(conn, "ROLLBACK TO SAVEPOINT s")
    run(conn, "COMMIT")
    assert run(conn, "SELECT count(*) FROM txn_drop") == [(24,)]
    # Committed, it is gone everywhere.
    run(conn, "BEGIN")
    run(conn, "DROP TABLE txn_drop")
    assert error_of(conn, "SELECT count(*) FROM txn_drop") == "42P01"
    run(conn, "ROLLBACK")
    run(conn, "BEGIN")
    run(conn, "DROP TABLE txn_drop")
    run(conn, "COMMIT")
    assert "txn_drop" not in tables(conn)
    assert error_of(conn, "SELECT count(*) FROM txn_drop") == "42P01"


def test_alter_table_in_rolled_back_block_keeps_the_columns(conn):
    make_table(conn, "txn_alter", rows=6)
    run(conn, "BEGIN")
    run(conn, "ALTER TABLE txn_alter ADD COLUMN extra int DEFAULT 7")
    assert run(conn, "SELECT sum(extra) FROM txn_alter") == [(42,)]
    run(conn, "ROLLBACK")
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM txn_alter ORDER BY id LIMIT 1")
        assert [d[0] for d in cur.description] == ["id", "v"]
    run(conn, "INSERT INTO txn_alter VALUES (7, 7), (8, 8)")
    run(conn, "ALTER TABLE txn_alter ADD COLUMN extra int DEFAULT 7")
    run(conn, "INSERT INTO txn_alter VALUES (9, 9), (10, 10)")
    assert run(conn, "SELECT count(*), sum(extra) FROM txn_alter") == [(10, 70)]


def test_node_membership_is_refused_in_a_block(cluster, conn):
    run(conn, "BEGIN")
    assert error_of(conn, "SELECT jade_add_node('127.0.0.1', 1)") == "25001"
    run(conn, "ROLLBACK")
    run(conn, "CREATE TABLE IF NOT EXISTS txn_plain (id bigint PRIMARY KEY, v int)")
    run(conn, "BEGIN")
    assert error_of(conn, "SELECT create_distributed_table('txn_plain', 'id')") == "25001"
    run(conn, "ROLLBACK")
    assert "txn_plain" not in tables(conn)


# ---- maintenance commands ----------------------------------------------------------------------

def test_vacuum_analyze_reindex_cluster_truncate(conn):
    make_table(conn, "txn_maint", rows=30)
    run(conn, "CREATE TABLE IF NOT EXISTS txn_maint_plain (id int)")
    run(conn, "CREATE INDEX txn_maint_v ON txn_maint (v)")
    for sql in ["VACUUM txn_maint", "VACUUM ANALYZE txn_maint", "ANALYZE txn_maint", "VACUUM (ANALYZE) txn_maint (v)",
                "VACUUM txn_maint, txn_maint_plain", "VACUUM", "ANALYZE", "REINDEX TABLE txn_maint",
                "CLUSTER txn_maint USING txn_maint_v", "CLUSTER txn_maint"]:
        run(conn, sql)
    # The shards were analyzed: their statistics exist on the workers.
    assert run(conn, "SELECT count(*) FROM txn_maint") == [(30,)]
    run(conn, "BEGIN")
    assert error_of(conn, "VACUUM txn_maint") == "25001"
    run(conn, "ROLLBACK")
    run(conn, "BEGIN")
    run(conn, "ANALYZE txn_maint")
    run(conn, "TRUNCATE txn_maint, txn_maint_plain")
    assert run(conn, "SELECT count(*) FROM txn_maint") == [(0,)]
    run(conn, "ROLLBACK")
    assert run(conn, "SELECT count(*) FROM txn_maint") == [(30,)]
    run(conn, "TRUNCATE txn_maint")
    assert run(conn, "SELECT count(*) FROM txn_maint") == [(0,)]


def test_vacuum_reaches_every_shard(cluster, conn):
    make_table(conn, "txn_vac", rows=40)
    run(conn, "DELETE FROM txn_vac WHERE id <= 20")
    run(conn, "VACUUM txn_vac")
    shards = run(conn, "SELECT shard_id FROM jade_shards WHERE table_name = 'txn_vac'")
    seen = 0
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc, wc.cursor() as cur:
            cur.execute("SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname LIKE 'txn_vac_%'")
            for name, count in cur.fetchall():
                assert count >= 1, name
                seen += 1
    assert seen == len(shards)


# ---- schemas -------------------------------------------------------------------------------------

def test_schemas_qualified_names_and_search_path(conn):
    run(conn, "DROP SCHEMA IF EXISTS txn_s CASCADE")
    run(conn, "CREATE SCHEMA txn_s")
    run(conn, "CREATE TABLE txn_s.items (id bigint PRIMARY KEY, v int)")
    run(conn, "SELECT create_distributed_table('txn_s.items', 'id', shard_count => 4)")
    run(conn, "INSERT INTO txn_s.items VALUES (1, 10), (2, 20), (3, 30), (4, 40)")
    assert run(conn, "SELECT sum(v) FROM txn_s.items") == [(100,)]
    # A same-named table in public is another table.
    make_table(conn, "items_txn_s_shadow")
    run(conn, "SET search_path = txn_s, public")
    assert run(conn, "SELECT count(*) FROM items") == [(4,)]
    assert run(conn, "SELECT v FROM items WHERE id = 3") == [(30,)]
    run(conn, "CREATE TABLE other (id int PRIMARY KEY, w text)")
    run(conn, "SELECT create_distributed_table('other', 'id', shard_count => 3)")
    run(conn, "INSERT INTO other VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    run(conn, "RESET search_path")
    assert run(conn, "SELECT count(*) FROM txn_s.other") == [(3,)]
    assert error_of(conn, "SELECT count(*) FROM other") == "42P01"
    assert {"txn_s.items", "txn_s.other"} <= tables(conn)
    run(conn, "DROP SCHEMA txn_s CASCADE")
    assert not {"txn_s.items", "txn_s.other"} & tables(conn)
    assert error_of(conn, "SELECT count(*) FROM txn_s.items") == "42P01"


def test_drop_schema_without_cascade_keeps_everything(conn):
    run(conn, "DROP SCHEMA IF EXISTS txn_r CASCADE")
    run(conn, "CREATE SCHEMA txn_r")
    run(conn, "CREATE TABLE txn_r.t (id bigint PRIMARY KEY)")
    run(conn, "SELECT create_distributed_table('txn_r.t', 'id', shard_count => 4)")
    run(conn, "INSERT INTO txn_r.t VALUES (1), (2), (3)")
    assert error_of(conn, "DROP SCHEMA txn_r") == "2BP01"
    assert run(conn, "SELECT count(*) FROM txn_r.t") == [(3,)]
    run(conn, "DROP SCHEMA txn_r CASCADE")
