"""Benchmarks through jade-coordinator: the same kNN sweep over 1 and 3 workers, plus the
coordinator's own costs measured against direct access to the workers.

Measured per cluster size (workers = 1 and 3), with the table hash-distributed on `id`:
  * COPY rate through the coordinator (text COPY, the format most loaders send; the coordinator also
    accepts binary COPY into a distributed table, not measured here; no index on the table yet);
  * CREATE INDEX through the coordinator (propagated to every shard), then the kNN sweep exactly as on
    a single server (recall@10/@100 vs the same exact ground truth, single-client QPS and latency,
    multi-client QPS) with the search GUCs SET through the coordinator session;
  * point-query overhead: `SELECT id, embedding FROM t WHERE id = $1` through the coordinator versus
    the same statement sent directly to the worker that holds the row's shard (found by asking each
    worker's shard tables); reported as p50/p95 of both and the p50 difference;
  * cross-shard top-10: per query, the coordinator's latency and the latency of the same LIMIT 10 query
    run directly on each shard table (one at a time); compared as the coordinator's p95 against the
    p95 of the per-query slowest shard.
"""

import time
from contextlib import closing

import numpy as np

from . import configs as cfgmod
from . import groundtruth, loader, pgclient, search


class CoordinatorRun:
    """Runs the coordinator measurements on one dataset against one started cluster."""

    def __init__(self, cluster, dataset, gt, opts, log, shard_count=8):
        self.cluster = cluster
        self.ds = dataset
        self.gt_ids, self.gt_dist = gt
        self.opts = opts
        self.log = log
        self.shard_count = shard_count
        self.table = "cbench_" + "".join(c if c.isalnum() else "_" for c in dataset.name.lower())
        self.operator = cfgmod.OPERATOR[dataset.metric]

    def run(self, config):
        """Load through the coordinator, build `config`'s index, measure; return records."""
        cl = self.cluster
        rec = {"workers": cl.workers, "shard_count": self.shard_count, "config": "coord-%dw-%s" % (cl.workers,
                                                                                                 config.name)}
        with closing(cl.coordinator_psycopg()) as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
            cur.execute("DROP TABLE IF EXISTS %s" % self.table)
            cur.execute("CREATE TABLE %s (id bigint NOT NULL, embedding vector(%d))" % (self.table, self.ds.dim))
            cur.execute("SELECT create_distributed_table('%s', 'id', shard_count => %d)" %
                        (self.table, self.shard_count))
            ids = np.arange(self.ds.n, dtype=np.int64)
            secs = loader.copy_rows(conn, self.table, ids, self.ds.base, "text", batch=self.opts["copy_batch"])
            rec["copy"] = {"rows": self.ds.n, "seconds": secs, "vectors_per_s": self.ds.n / secs, "format": "text"}
            self.log("coordinator %d worker(s): COPY %d rows in %.2f s (%.0f vectors/s)" %
                     (cl.workers, self.ds.n, secs, self.ds.n / secs))
            cur.execute("CREATE INDEX ON %s (id)" % self.table)
            ddl = config.ddl(self.table, self.ds.metric)
            t0 = time.perf_counter()
            if ddl:
                cur.execute(ddl)
            rec["build"] = {"seconds": time.perf_counter() - t0, "ddl": ddl}
        rec["point"] = self.point_overhead()
        records = []
        for value in config.values:
            setting = {config.guc: value} if config.guc and value is not None else {}
            using = config.using.replace("{opclass}", cfgmod.OPCLASS[self.ds.metric]) if config.using else None
            r = dict(rec, setting=setting, sweep_guc=config.guc, using=using, kind="coordinator")
            r.update(self.knn(setting))
            records.append(r)
        with closing(cl.coordinator_psycopg()) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS %s" % self.table)
        return records

    def knn(self, setting):
        """kNN sweep point through the coordinator plus the per-shard comparison."""
        o = self.opts
        nq = min(o["queries"], len(self.ds.queries))
        params = search.encode_queries(self.ds.queries[:nq], "binary")
        dsn = self.cluster.coordinator_dsn()
        sess = search.Session(dsn, setting, self.table, self.operator, "binary")
        try:
            ids10, single = search.single_client(sess, params, 10, o["repeats"])
            ids100 = [[int(x) for x in sess.query(100, p)] for p in params]
            coord_lat = _latencies(sess, params, 10)
        finally:
            sess.close()
        shard_max = self._slowest_shard_latencies(setting, params)
        out = {"status": "ok", "queries": nq, "single": single,
               "recall10": groundtruth.recall(self.ds, self.gt_ids, self.gt_dist, ids10, 10, self.ds.metric),
               "recall100": groundtruth.recall(self.ds, self.gt_ids, self.gt_dist, ids100, 100, self.ds.metric),
               "cross_shard": {"coordinator_p95_ms": _pct(coord_lat, 95), "coordinator_p50_ms": _pct(coord_lat, 50),
                               "slowest_shard_p95_ms": _pct(shard_max, 95),
                               "slowest_shard_p50_ms": _pct(shard_max, 50),
                               "ratio_p95": _pct(coord_lat, 95) / max(1e-9, _pct(shard_max, 95))}}
        if o["clients"] > 1 and o["mc_duration"] > 0:
            out["multi"] = search.multi_client(dsn, setting, self.table, self.operator, "binary", params, 10,
                                               o["clients"], o["mc_duration"], o["mc_rounds"])
        self.log("  coord %dw %-24s recall@10 %.4f  %7.1f QPS  p95 %.2f ms (slowest shard p95 %.2f ms)" %
                 (self.cluster.workers, ", ".join("%s=%s" % kv for kv in setting.items()) or "-", out["recall10"],
                  single["qps"], out["cross_shard"]["coordinator_p95_ms"], out["cross_shard"]["slowest_shard_p95_ms"]))
        return out

    def point_overhead(self, count=500):
        """p50/p95 of a shard-key point SELECT through the coordinator and directly on the owning worker."""
        rng = np.random.default_rng(11)
        keys = rng.integers(0, self.ds.n, size=count)
        shards = self._shard_tables()
        owner = {}
        for key in keys[:count].tolist():
            for w, table in shards:
                if w.execute("SELECT 1 FROM %s WHERE id = %d" % (table, key)):
                    owner[key] = (w, table)
                    break
        coord = pgclient.Conn(self.cluster.coordinator_dsn())
        try:
            coord.prepare("pt", "SELECT id, embedding FROM %s WHERE id = $1" % self.table, 1)
            direct_stmts = set()
            lat_c, lat_d = [], []
            for key in keys.tolist():
                w, table = owner[key]
                name = "pt_" + table
                if (id(w), name) not in direct_stmts:
                    w.prepare(name, "SELECT id, embedding FROM %s WHERE id = $1" % table, 1)
                    direct_stmts.add((id(w), name))
                for _ in range(2):  # warm both paths on this key, then time each once, interleaved
                    coord.exec_prepared("pt", [str(key)], [False])
                    w.exec_prepared(name, [str(key)], [False])
                t0 = time.perf_counter()
                coord.exec_prepared("pt", [str(key)], [False])
                lat_c.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                w.exec_prepared(name, [str(key)], [False])
                lat_d.append(time.perf_counter() - t0)
        finally:
            coord.close()
            for w in {id(w): w for w, _ in shards}.values():
                w.close()
        res = {"queries": count, "coordinator_p50_ms": _pct(lat_c, 50), "coordinator_p95_ms": _pct(lat_c, 95),
               "direct_p50_ms": _pct(lat_d, 50), "direct_p95_ms": _pct(lat_d, 95)}
        res["added_p50_ms"] = res["coordinator_p50_ms"] - res["direct_p50_ms"]
        self.log("coordinator %d worker(s): point SELECT p50 %.3f ms vs direct %.3f ms (added %.3f ms)" %
                 (self.cluster.workers, res["coordinator_p50_ms"], res["direct_p50_ms"], res["added_p50_ms"]))
        return res

    def _shard_tables(self):
        """Return [(worker Conn, shard table name)] for every shard of the table on every worker."""
        out = []
        for dsn in self.cluster.worker_dsns():
            w = pgclient.Conn(dsn)
            names = [n.decode() for n in w.execute(
                "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relname ~ '^%s_[0-9]+$' "
                "ORDER BY 1" % self.table)]
            out += [(w, n) for n in names]
            if not names:
                w.close()
        if not out:
            raise RuntimeError("no shard tables named %s_<n> found on the workers" % self.table)
        return out

    def _slowest_shard_latencies(self, setting, params):
        """Per query, the latency of the slowest shard's own LIMIT 10 query (shards queried one by one)."""
        shards = self._shard_tables()
        try:
            for w, table in shards:
                for name, value in setting.items():
                    w.execute("SET %s = %s" % (name, value))
                w.prepare("k_" + table, search.query_sql(table, self.operator, 10), 1)
                for p in params[:20]:
                    w.exec_prepared("k_" + table, [p], [True])
            out = []
            for p in params:
                worst = 0.0
                for w, table in shards:
                    t0 = time.perf_counter()
                    w.exec_prepared("k_" + table, [p], [True])
                    worst = max(worst, time.perf_counter() - t0)
                out.append(worst)
            return out
        finally:
            for w in {id(w): w for w, _ in shards}.values():
                w.close()


def _latencies(sess, params, k):
    out = []
    for p in params:
        t0 = time.perf_counter()
        sess.query(k, p)
        out.append(time.perf_counter() - t0)
    return out


def _pct(values, q):
    return 1e3 * float(np.percentile(np.asarray(values), q))
