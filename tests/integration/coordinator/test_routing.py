"""Shard routing evaluates the key as PostgreSQL would (issue 8, "Shard routing").

Every row written through the coordinator is found again by a point query on its key, whatever
form the key took (casts with typmods, literals in any input form, COPY, varchar(n) excess
spaces); predicates the router cannot evaluate exactly go to every shard; constraints no shard
can enforce are refused on every path.
"""

import contextlib
import io

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


def error_of(c, sql, params=None):
    with pytest.raises(psycopg2.Error) as e:
        run(c, sql, params)
    return e.value.pgcode


def distribute(c, name, ddl, key, shards=8):
    run(c, "DROP TABLE IF EXISTS %s" % name)
    run(c, "CREATE TABLE %s %s" % (name, ddl))
    run(c, "SELECT create_distributed_table(%s, %s, shard_count => %s)", (name, key, shards))


def test_varchar_key_cast_and_excess_spaces(conn):
    distribute(conn, "rt_vk", "(k varchar(3) PRIMARY KEY, v int)", "k")
    run(conn, "INSERT INTO rt_vk VALUES ('abcdef'::varchar(3), 1)")        # stored 'abc'
    run(conn, "INSERT INTO rt_vk VALUES ('de     ', 2)")                    # stored 'de '
    run(conn, "INSERT INTO rt_vk VALUES ('fgh   ', 3), ('ij', 4)")          # 'fgh', 'ij'
    with conn.cursor() as cur:
        cur.copy_expert("COPY rt_vk FROM STDIN", io.StringIO("kl      \t5\nmno \t6\n"))  # 'kl ', 'mno'
    assert run(conn, "SELECT v FROM rt_vk WHERE k = 'abc'") == [(1,)]
    stored = run(conn, "SELECT k, v FROM rt_vk ORDER BY v")
    assert stored == [("abc", 1), ("de ", 2), ("fgh", 3), ("ij", 4), ("kl ", 5), ("mno", 6)]
    for k, v in stored:
        assert run(conn, "SELECT v FROM rt_vk WHERE k = %s", (k,)) == [(v,)], k
        assert run(conn, "DELETE FROM rt_vk WHERE k = %s RETURNING v", (k,)) == [(v,)], k
    assert error_of(conn, "INSERT INTO rt_vk VALUES ('abcd', 7)") == "22001"


def test_casts_on_the_key_column_fan_out(conn):
    distribute(conn, "rt_tk", "(k text PRIMARY KEY, v int)", "k")
    run(conn, "INSERT INTO rt_tk VALUES ('5', 1), ('05', 2), (' 5', 3), ('6', 4)")
    assert run(conn, "SELECT v FROM rt_tk WHERE k::int = 5 ORDER BY v") == [(1,), (2,), (3,)]
    assert run(conn, "SELECT v FROM rt_tk WHERE k = '05'") == [(2,)]
    assert run(conn, "SELECT v FROM rt_tk WHERE k = ' 5'") == [(3,)]
    assert run(conn, "SELECT v FROM rt_tk WHERE k::varchar(1) = '0'") == [(2,)]
    assert run(conn, "UPDATE rt_tk SET v = v * 10 WHERE k::int = 5 RETURNING v") is not None
    assert run(conn, "SELECT sum(v) FROM rt_tk") == [(64,)]
    distribute(conn, "rt_ik", "(id bigint PRIMARY KEY, v int)", "id")
    run(conn, "INSERT INTO rt_ik VALUES ('  7', 1), ('+8', 2), (9.4, 3), ('10'::text::int, 4)")
    assert run(conn, "SELECT id, v FROM rt_ik ORDER BY id") == [(7, 1), (8, 2), (9, 3), (10, 4)]
    for key, v in [("7", 1), ("'7'", 1), ("7.0", 1), ("'8'::int2", 2), ("9", 3), ("'10'", 4)]:
        assert run(conn, "SELECT v FROM rt_ik WHERE id = %s" % key) == [(v,)], key
    assert run(conn, "SELECT v FROM rt_ik WHERE id::text = '07'") == []
    assert run(conn, "SELECT v FROM rt_ik WHERE id = 7.5") == []
    assert run(conn, "SELECT count(*) FROM rt_ik WHERE id IN (7, '8', 9.0)") == [(3,)]


def test_uuid_key_in_any_input_form(conn):
    distribute(conn, "rt_uk", "(u uuid PRIMARY KEY, v int)", "u")
    forms = ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12}",
             "a0eebc999c0b4ef8bb6d6bb9bd380a13", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a14"]
    for i, f in enumerate(forms):
        run(conn, "INSERT INTO rt_uk VALUES (%s, %s)", (f, i))
    for i, f in enumerate(forms):
        assert run(conn, "SELECT v FROM rt_uk WHERE u = %s", (f,)) == [(i,)]
        assert run(conn, "SELECT v FROM rt_uk WHERE u = %s::uuid", (f.upper(),)) == [(i,)]


def test_null_key_behaves_as_postgresql(conn):
    distribute(conn, "rt_nk", "(id bigint PRIMARY KEY, v int)", "id")
    assert error_of(conn, "INSERT INTO rt_nk VALUES (NULL, 1)") == "23502"
    with conn.cursor() as cur, pytest.raises(psycopg2.Error) as e:
        cur.copy_expert("COPY rt_nk FROM STDIN", io.StringIO("1\t1\n\\N\t2\n"))
    assert e.value.pgcode == "23502"
    distribute(conn, "rt_nn", "(id bigint, v int)", "id")
    run(conn, "INSERT INTO rt_nn VALUES (NULL, 1), (2, 2)")
    assert run(conn, "SELECT count(*) FROM rt_nn WHERE id IS NULL") == [(1,)]
    assert run(conn, "SELECT count(*) FROM rt_nn WHERE id = NULL") == [(0,)]


def test_unenforceable_constraints_are_refused(conn):
    distribute(conn, "rt_c", "(id bigint PRIMARY KEY, v int)", "id")
    for sql in ["ALTER TABLE rt_c ADD COLUMN u int UNIQUE",
                "ALTER TABLE rt_c ADD COLUMN u int PRIMARY KEY",
                "ALTER TABLE rt_c ADD CONSTRAINT u UNIQUE (v)",
                "ALTER TABLE rt_c ALTER COLUMN id TYPE text",
                "ALTER TABLE rt_c ALTER COLUMN id TYPE int",
                "ALTER TABLE rt_c ADD COLUMN s serial",
                "ALTER TABLE rt_c ADD COLUMN s bigint GENERATED ALWAYS AS IDENTITY",
                "ALTER TABLE rt_c ADD COLUMN r int REFERENCES rt_c (id)",
                "ALTER TABLE rt_c ADD CONSTRAINT x EXCLUDE USING btree (v WITH =)",
                "CREATE UNIQUE INDEX rt_c_v ON rt_c (v)",
                "ALTER TABLE rt_c DROP COLUMN id"]:
        assert error_of(conn, sql) == "0A000", sql
    # Enforceable ones work, constraint names reach the shards' own copies.
    run(conn, "ALTER TABLE rt_c ADD COLUMN w int CHECK (w > 0), ADD CONSTRAINT vu UNIQUE (id, v)")
    run(conn, "ALTER TABLE rt_c ALTER COLUMN v TYPE bigint")
    run(conn, "ALTER TABLE rt_c RENAME CONSTRAINT vu TO vu2")
    run(conn, "ALTER TABLE rt_c DROP CONSTRAINT vu2")
    run(conn, "INSERT INTO rt_c VALUES (1, 1, 1), (2, 1, 2)")
    assert error_of(conn, "INSERT INTO rt_c VALUES (3, 1, 0)") == "23514"
    assert run(conn, "SELECT count(*) FROM rt_c") == [(2,)]
