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
