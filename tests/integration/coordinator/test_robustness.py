"""No client input ends the coordinator process (issue 8, robustness).

`SELECT count(*) FROM items jade_shard_placeholder_x` used to kill the coordinator (the fan-out
template parsed a client's alias as its own placeholder number and std::stoul threw through the
event loop). Now placeholder names cannot be forged, and any exception thrown for a session is
caught at the session boundary. Each statement below runs through the coordinator while a second
session, opened before, must keep working and the coordinator process must stay the same.
"""

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(240)

cluster = cluster_fixture(workers=2)


@pytest.fixture(scope="module")
def items(cluster):
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE items (id bigint PRIMARY KEY, category text, price int)")
    cur.execute("INSERT INTO items SELECT g, 'c' || (g % 3), g FROM generate_series(1, 50) g")
    cur.execute("SELECT create_distributed_table('items', 'id', shard_count => 4)")
    conn.close()
    return cluster


def test_placeholder_names_are_not_forgeable(items):
    pid = items.coordinator.pid()
    bystander = items.connect()
    bcur = bystander.cursor()
    conn = items.connect()
    cur = conn.cursor()
    # The reported crash, then aliases and literals that look like the template's placeholders.
    for sql in [
        "SELECT count(*) FROM items jade_shard_placeholder_x",
        "SELECT count(*) FROM items jade_shard_placeholder_0",
        "SELECT count(*) FROM items \"JADE_SHARD_PLACEHOLDER_0\"",
        "SELECT count(*) FROM items jade_shard_placeholder_99999999999999999999999",
        "SELECT count(*) FROM items WHERE category <> 'jade_shard_placeholder_0'",
        "SELECT count(*) FROM items jade_shard_placeholder_1_0 WHERE category <> 'jade_shard_placeholder_0'",
    ]:
        cur.execute(sql)
        assert cur.fetchone()[0] == 50, sql
    cur.execute("SELECT jade_shard_placeholder_0.id FROM items jade_shard_placeholder_0 "
                "ORDER BY jade_shard_placeholder_0.id LIMIT 3")
    assert [r[0] for r in cur.fetchall()] == [1, 2, 3]
    bcur.execute("SELECT count(*) FROM items")
    assert bcur.fetchone()[0] == 50
    assert items.coordinator.pid() == pid and items.coordinator.alive()


def test_out_of_range_numbers_are_errors_not_crashes(items):
    pid = items.coordinator.pid()
    conn = items.connect()
    cur = conn.cursor()
    for sql in [
        "SELECT * FROM jade_nodes LIMIT 99999999999999999999",
        "SELECT * FROM jade_nodes WHERE node_id = 99999999999999999999",
        "SELECT * FROM items ORDER BY id LIMIT 99999999999999999999",
        "SELECT * FROM items WHERE id = 99999999999999999999",
    ]:
        try:
            cur.execute(sql)
            cur.fetchall()
        except psycopg2.Error as e:
            # Whatever the statement's fate, it is an ordinary error of this session.
            assert e.pgcode != "XX000", (sql, e.pgerror)
    cur.execute("SELECT count(*) FROM items")
    assert cur.fetchone()[0] == 50
    assert items.coordinator.pid() == pid and items.coordinator.alive()
    log = items.coordinator.log_tail(200)
    assert "internal error in" not in log, log
