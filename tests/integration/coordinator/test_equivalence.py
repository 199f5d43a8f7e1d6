"""Result equivalence: statements through the coordinator over 3 workers == the same on one PostgreSQL.

The same schema and rows are created through the coordinator (table `items` distributed by `id`
over 6 shards, table `tags` by a text key over 4 shards) and on a plain reference server. Rows are
loaded through every write path: multi-row INSERT, COPY text, COPY CSV. Each read statement runs on
both and the results must be equal (as multisets unless the statement has a total order). Each
write statement runs on both; the row counts and afterwards the whole tables must be equal.
Worker tables are inspected directly to prove that the rows really are spread over all workers.
"""

import contextlib
import io

import psycopg2
import pytest

from conftest import cluster_fixture, plain_pg_fixture
from coordinator import helpers as h

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=3)
ref = plain_pg_fixture("ref-equiv")

SCHEMA = [
    "CREATE TABLE items (id bigint PRIMARY KEY, category int NOT NULL, price numeric(10,2), name text, "
    "embedding vector(%d))" % h.DIMS,
    "CREATE TABLE tags (tag text PRIMARY KEY, weight int, note text)",
]
DISTRIBUTE = [
    "SELECT create_distributed_table('items', 'id', shard_count => 6)",
    "SELECT create_distributed_table('tags', 'tag', shard_count => 4)",
]
INSERT_SQL = "INSERT INTO items VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * 25)


@pytest.fixture(scope="module")
def conns(cluster, ref):
    """(coordinator connection, reference connection) with identical schema and data."""
    cc = cluster.connect()
    rc = ref.connect()
    try:
        for conn, distributed in ((cc, True), (rc, False)):
            with conn.cursor() as cur:
                cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
                for sql in SCHEMA:
                    cur.execute(sql)
                if distributed:
                    for sql in DISTRIBUTE:
                        cur.execute(sql)
                # Multi-row INSERTs (rows of one statement land on many shards).
                rows = h.make_rows(1, 200)
                for i in range(0, 200, 25):
                    cur.execute(INSERT_SQL, [v for r in rows[i:i + 25] for v in r])
                cur.copy_expert("COPY items FROM STDIN", io.StringIO(h.copy_text(h.make_rows(201, 150))))
                cur.copy_expert("COPY items (id, category, price, name, embedding) FROM STDIN WITH (FORMAT csv)",
                                io.StringIO(h.copy_csv(h.make_rows(351, 150))))
                tags = "".join("tag-%d,%d,note %d\n" % (i, i * 3 % 11, i) for i in range(60))
                cur.copy_expert("COPY tags FROM STDIN (FORMAT csv)", io.StringIO(tags))
                cur.execute("ANALYZE items")
        yield cc, rc
    finally:
        cc.close()
        rc.close()


def test_rows_are_spread_over_all_workers(cluster, conns):
    """Every worker holds some of the 500 rows, in shard tables, and together exactly all of them."""
    cc, _ = conns
    _, shards, _ = h.fetch(cc, "SELECT shard_name, port FROM jade_shards WHERE table_name = 'items'")
    assert len(shards) == 6
    per_port = {}
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc:
            for name, port in shards:
                if port == w.port:
                    _, rows, _ = h.fetch(wc, 'SELECT count(*) FROM "%s"' % name)
                    per_port[port] = per_port.get(port, 0) + rows[0][0]
    assert sorted(per_port) == sorted(w.port for w in cluster.workers), per_port
    assert all(n > 0 for n in per_port.values()), per_port
    assert sum(per_port.values()) == 500


def test_placement_matches_postgresql_hash_partitioning(cluster, conns):
    """A row sits in the shard whose index PostgreSQL's satisfies_hash_partition names (reproducible from SQL)."""
    cc, rc = conns
    _, shards, _ = h.fetch(cc, "SELECT shard_name, hash_modulus, hash_remainder, port FROM jade_shards "
                               "WHERE table_name = 'items'")
    with rc.cursor() as cur:
        cur.execute("CREATE TABLE hp (id bigint) PARTITION BY HASH (id)")
    try:
        for name, modulus, remainder, port in shards:
            w = next(w for w in cluster.workers if w.port == port)
            with contextlib.closing(w.connect()) as wc:
                _, ids, _ = h.fetch(wc, 'SELECT id FROM "%s"' % name)
            assert ids, "shard %s is empty" % name
            _, bad, _ = h.fetch(rc, "SELECT count(*) FROM unnest(%s::bigint[]) AS k "
                                    "WHERE NOT satisfies_hash_partition('hp'::regclass, %s, %s, k)",
                                [[i for (i,) in ids], modulus, remainder])
            assert bad[0][0] == 0, "%d rows of %s are not in hash partition %s/%s" % (bad[0][0], name, remainder,
                                                                                    modulus)
    finally:
        with rc.cursor() as cur:
            cur.execute("DROP TABLE hp")


def knn(op, q, where="", limit=10, offset=None, cols="id"):
    tail = " OFFSET %d" % offset if offset is not None else ""
    return ("SELECT %s, embedding %s '%s' AS dist FROM items %sORDER BY embedding %s '%s' LIMIT %d%s"
            % (cols, op, q, where, op, q, limit, tail))


# (statement, ordered): ordered means the statement has a total order and row order must match.
READS = [
    ("SELECT * FROM items WHERE id = 42", True),
    ("SELECT id, name FROM items WHERE id = 499", True),
    ("SELECT * FROM items WHERE id = -1", True),
    ("SELECT id, price FROM items WHERE id IN (3, 170, 333, 480)", False),
    ("SELECT id, category FROM items WHERE id BETWEEN 100 AND 160", False),
    ("SELECT id, category FROM items WHERE id >= 100 AND id < 160 ORDER BY id", True),
    ("SELECT id, price FROM items WHERE category = 3 AND price > 500 ORDER BY price DESC, id", True),
    ("SELECT * FROM items", False),
    ("SELECT id FROM items ORDER BY id LIMIT 10", True),
    ("SELECT id FROM items ORDER BY id DESC LIMIT 10 OFFSET 5", True),
    ("SELECT id, price FROM items ORDER BY price, id LIMIT 15 OFFSET 30", True),
    ("SELECT id, name FROM items ORDER BY name LIMIT 20", True),
    ("SELECT id FROM items ORDER BY id OFFSET 490", True),
    ("SELECT count(*) FROM items", True),
    ("SELECT count(*) FROM items WHERE category = 2", True),
    ("SELECT count(*), sum(price), min(price), max(price), avg(price) FROM items", True),
    ("SELECT sum(id), avg(id), min(id), max(id), count(price) FROM items", True),
    ("SELECT min(name), max(name) FROM items", True),
    ("SELECT count(*), sum(price), avg(price) FROM items WHERE id < 0", True),
    ("SELECT sum(category::float8), avg(category::float8) FROM items", True),
    ("SELECT category, count(*), sum(price), avg(price), min(id), max(id) FROM items GROUP BY category", False),
    ("SELECT category, count(*) FROM items GROUP BY category ORDER BY category", True),
    ("SELECT category, count(*) AS n FROM items GROUP BY category ORDER BY n DESC, category LIMIT 3", True),
    ("SELECT category, avg(price) FROM items WHERE id > 250 GROUP BY category ORDER BY category OFFSET 2", True),
    ("SELECT count(*) FROM items GROUP BY category ORDER BY 1", True),
    ("SELECT DISTINCT category FROM items ORDER BY category", True),
    ("SELECT * FROM tags WHERE tag = 'tag-17'", True),
    ("SELECT tag, weight FROM tags ORDER BY tag LIMIT 12", True),
    ("SELECT weight, count(*), max(tag) FROM tags GROUP BY weight", False),
]
for _op in h.OPERATORS:
    READS.append((knn(_op, h.QUERIES[0]), True))
    READS.append((knn(_op, h.QUERIES[1], where="WHERE category IN (1, 2) ", limit=7), True))
    READS.append((knn(_op, h.QUERIES[0], where="WHERE price < 300 AND id > 50 ", limit=5, cols="id, name"), True))
    READS.append((knn(_op, h.QUERIES[1], limit=5, offset=3), True))
READS.append(("SELECT id FROM items ORDER BY embedding <-> '%s' LIMIT 8" % h.QUERIES[1], True))
READS.append(("SELECT id, category FROM items WHERE category = 5 ORDER BY embedding <=> '%s' LIMIT 3" % h.QUERIES[0],
              True))


@pytest.mark.parametrize("sql,ordered", READS, ids=[s for s, _ in READS])
def test_read_equivalence(conns, sql, ordered):
    cc, rc = conns
    if " AS dist FROM" in sql:
        h.assert_no_ties(rc, sql.replace("LIMIT", "LIMIT 1 +", 1) if "OFFSET" not in sql else sql)
    names_c, got, _ = h.fetch(cc, sql)
    names_r, want, _ = h.fetch(rc, sql)
    assert names_c == names_r
    diff = h.diff_results(got, want, ordered)
    assert diff is None, "%s\n%s" % (sql, diff)


def test_prepared_reads_match(conns):
    """Every read as a prepared statement executed repeatedly (psycopg 3, prepare=True): the coordinator
    reuses its plan (fan-outs run one combined statement per worker node) and prepares the shard
    statements on the workers; results still equal plain PostgreSQL's, on every execution."""
    psycopg = pytest.importorskip("psycopg")
    cc, rc = conns
    with psycopg.connect(cc.dsn, autocommit=True) as pc, psycopg.connect(rc.dsn, autocommit=True) as pr:
        for sql, ordered in READS:
            want = pr.execute(sql).fetchall()
            for _ in range(3):  # first run plans and prepares, the later ones reuse both
                got = pc.execute(sql, prepare=True).fetchall()
                diff = h.diff_results(got, want, ordered)
                assert diff is None, "%s\n%s" % (sql, diff)


def test_server_side_parameters(conns):
    """The same reads with $n parameters sent separately (extended protocol, psycopg 3) match."""
    psycopg = pytest.importorskip("psycopg")
    cc, rc = conns
    statements = [
        ("SELECT * FROM items WHERE id = %s", (77,), True),
        ("SELECT id, category FROM items WHERE id = ANY(%s) ORDER BY id", ([5, 6, 7, 300],), True),
        ("SELECT id, embedding <-> %s::vector AS d FROM items WHERE category = %s ORDER BY embedding <-> %s::vector "
         "LIMIT %s", (h.QUERIES[0], 4, h.QUERIES[0], 6), True),
        ("SELECT category, count(*) FROM items WHERE price > %s GROUP BY category ORDER BY category", (250,), True),
    ]
    with psycopg.connect(cc.dsn, autocommit=True) as pc, psycopg.connect(rc.dsn, autocommit=True) as pr:
        for sql, params, ordered in statements:
            got = pc.execute(sql, params, prepare=True).fetchall()
            want = pr.execute(sql, params).fetchall()
            diff = h.diff_results(got, want, ordered)
            assert diff is None, "%s %r\n%s" % (sql, params, diff)
            # Binary results (int8, numeric, text, and the vector type's send format) on both sides.
            with pc.cursor(binary=True) as cur_c, pr.cursor(binary=True) as cur_r:
                got_b = cur_c.execute(sql, params).fetchall()
                want_b = cur_r.execute(sql, params).fetchall()
            diff = h.diff_results(got_b, want_b, ordered)
            assert diff is None, "binary: %s %r\n%s" % (sql, params, diff)


def compare_tables(conns):
    """Both sides hold exactly the same rows in items and tags."""
    cc, rc = conns
    for sql in ("SELECT * FROM items ORDER BY id", "SELECT * FROM tags ORDER BY tag"):
        _, got, _ = h.fetch(cc, sql)
        _, want, _ = h.fetch(rc, sql)
        diff = h.diff_results(got, want, True)
        assert diff is None, "%s\n%s" % (sql, diff)


WRITES = [
    "UPDATE items SET price = price + 1 WHERE category = 4",
    "UPDATE items SET name = 'renamed' WHERE id = 7",
    "UPDATE items SET embedding = '[0.1,0.2,0.3,0.4]' WHERE id IN (8, 9, 400)",
    "DELETE FROM items WHERE id % 17 = 0",
    "DELETE FROM items WHERE id = 3",
    "DELETE FROM items WHERE id = -5",
    "INSERT INTO items VALUES (1001, 1, 10.50, 'a', '[1,0,0,0]'), (1002, 2, 20.25, 'b', '[0,1,0,0]'), "
    "(1003, 3, 30, 'c', '[0,0,1,0]'), (1004, 4, NULL, NULL, NULL), (1005, 5, 5, 'e', '[0,0,0,1]')",
    "INSERT INTO items (id, category) VALUES (1006, 6)",
    "UPDATE tags SET weight = weight * 2 WHERE weight > 5",
    "DELETE FROM tags WHERE tag LIKE 'tag-1%'",
]


@pytest.mark.parametrize("sql", WRITES)
def test_write_equivalence(conns, sql):
    cc, rc = conns
    _, _, n_c = h.fetch(cc, sql)
    _, _, n_r = h.fetch(rc, sql)
    assert n_c == n_r, "row count of %s: %d through the coordinator, %d on PostgreSQL" % (sql, n_c, n_r)
    compare_tables(conns)


def test_returning(conns):
    cc, rc = conns
    for sql, ordered in (("INSERT INTO items VALUES (2001, 1, 1, 'r1', '[1,1,1,1]'), (2002, 2, 2, 'r2', "
                          "'[2,2,2,2]'), (2003, 3, 3, 'r3', '[3,3,3,3]') RETURNING id, name", False),
                         ("UPDATE items SET price = price * 2 WHERE id >= 2001 RETURNING id, price", False),
                         ("DELETE FROM items WHERE id = 2002 RETURNING *", True)):
        _, got, _ = h.fetch(cc, sql)
        _, want, _ = h.fetch(rc, sql)
        assert h.diff_results(got, want, ordered) is None, sql
    compare_tables(conns)


def run_transaction(conn, statements, end):
    """Run statements in a BEGIN ... end block on a non-autocommit psycopg2 connection."""
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
        conn.commit() if end == "COMMIT" else conn.rollback()
    finally:
        conn.rollback()
        conn.autocommit = True


@pytest.mark.parametrize("end", ["COMMIT", "ROLLBACK"])
def test_transaction_single_shard(conns, end):
    cc, rc = conns
    stmts = ["UPDATE items SET price = 1 WHERE id = 11", "UPDATE items SET name = 'tx' WHERE id = 11",
             "DELETE FROM items WHERE id = 11 AND category = 99"]
    for conn in conns:
        run_transaction(conn, stmts, end)
    compare_tables(conns)


@pytest.mark.parametrize("end", ["COMMIT", "ROLLBACK"])
def test_transaction_multi_shard(conns, end):
    """Writes on many shards in one transaction: all or nothing (2PC on commit)."""
    stmts = ["INSERT INTO items VALUES (3001, 1, 1, 'm1', '[1,2,3,4]'), (3002, 2, 2, 'm2', '[4,3,2,1]'), "
             "(3003, 3, 3, 'm3', '[1,1,2,2]'), (3004, 4, 4, 'm4', '[2,2,1,1]')",
             "UPDATE items SET price = price + 100 WHERE category = 6",
             "DELETE FROM items WHERE id IN (20, 21, 22, 23, 24)"]
    if end == "ROLLBACK":
        stmts[0] = stmts[0].replace("300", "400")
    for conn in conns:
        run_transaction(conn, stmts, end)
    compare_tables(conns)


def test_failed_transaction_leaves_nothing(conns):
    """A worker error in the middle of a multi-shard transaction: same SQLSTATE, then nothing of it is visible."""
    for conn in conns:
        conn.autocommit = False
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO items VALUES (5001, 1, 1, 'f', '[0,0,0,1]'), (5002, 2, 2, 'g', '[0,0,1,0]')")
                cur.execute("UPDATE items SET price = price + 1 WHERE category = 1")
                with pytest.raises(psycopg2.errors.DataException) as e:
                    cur.execute("UPDATE items SET embedding = '[1,2]' WHERE id = 44")
                assert e.value.pgcode == "22000"
                with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
                    cur.execute("SELECT 1")
        finally:
            conn.rollback()
            conn.autocommit = True
    compare_tables(conns)


def test_primary_key_enforced_after_distribution(conns):
    """The shard-key PRIMARY KEY of a distributed table still rejects a duplicate (as on one server)."""
    cc, rc = conns
    dup = "INSERT INTO items VALUES (42, 1, 1, 'dup', '[1,1,1,1]')"
    with rc.cursor() as cur, pytest.raises(psycopg2.errors.UniqueViolation):
        cur.execute(dup)
    accepted = True
    try:
        with cc.cursor() as cur:
            cur.execute(dup)
    except psycopg2.errors.UniqueViolation:
        accepted = False
    if accepted:  # keep the tables equal for the tests after this one
        with cc.cursor() as cur:
            cur.execute("DELETE FROM items WHERE id = 42 AND name = 'dup'")
    assert not accepted, "duplicate primary key accepted through the coordinator (shard tables lack the PK)"
    compare_tables(conns)


def test_copy_after_changes(conns):
    """COPY text and CSV again (also rows with quoted commas/quotes/newlines), then everything equal."""
    cc, rc = conns
    rows = h.make_rows(6001, 40)
    tricky = [(6100, 1, "1.00", 'multi\nline, "quoted"', "[0.1,0.1,0.1,0.1]")]
    for conn in conns:
        with conn.cursor() as cur:
            cur.copy_expert("COPY items FROM STDIN", io.StringIO(h.copy_text(rows[:20])))
            cur.copy_expert("COPY items FROM STDIN WITH (FORMAT csv, HEADER true)",
                            io.StringIO("id,category,price,name,embedding\n" + h.copy_csv(rows[20:] + tricky)))
    compare_tables(conns)
    for op in h.OPERATORS:
        sql = knn(op, h.QUERIES[1], limit=12)
        _, got, _ = h.fetch(cc, sql)
        _, want, _ = h.fetch(rc, sql)
        assert h.diff_results(got, want, True) is None, sql
