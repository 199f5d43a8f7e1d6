"""kNN on halfvec, sparsevec and bit columns of a distributed table == the same on one PostgreSQL.

A table with `vector`, `halfvec`, `sparsevec` and `bit` columns is distributed by id over 6 shards on
2 workers and loaded through every write path (multi-row INSERT, COPY text, binary COPY whose bytes
come from the reference server's `COPY ... TO STDOUT (FORMAT binary)`); the reference server holds
the same rows. Every distance operator of every type runs as ORDER BY ... LIMIT k through the
coordinator (shard queries + k-way merge on the hidden distance column) and must return exactly the
reference's rows and distances: in text (psycopg2) and in binary result format (psycopg 3), where
the coordinator encodes the vector types itself from the workers' text (their OIDs learned from a
worker). The same holds with ivfflat / faiss indexes created through the coordinator when they are
told to probe every list (then they are exact on every shard).
"""

import contextlib
import io
import random

import pytest

from conftest import cluster_fixture, plain_pg_fixture
from coordinator import helpers as h

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=2)
ref = plain_pg_fixture("ref-vtypes")

ROWS = 480
HALF_DIMS = 12
SPARSE_DIMS = 40
BITS = 48
SCHEMA = ("CREATE TABLE vt (id bigint PRIMARY KEY, v vector(%d), h halfvec(%d), s sparsevec(%d), b bit(%d))"
          % (HALF_DIMS, HALF_DIMS, SPARSE_DIMS, BITS))
INSERT_SQL = "INSERT INTO vt VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * 20)


def make_rows(first, count, seed=777):
    """Rows (id, vector, halfvec, sparsevec, bit) as text; halfvec values are exact halves."""
    rng = random.Random(seed + first)
    rows = []
    for i in range(first, first + count):
        dense = [rng.randint(-2000, 2000) / 256.0 for _ in range(HALF_DIMS)]  # exact in binary16
        vec = "[%s]" % ",".join(repr(x) for x in dense)
        nnz = rng.randint(1, 6)
        idx = sorted(rng.sample(range(1, SPARSE_DIMS + 1), nnz))
        sparse = "{%s}/%d" % (",".join("%d:%s" % (j, repr(rng.randint(-999, 999) / 64.0 or 1.0)) for j in idx),
                              SPARSE_DIMS)
        bits = "".join(rng.choice("01") for _ in range(BITS))
        rows.append((i, vec, vec, sparse, bits))
    return rows


QUERY_DENSE = "[%s]" % ",".join(repr(x / 8.0) for x in range(-6, 6))
QUERY_SPARSE = "{2:1.5,7:-3,19:0.25,33:2}/%d" % SPARSE_DIMS
QUERY_BITS = "".join("1" if (i * 7) % 5 < 2 else "0" for i in range(BITS))

# (column, operator, query literal): every distance operator of every new type, and vector's.
KNN = [("h", op, "'%s'::halfvec" % QUERY_DENSE) for op in h.OPERATORS]
KNN += [("s", op, "'%s'::sparsevec" % QUERY_SPARSE) for op in h.OPERATORS]
KNN += [("b", op, "B'%s'" % QUERY_BITS) for op in ("<~>", "<%>")]
KNN += [("v", "<->", "'%s'::vector" % QUERY_DENSE)]


def knn_sql(col, op, q, limit=10, extra_cols=""):
    # `id` breaks ties (bit distances repeat a lot): a total order on both sides.
    return ("SELECT id%s, %s %s %s AS d FROM vt ORDER BY %s %s %s, id LIMIT %d"
            % (extra_cols, col, op, q, col, op, q, limit))


@pytest.fixture(scope="module")
def conns(cluster, ref):
    """(coordinator connection, reference connection) with the same table and rows."""
    cc = cluster.connect()
    rc = ref.connect()
    try:
        binary_rows = make_rows(321, 160)
        with rc.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
            # The binary COPY stream both sides load: pgvector's send formats from PostgreSQL itself.
            cur.execute(SCHEMA.replace("vt (", "staging ("))
            cur.copy_expert("COPY staging FROM STDIN", io.StringIO(h.copy_text(binary_rows)))
            blob = io.BytesIO()
            cur.copy_expert("COPY staging TO STDOUT (FORMAT binary)", blob)
            cur.execute("DROP TABLE staging")
        for conn, distributed in ((cc, True), (rc, False)):
            with conn.cursor() as cur:
                cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
                cur.execute(SCHEMA)
                if distributed:
                    cur.execute("SELECT create_distributed_table('vt', 'id', shard_count => 6)")
                rows = make_rows(1, 160)
                for i in range(0, 160, 20):
                    cur.execute(INSERT_SQL, [x for r in rows[i:i + 20] for x in r])
                cur.copy_expert("COPY vt FROM STDIN", io.StringIO(h.copy_text(make_rows(161, 160))))
                cur.copy_expert("COPY vt FROM STDIN (FORMAT binary)", io.BytesIO(blob.getvalue()))
                cur.execute("ANALYZE vt")
        yield cc, rc
    finally:
        cc.close()
        rc.close()


def test_rows_arrive_on_every_worker_and_equal_the_reference(cluster, conns):
    """Every path delivered every row, byte for byte as text, and both workers hold shards."""
    cc, rc = conns
    _, got, _ = h.fetch(cc, "SELECT id, v::text, h::text, s::text, b::text FROM vt ORDER BY id")
    _, want, _ = h.fetch(rc, "SELECT id, v::text, h::text, s::text, b::text FROM vt ORDER BY id")
    assert len(want) == ROWS
    assert got == want
    _, shards, _ = h.fetch(cc, "SELECT shard_name, port FROM jade_shards WHERE table_name = 'vt'")
    per_port = {}
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc:
            for name, port in shards:
                if port == w.port:
                    _, rows, _ = h.fetch(wc, 'SELECT count(*) FROM "%s"' % name)
                    per_port[port] = per_port.get(port, 0) + rows[0][0]
    assert len(per_port) == 2 and all(n > 0 for n in per_port.values()), per_port
    assert sum(per_port.values()) == ROWS


@pytest.mark.parametrize("col,op,q", KNN, ids=["%s %s" % (c, o) for c, o, _ in KNN])
def test_knn_equals_single_server(conns, col, op, q):
    cc, rc = conns
    for sql in (knn_sql(col, op, q), knn_sql(col, op, q, limit=3, extra_cols=", %s" % col)):
        _, got, _ = h.fetch(cc, sql)
        _, want, _ = h.fetch(rc, sql)
        assert len(want) > 0
        diff = h.diff_results(got, want, True)
        assert diff is None, "%s\n%s" % (sql, diff)


def test_binary_results_of_the_new_types(conns):
    """Binary result format (psycopg 3): the coordinator encodes halfvec/sparsevec/vector/bit
    columns of merged kNN rows exactly as the types' send functions do on one server."""
    psycopg = pytest.importorskip("psycopg")
    cc, rc = conns
    with psycopg.connect(cc.dsn, autocommit=True) as pc, psycopg.connect(rc.dsn, autocommit=True) as pr:
        for col, op, q in KNN:
            sql = knn_sql(col, op, q, limit=5, extra_cols=", v, h, s, b")
            with pc.cursor(binary=True) as cur_c, pr.cursor(binary=True) as cur_r:
                got = cur_c.execute(sql).fetchall()
                want = cur_r.execute(sql).fetchall()
            assert len(want) == 5
            diff = h.diff_results(got, want, True)
            assert diff is None, "binary: %s\n%s" % (sql, diff)
        # A single-shard statement with mixed formats converts too (the relay path).
        sql = "SELECT id, h, s, b FROM vt WHERE id = 42"
        with pc.cursor() as cur_c, pr.cursor() as cur_r:
            cur_c.execute(sql, binary=True)
            cur_r.execute(sql, binary=True)
            assert cur_c.fetchall() == cur_r.fetchall()


def test_knn_through_indexes_created_on_the_coordinator(conns):
    """ivfflat on halfvec and faiss on bit, created through the coordinator on every shard; probing
    every list they are exact, so the merged answer is still the reference's."""
    cc, rc = conns
    with cc.cursor() as cur:
        cur.execute("CREATE INDEX vt_h_ivf ON vt USING ivfflat (h halfvec_l2_ops) WITH (lists = 4)")
        cur.execute("CREATE INDEX vt_b_faiss ON vt USING faiss (b bit_hamming_ops) WITH (factory = 'IVF4,Flat')")
        cur.execute("SET ivfflat.probes = 4")
        cur.execute("SET jadevector.nprobe = 4")
        cur.execute("SET enable_seqscan = off")
    try:
        for col, op, q in [("h", "<->", "'%s'::halfvec" % QUERY_DENSE), ("b", "<~>", "B'%s'" % QUERY_BITS)]:
            sql = knn_sql(col, op, q).replace(", id LIMIT", " LIMIT")
            _, got, _ = h.fetch(cc, sql)
            _, want, _ = h.fetch(rc, knn_sql(col, op, q))
            # Bit distances tie: compare distances, and the ids where the distance is not shared.
            assert [r[1] for r in got] == [r[1] for r in want], sql
            if col == "h":
                assert [r[0] for r in got] == [r[0] for r in want], sql
    finally:
        with cc.cursor() as cur:
            cur.execute("RESET ivfflat.probes")
            cur.execute("RESET jadevector.nprobe")
            cur.execute("RESET enable_seqscan")
            cur.execute("DROP INDEX vt_h_ivf")
            cur.execute("DROP INDEX vt_b_faiss")
