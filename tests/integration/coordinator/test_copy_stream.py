"""COPY FROM STDIN through the coordinator is streamed: a large COPY keeps the coordinator's memory bounded.

About 40 MB of text-format vectors (120,000 rows × 32 dimensions) is streamed in 64 KiB chunks
through the coordinator into 6 shards. Afterwards every row is there (count, sum of ids, per-shard
counts on the workers add up), and the coordinator's resident memory grew by far less than the
data size (it never held the whole COPY). The rate is printed for information only.
"""

import contextlib
import os
import random
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
