#!/usr/bin/python3
"""latency_probe — the coordinator's own costs on a local cluster, for profiling (not a test).

Starts a cluster through scripts/lib/cluster.py (3 workers unless --workers), loads N clustered
D-dimensional vectors through the coordinator with text COPY into a table distributed over
--shards shards, builds a FAISS IVF index through the coordinator, then measures with a minimal
libpq client (ctypes; prepared statements, vectors as binary parameters, as drivers send them):

* COPY rate through the coordinator (rows/s, no index yet), text and binary format;
* point SELECT `SELECT id, embedding FROM t WHERE id = $1`: p50/p95 through the coordinator vs
  the same prepared statement on the worker's shard table (interleaved, same keys);
* cross-shard top-10 `SELECT id FROM t ORDER BY embedding <-> $1 LIMIT 10` per nprobe: p50/p95
  through the coordinator vs, per query, the slowest shard's own LIMIT 10 query run directly on
  its worker (shards queried one at a time, right after the coordinator's query of the same
  vector); ratio = coordinator p95 / slowest-shard p95. Also the floor of any one-query-per-shard
  fan-out on this machine: the same shard queries sent all at once by the client itself; and the
  CPU time per query of the coordinator and of the workers (all their backends), through the
  coordinator and with the client sending the shard queries itself (steadier than latency on a
  shared machine).

    /usr/bin/python3 coordinator/tools/latency_probe.py --build-dir /work/build-co [--n 50000]
        [--dim 128] [--shards 8] [--queries 200] [--nprobe 1,8] [--keep DIR]

Numbers depend on the machine and on what else runs on it; run it twice and compare.
"""

import argparse
import contextlib
import ctypes
import ctypes.util
import io
import os
import struct
import sys
import time

import numpy as np
import psycopg2

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from lib.cluster import Cluster  # noqa: E402

TABLE = "probe_vectors"


class Pq:
    """The few libpq calls this tool needs."""

    def __init__(self, dsn):
        lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
        for name, res, args in (("PQconnectdb", vp, [cp]), ("PQstatus", i, [vp]), ("PQerrorMessage", cp, [vp]),
                                ("PQfinish", None, [vp]), ("PQexec", vp, [vp, cp]),
                                ("PQprepare", vp, [vp, cp, cp, i, ctypes.c_void_p]),
                                ("PQexecPrepared", vp, [vp, cp, i, ctypes.POINTER(cp), ctypes.POINTER(i),
                                                        ctypes.POINTER(i), i]),
                                ("PQsendQueryPrepared", i, [vp, cp, i, ctypes.POINTER(cp), ctypes.POINTER(i),
                                                            ctypes.POINTER(i), i]),
                                ("PQgetResult", vp, [vp]),
                                ("PQresultStatus", i, [vp]), ("PQresultErrorMessage", cp, [vp]),
                                ("PQntuples", i, [vp]), ("PQgetvalue", cp, [vp, i, i]), ("PQclear", None, [vp])):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        self.lib = lib
        self.conn = lib.PQconnectdb(dsn.encode())
        if lib.PQstatus(self.conn) != 0:
            raise RuntimeError(lib.PQerrorMessage(self.conn).decode())

    def _check(self, res):
        status = self.lib.PQresultStatus(res)
        try:
            if status not in (1, 2):
                raise RuntimeError(self.lib.PQresultErrorMessage(res).decode())
            return [self.lib.PQgetvalue(res, r, 0) for r in range(self.lib.PQntuples(res))]
        finally:
            self.lib.PQclear(res)

    def execute(self, sql):
        return self._check(self.lib.PQexec(self.conn, sql.encode()))

    def prepare(self, name, sql, nparams):
        self._check(self.lib.PQprepare(self.conn, name.encode(), sql.encode(), nparams, None))

    def run(self, name, value, binary):
        values = (ctypes.c_char_p * 1)(value)
        lengths = (ctypes.c_int * 1)(len(value))
        formats = (ctypes.c_int * 1)(1 if binary else 0)
        return self._check(self.lib.PQexecPrepared(self.conn, name.encode(), 1, values, lengths, formats, 0))

    def send(self, name, value, binary):
        """Starts a prepared statement without waiting (finish with collect())."""
        values = (ctypes.c_char_p * 1)(value)
        lengths = (ctypes.c_int * 1)(len(value))
        formats = (ctypes.c_int * 1)(1 if binary else 0)
        if self.lib.PQsendQueryPrepared(self.conn, name.encode(), 1, values, lengths, formats, 0) != 1:
            raise RuntimeError(self.lib.PQerrorMessage(self.conn).decode())

    def collect(self):
        """Waits for the results of send(); returns the rows' first column."""
        rows = None
        while True:
            res = self.lib.PQgetResult(self.conn)
            if not res:
                return rows
            rows = self._check(res)

    def close(self):
        self.lib.PQfinish(self.conn)


def clustered(n, dim, seed):
    """n float32 vectors from a Gaussian mixture of max(8, n/500) components."""
    rng = np.random.default_rng(seed)
    k = max(8, n // 500)
    centers = rng.normal(size=(k, dim)).astype(np.float32)
    return (centers[rng.integers(0, k, size=n)] + 0.15 * rng.normal(size=(n, dim))).astype(np.float32)


def vec_binary(v):
    return struct.pack(">HH", len(v), 0) + np.asarray(v, dtype=">f4").tobytes()


def pct(values, q):
    return 1e3 * float(np.percentile(np.asarray(values), q))


def load(cl, vectors, shards, lists):
    """Create, distribute, COPY (timed) and index the probe table; return COPY rows/s."""
    with contextlib.closing(cl.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("DROP TABLE IF EXISTS %s" % TABLE)
        cur.execute("CREATE TABLE %s (id bigint PRIMARY KEY, embedding vector(%d))" % (TABLE, vectors.shape[1]))
        cur.execute("SELECT create_distributed_table('%s', 'id', shard_count => %d)" % (TABLE, shards))
        buf = io.StringIO()
        for i, v in enumerate(vectors):
            buf.write("%d\t[%s]\n" % (i, ",".join("%.6g" % x for x in v)))
        data = buf.getvalue()
        t0 = time.perf_counter()
        cur.copy_expert("COPY %s FROM STDIN" % TABLE, io.StringIO(data))
        rate = len(vectors) / (time.perf_counter() - t0)
        # The same rows again as binary COPY (int8 id, the vector's binary send format), into a twin table.
        cur.execute("DROP TABLE IF EXISTS %s_bin" % TABLE)
        cur.execute("CREATE TABLE %s_bin (id bigint PRIMARY KEY, embedding vector(%d))" % (TABLE, vectors.shape[1]))
        cur.execute("SELECT create_distributed_table('%s_bin', 'id', shard_count => %d)" % (TABLE, shards))
        out = io.BytesIO()
        out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        head = struct.pack(">hi", 2, 8)  # two fields; the first (id) is 8 bytes
        vlen = 4 + 4 * vectors.shape[1]
        for i, v in enumerate(vectors):
            out.write(head + struct.pack(">q", i) + struct.pack(">iHH", vlen, len(v), 0) +
                      np.asarray(v, dtype=">f4").tobytes())
        out.write(struct.pack(">h", -1))
        out.seek(0)
        t0 = time.perf_counter()
        try:
            cur.copy_expert("COPY %s_bin FROM STDIN (FORMAT binary)" % TABLE, out)
            rate_binary = len(vectors) / (time.perf_counter() - t0)
            cur.execute("SELECT count(*) FROM %s_bin" % TABLE)
            assert cur.fetchone()[0] == len(vectors)
        except psycopg2.errors.FeatureNotSupported:  # a coordinator from before binary COPY
            rate_binary = float("nan")
        cur.execute("DROP TABLE %s_bin" % TABLE)
        cur.execute("CREATE INDEX %s_ivf ON %s USING faiss (embedding vector_l2_ops) WITH (factory = 'IVF%d,Flat')"
                    % (TABLE, TABLE, lists))
        cur.execute("ANALYZE %s" % TABLE)
        cur.execute("SELECT shard_name, port FROM jade_shards WHERE table_name = %s ORDER BY shard_id", (TABLE,))
        return rate, rate_binary, cur.fetchall()


def point(cl, shard_map, n, count, rng):
    """Interleaved point SELECTs through the coordinator and directly on the owning shard."""
    coord = Pq(cl.dsn())
    coord.prepare("pt", "SELECT id, embedding FROM %s WHERE id = $1" % TABLE, 1)
    direct = {}
    for w in cl.workers:
        direct[w.port] = Pq("host=127.0.0.1 port=%d dbname=postgres user=postgres" % w.port)
    owner = {}
    for name, port in shard_map:
        direct[port].prepare("pt_" + name, "SELECT id, embedding FROM %s WHERE id = $1" % name, 1)
        for (k,) in [(int(x),) for x in direct[port].execute("SELECT id FROM %s" % name)]:
            owner[k] = (port, "pt_" + name)
    lat_c, lat_d = [], []
    for key in rng.integers(0, n, size=count).tolist():
        port, stmt = owner[key]
        arg = str(key).encode()
        for _ in range(2):
            coord.run("pt", arg, False)
            direct[port].run(stmt, arg, False)
        t0 = time.perf_counter()
        coord.run("pt", arg, False)
        lat_c.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        direct[port].run(stmt, arg, False)
        lat_d.append(time.perf_counter() - t0)
    coord.close()
    for d in direct.values():
        d.close()
    return lat_c, lat_d


def cpu_seconds(pids):
    """User+system CPU seconds of these processes and their children (PostgreSQL backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if int(entry) in pids or int(fields[1]) in pids:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def server_pids(cl):
    """(coordinator pid, worker postmaster pids)."""
    workers = set()
    for w in cl.workers:
        with open(os.path.join(w.datadir, "postmaster.pid")) as f:
            workers.add(int(f.readline()))
    return cl.coordinator.pid(), workers


def knn_sessions(cl, shard_map, queries, nprobe):
    """A prepared top-10 statement through the coordinator ("knn") and on each shard directly ("k"),
    both warmed up (plans, caches, connection pools) on the first 50 queries: (coord, conns, params)."""
    coord = Pq(cl.dsn())
    coord.execute("SET jadevector.nprobe = %d" % nprobe)
    coord.prepare("knn", "SELECT id FROM %s ORDER BY embedding <-> $1 LIMIT 10" % TABLE, 1)
    params = [vec_binary(q) for q in queries]
    conns = []
    for name, port in shard_map:
        c = Pq("host=127.0.0.1 port=%d dbname=postgres user=postgres" % port)
        c.execute("SET jadevector.nprobe = %d" % nprobe)
        c.prepare("k", "SELECT id FROM %s ORDER BY embedding <-> $1 LIMIT 10" % name, 1)
        conns.append(c)
    for p in params[:50]:
        coord.run("knn", p, True)
        for c in conns:
            c.run("k", p, True)
    return coord, conns, params


def topk_cpu(cl, shard_map, queries, nprobe, rounds=3):
    """CPU per query (coordinator, workers) through the coordinator and with the client fanning out."""
    coord_pid, worker_pids = server_pids(cl)
    coord, conns, params = knn_sessions(cl, shard_map, queries, nprobe)
    coord_cpu = via_workers = direct_workers = 0.0
    for _ in range(rounds):  # alternating, so background work (autovacuum, ...) spreads over both
        c0, w0 = cpu_seconds({coord_pid}), cpu_seconds(worker_pids)
        for p in params:
            coord.run("knn", p, True)
        c1, w1 = cpu_seconds({coord_pid}), cpu_seconds(worker_pids)
        for p in params:
            for c in conns:
                c.send("k", p, True)
            for c in conns:
                c.collect()
        w2 = cpu_seconds(worker_pids)
        coord_cpu += c1 - c0
        via_workers += w1 - w0
        direct_workers += w2 - w1
    coord.close()
    for c in conns:
        c.close()
    n = rounds * len(params)
    return 1e6 * coord_cpu / n, 1e6 * via_workers / n, 1e6 * direct_workers / n


def topk(cl, shard_map, queries, nprobe):
    """Per query, interleaved (so load from elsewhere hits both alike): the coordinator's latency,
    then each shard's own query on its worker, one at a time; returns (coordinator, slowest shard)."""
    coord, conns, params = knn_sessions(cl, shard_map, queries, nprobe)
    lat_c, worst, total, together = [], [], [], []
    for p in params:
        t0 = time.perf_counter()
        coord.run("knn", p, True)
        lat_c.append(time.perf_counter() - t0)
        w = s = 0.0
        for c in conns:
            t0 = time.perf_counter()
            c.run("k", p, True)
            d = time.perf_counter() - t0
            w, s = max(w, d), s + d
        worst.append(w)
        total.append(s)
        # The floor of any one-query-per-shard fan-out: every shard query sent at once by this client.
        t0 = time.perf_counter()
        for c in conns:
            c.send("k", p, True)
        for c in conns:
            c.collect()
        together.append(time.perf_counter() - t0)
    coord.close()
    for c in conns:
        c.close()
    return lat_c, worst, total, together


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.environ.get("JADE_BUILD_DIR") or os.path.join(REPO, "build"))
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--nprobe", default="1,8")
    ap.add_argument("--point-queries", type=int, default=500)
    ap.add_argument("--keep", help="cluster directory to create and keep running (default: temporary, removed)")
    args = ap.parse_args()
    vectors = clustered(args.n + args.queries, args.dim, 7)
    base, queries = vectors[:args.n], vectors[args.n:]
    lists = max(8, int(round((args.n / args.shards) ** 0.5)))
    settings = {"shared_buffers": "256MB"}
    cl = Cluster(workers=args.workers, build_dir=args.build_dir, dir=args.keep, worker_settings=settings)
    cl.start()
    try:
        rate, rate_binary, shard_map = load(cl, base, args.shards, lists)
        print("COPY %d x %d through the coordinator: text %.0f rows/s, binary %.0f rows/s"
              % (args.n, args.dim, rate, rate_binary))
        rng = np.random.default_rng(11)
        lat_c, lat_d = point(cl, shard_map, args.n, args.point_queries, rng)
        print("point SELECT: coordinator p50 %.3f p95 %.3f ms, direct p50 %.3f p95 %.3f ms, added p50 %.3f ms"
              % (pct(lat_c, 50), pct(lat_c, 95), pct(lat_d, 50), pct(lat_d, 95), pct(lat_c, 50) - pct(lat_d, 50)))
        for nprobe in [int(x) for x in args.nprobe.split(",")]:
            coord_cpu, workers_cpu, direct_cpu = topk_cpu(cl, shard_map, queries, nprobe)
            print("top-10 nprobe=%d CPU per query: coordinator %.0f us + workers %.0f us through the coordinator; "
                  "workers %.0f us when the client sends the shard queries itself" % (nprobe, coord_cpu, workers_cpu,
                                                                                      direct_cpu))
            c, s, total, together = topk(cl, shard_map, queries, nprobe)
            print("top-10 nprobe=%d (%d shards, IVF%d): coordinator p50 %.2f p95 %.2f ms, slowest shard p50 %.2f "
                  "p95 %.2f ms, ratio p95 %.2f | all shards sent at once by the client p50 %.2f p95 %.2f ms, "
                  "one after another p50 %.2f ms" % (nprobe, args.shards, lists, pct(c, 50), pct(c, 95), pct(s, 50),
                                                     pct(s, 95), pct(c, 95) / pct(s, 95), pct(together, 50),
                                                     pct(together, 95), pct(total, 50)))
    finally:
        if args.keep:
            cl.stop()
        else:
            cl.destroy()


if __name__ == "__main__":
    main()
