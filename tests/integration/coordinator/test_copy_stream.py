"""COPY FROM STDIN through the coordinator is streamed: a large COPY keeps the coordinator's memory bounded.

About 40 MB of text-format vectors (120,000 rows × 32 dimensions) is streamed in 64 KiB chunks
through the coordinator into 6 shards. Afterwards every row is there (count, sum of ids, per-shard
counts on the workers add up), and the coordinator's resident memory grew by far less than the
data size (it never held the whole COPY). The rate is printed for information only.
"""

import contextlib
import os
import random
import struct
import time

import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=3)

ROWS = 120000
DIMS = 32
MAX_RSS_GROWTH = 32 << 20  # bytes; the data streamed is ~40 MB


class CopySource:
    """A file-like object producing COPY text rows on demand (never the whole payload in memory)."""

    def __init__(self, rows, dims, seed=7):
        self.rng = random.Random(seed)
        self.next_id = 1
        self.rows = rows
        self.dims = dims
        self.buf = b""
        self.bytes = 0

    def read(self, size=65536):
        while len(self.buf) < size and self.next_id <= self.rows:
            lines = []
            for _ in range(200):
                if self.next_id > self.rows:
                    break
                vec = ",".join("%.5f" % self.rng.random() for _ in range(self.dims))
                lines.append("%d\t%d\t[%s]\n" % (self.next_id, self.next_id % 10, vec))
                self.next_id += 1
            self.buf += "".join(lines).encode()
        out, self.buf = self.buf[:size], self.buf[size:]
        self.bytes += len(out)
        return out

    readline = read


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def test_large_copy_is_streamed_with_bounded_memory(cluster):
    pid = cluster.coordinator.pid()
    assert pid
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("CREATE TABLE vecs (id bigint, category int, embedding vector(%d))" % DIMS)
        cur.execute("SELECT create_distributed_table('vecs', 'id', shard_count => 6)")
        before = rss_bytes(pid)
        src = CopySource(ROWS, DIMS)
        t0 = time.time()
        cur.copy_expert("COPY vecs FROM STDIN", src, size=65536)
        elapsed = time.time() - t0
        after = rss_bytes(pid)
        print("\nCOPY through the coordinator: %d rows, %.1f MB in %.2f s = %.0f rows/s; coordinator RSS %+.1f MB"
              % (ROWS, src.bytes / 1e6, elapsed, ROWS / elapsed, (after - before) / 1e6))
        assert src.bytes > 30e6
        assert after - before < MAX_RSS_GROWTH, "coordinator RSS grew by %.1f MB during a %.1f MB COPY" % (
            (after - before) / 1e6, src.bytes / 1e6)
        cur.execute("SELECT count(*), sum(id), min(id), max(id) FROM vecs")
        assert cur.fetchone() == (ROWS, ROWS * (ROWS + 1) // 2, 1, ROWS)
        cur.execute("SELECT shard_name, port FROM jade_shards WHERE table_name = 'vecs'")
        shards = cur.fetchall()
    total = 0
    for name, port in shards:
        w = next(w for w in cluster.workers if w.port == port)
        with contextlib.closing(w.connect()) as wc, wc.cursor() as cur:
            cur.execute('SELECT count(*) FROM "%s"' % name)
            n = cur.fetchone()[0]
            assert n > ROWS / 6 * 0.8, "shard %s holds only %d rows" % (name, n)
            total += n
    assert total == ROWS
    assert os.path.exists("/proc/%d" % pid) and cluster.coordinator.alive()


TXN_ROWS = 30000


@pytest.fixture(scope="module")
def txn_table(cluster):
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("CREATE TABLE tcopy (id bigint PRIMARY KEY, category int, embedding vector(%d))" % DIMS)
        cur.execute("SELECT create_distributed_table('tcopy', 'id', shard_count => 6)")
    return "tcopy"


def counts(conn, table):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), sum(id) FROM %s" % table)
        n, total = cur.fetchone()
        return n, total or 0


def test_copy_inside_a_transaction_block(cluster, txn_table):
    """COPY into a distributed table inside BEGIN ... COMMIT: the block's later statements see the rows,
    ROLLBACK removes them all, COMMIT (two-phase across the workers) keeps them all."""
    with contextlib.closing(cluster.connect(autocommit=False)) as conn:
        for end in ("ROLLBACK", "COMMIT"):
            with conn.cursor() as cur:
                cur.execute("UPDATE %s SET category = 0 WHERE id = -1" % txn_table)  # the block is open
                cur.copy_expert("COPY %s FROM STDIN" % txn_table, CopySource(TXN_ROWS, DIMS), size=65536)
                assert cur.rowcount == TXN_ROWS
                assert counts(conn, txn_table) == (TXN_ROWS, TXN_ROWS * (TXN_ROWS + 1) // 2)
                cur.execute("DELETE FROM %s WHERE id <= 10" % txn_table)  # reads and writes its own rows
                assert cur.rowcount == 10
            conn.rollback() if end == "ROLLBACK" else conn.commit()
            with contextlib.closing(cluster.connect()) as other:
                want = (0, 0) if end == "ROLLBACK" else (TXN_ROWS - 10, TXN_ROWS * (TXN_ROWS + 1) // 2 - 55)
                assert counts(other, txn_table) == want, end
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT port FROM jade_shards WHERE table_name = %s", (txn_table,))
        assert len({p for (p,) in cur.fetchall()}) == 3  # the committed COPY wrote on every worker (2PC)
        for w in cluster.workers:
            with contextlib.closing(w.connect()) as wc, wc.cursor() as wcur:
                wcur.execute("SELECT count(*) FROM pg_prepared_xacts")
                assert wcur.fetchone()[0] == 0


def test_copy_error_inside_a_transaction_block_fails_the_block(cluster, txn_table):
    """A bad row (duplicate key on a shard) fails the COPY and the block; nothing of the block remains."""
    import psycopg2
    with contextlib.closing(cluster.connect()) as conn:
        before = counts(conn, txn_table)
    with contextlib.closing(cluster.connect(autocommit=False)) as conn:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO %s VALUES (-5, 1, NULL)" % txn_table)
            data = "".join("%d\t1\t\\N\n" % i for i in (-100, -101, 20, -102))  # 20 exists already
            with pytest.raises(psycopg2.errors.UniqueViolation):
                cur.copy_expert("COPY %s FROM STDIN" % txn_table, _Text(data))
            with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
                cur.execute("SELECT 1")
        conn.rollback()
    with contextlib.closing(cluster.connect()) as conn:
        assert counts(conn, txn_table) == before


class _Text:
    """A file-like object over a str for copy_expert."""

    def __init__(self, text):
        self.data = text.encode()

    def read(self, size=65536):
        out, self.data = self.data[:size], self.data[size:]
        return out

    readline = read


def test_binary_copy(cluster):
    """Binary COPY (psycopg 3) into a distributed table: every row reaches its shard, values exact, on its
    own (2PC over the shards) and inside a transaction block."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        conn.execute("CREATE TABLE bcopy (id bigint, tag text, score float8, embedding vector(3))")
        conn.execute("SELECT create_distributed_table('bcopy', 'id', shard_count => 5)")
        conn.execute("CREATE TABLE bcopy_t (tag text, n int)")
        conn.execute("SELECT create_distributed_table('bcopy_t', 'tag', shard_count => 3)")
        rows = [(i, "t%d" % (i % 13), i / 7.0, (i, -i, i % 5)) for i in range(1, 2001)]
        with conn.cursor().copy("COPY bcopy (id, tag, score, embedding) FROM STDIN (FORMAT binary)") as cp:
            # The vector in its binary send format (int16 dimensions, int16 unused, float4s), passed as raw bytes.
            cp.set_types(["int8", "text", "float8", "bytea"])
            for i, tag, score, vec in rows:
                cp.write_row((i, tag, score, struct.pack(">HH3f", 3, 0, *vec)))
        got = conn.execute("SELECT id, tag, score, embedding::text FROM bcopy ORDER BY id").fetchall()
        assert got == [(i, t, s, "[%d,%d,%d]" % v) for i, t, s, v in rows]
        with conn.transaction():
            with conn.cursor().copy("COPY bcopy_t FROM STDIN (FORMAT binary)") as cp:
                cp.set_types(["text", "int4"])
                for i in range(300):
                    cp.write_row(("k%d" % i, i))
            assert conn.execute("SELECT count(*), sum(n) FROM bcopy_t").fetchone() == (300, 44850)
        assert conn.execute("SELECT count(*), sum(n) FROM bcopy_t").fetchone() == (300, 44850)
        assert conn.execute("SELECT n FROM bcopy_t WHERE tag = 'k123'").fetchone() == (123,)
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("COPY bcopy FROM STDIN (FORMAT binary, HEADER)")
