"""Runs every configuration against one dataset on one server and yields JSON-ready records.

Per dataset: CREATE TABLE (id bigint, embedding vector(D)), COPY the base rows (timed: load rate
without any index), ANALYZE. Per configuration:
  1. CREATE INDEX in a fresh connection (timed; a sampler thread polls the building backend's
     /proc every 0.2 s for its peak heap (RssAnon) and private memory), pg_relation_size of the index;
  2. per sweep value, an EXPLAIN check (with that value's GUCs) that the kNN query uses the index:
     if the planner prefers a seq scan (small tables, or a wide search the cost model prices above a
     scan), that value is measured with enable_seqscan = off and its record says so;
  3. per sweep value: single-client pass(es) with LIMIT 10 (QPS, latency percentiles, recall@10),
     one pass with LIMIT 100 (recall@100), multi-client QPS, backend memory after the searches;
     a configuration without a sweep (an exact scan) uses only the first `exact_queries` queries,
     one pass and no multi-client when that option is set (the full preset: exact scans of 1M rows);
  4. insert throughput with the index present: COPY of new rows in batches of 1,000, then those
     rows are deleted again;
  5. DROP INDEX, VACUUM (the next configuration starts from the same table).
A configuration whose access method is not installed yields one record with status "skipped";
one that fails yields status "error" with the server's message, and the run goes on.
"""

import threading
from contextlib import closing
import time

import numpy as np

from . import configs as cfgmod
from . import groundtruth, loader, search, server

INSERT_BATCH = 1000


class DatasetRun:
    """Benchmarks the configurations on one dataset loaded into one server."""

    def __init__(self, srv, dataset, gt, opts, log):
        self.srv = srv
        self.ds = dataset
        self.gt_ids, self.gt_dist = gt
        self.opts = opts
        self.log = log
        self.metric = dataset.metric
        self.table = "bench_" + "".join(c if c.isalnum() else "_" for c in dataset.name.lower())
        self.operator = cfgmod.OPERATOR[self.metric]
        self.queries = dataset.queries
        self.load = {}
        self.param_format = opts["param_format"]

    # -- dataset level ---------------------------------------------------------------------
    def load_table(self):
        """Create and fill the table; return the load record (rows, seconds, vectors/s, COPY format)."""
        with closing(self.srv.connect()) as conn:
            fmt, why = loader.pick_copy_format(conn, self.table, self.ds.dim, self.opts["copy_format"])
            if why:
                self.log("note: %s; using text COPY" % why)
            with conn.cursor() as cur:
                cur.execute("DROP TABLE IF EXISTS %s" % self.table)
                cur.execute("CREATE TABLE %s (id bigint NOT NULL, embedding vector(%d))" % (self.table, self.ds.dim))
            ids = np.arange(self.ds.n, dtype=np.int64)
            secs = loader.copy_rows(conn, self.table, ids, self.ds.base, fmt, batch=self.opts["copy_batch"])
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE %s" % self.table)
                cur.execute("SELECT pg_relation_size(%s)", (self.table,))
                table_bytes = cur.fetchone()[0]
        self.load = {"rows": self.ds.n, "seconds": secs, "vectors_per_s": self.ds.n / secs, "format": fmt,
                     "batch_rows": self.opts["copy_batch"] or self.ds.n, "table_bytes": table_bytes}
        self.log("loaded %s: %d rows in %.2f s (%.0f vectors/s, %s COPY)" %
                 (self.table, self.ds.n, secs, self.ds.n / secs, fmt))
        if self.param_format == "binary":
            self.param_format = self._check_binary_param()
        return self.load

    def drop_table(self):
        with closing(self.srv.connect()) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS %s" % self.table)

    # -- configuration level --------------------------------------------------------------
    def run_config(self, cfg, available_ams):
        """Benchmark one configuration; return its list of records (one per sweep value)."""
        using = cfg.using.replace("{opclass}", cfgmod.OPCLASS[self.metric]) if cfg.using else None
        base = {"config": cfg.name, "using": using, "am": cfg.am, "config_params": cfg.params,
                "sweep_guc": cfg.guc, "load": self.load, "param_format": self.param_format}
        if cfg.am and cfg.am not in available_ams:
            self.log("skipped %s: access method %r not available (pg_am has: %s)" %
                     (cfg.name, cfg.am, ", ".join(available_ams)))
            return [dict(base, status="skipped", reason="access method %s not available" % cfg.am)]
        if cfg.guc and not self.srv.guc_exists(cfg.guc):
            self.log("note %s: GUC %s is not defined by the server; the sweep may have no effect" %
                     (cfg.name, cfg.guc))
            base["sweep_guc_undefined"] = True
        records = []
        try:
            base["build"] = self._build(cfg)
            for value in cfg.values:
                setting = {cfg.guc: value} if cfg.guc and value is not None else {}
                extra, plan = self._plan(cfg, setting)
                setting.update(extra)
                records.append(self._measure(dict(base, plan=plan), cfg, setting, value))
            insert = self._insert_rate(cfg.name)
            for r in records:
                r["insert"] = insert
        except Exception as e:  # noqa: BLE001 - reported in the record; the run continues
            msg = " ".join(str(e).split())
            self.log("ERROR in %s: %s" % (cfg.name, msg))
            records.append(dict(base, status="error", reason=msg[:2000]))
        finally:
            self._cleanup(cfg)
        return records

    def _build(self, cfg):
        """CREATE INDEX timed in its own backend; return build record (seconds, bytes, peak heap/private kB)."""
        ddl = cfg.ddl(self.table, self.metric)
        if not ddl:
            return {"seconds": 0.0, "index_bytes": 0, "ddl": None}
        with closing(self.srv.connect()) as conn, conn.cursor() as cur:
            for name, value in self.opts.get("build_gucs", {}).items():
                cur.execute("SET %s = %s" % (name, value))
            if self.opts.get("build_timeout"):
                cur.execute("SET statement_timeout = %d" % (1000 * self.opts["build_timeout"]))
            cur.execute("SELECT pg_backend_pid()")
            sampler = _MemorySampler(cur.fetchone()[0])
            sampler.start()
            t0 = time.perf_counter()
            try:
                cur.execute(ddl)
            finally:
                secs = time.perf_counter() - t0
                sampler.stop()
            index = ddl.split()[2]
            cur.execute("SELECT pg_relation_size(%s)", (index,))
            size = cur.fetchone()[0]
        self.log("built %s in %.2f s, %.1f MB (peak heap %.1f MB in the building backend)" %
                 (cfg.name, secs, size / 1e6, sampler.peak.get("rss_anon", 0) / 1024.0))
        return {"seconds": secs, "index_bytes": size, "ddl": ddl, "index": index,
                "gucs": dict(self.opts.get("build_gucs", {})),
                "backend_peak_private_kb": sampler.peak.get("private"),
                "backend_peak_rss_anon_kb": sampler.peak.get("rss_anon")}

    def _plan(self, cfg, setting):
        """Return (extra GUCs the sessions need, plan record): check the kNN query uses the index."""
        if not cfg.using:
            return {}, {"uses_index": False, "forced": False}
        q = search.query_sql(self.table, self.operator, 10).replace("$1", "'%s'::vector" %
                                                                    _text(self.queries[0]))
        index = cfg.ddl(self.table, self.metric).split()[2]
        with closing(self.srv.connect()) as conn, conn.cursor() as cur:
            for name, value in setting.items():
                cur.execute("SET %s = %s" % (name, search._literal(value)))
            cur.execute("EXPLAIN " + q)
            plan = "\n".join(r[0] for r in cur.fetchall())
            if index in plan:
                return {}, {"uses_index": True, "forced": False}
            cur.execute("SET enable_seqscan = off")
            cur.execute("EXPLAIN " + q)
            plan2 = "\n".join(r[0] for r in cur.fetchall())
        if index in plan2:
            self.log("note %s %s: the planner chose a seq scan; measuring with enable_seqscan = off" %
                     (cfg.name, _setting_str(setting)))
            return {"enable_seqscan": "off"}, {"uses_index": True, "forced": True}
        raise RuntimeError("the kNN query does not use index %s even with enable_seqscan = off:\n%s" %
                           (index, plan2))

    def _measure(self, base, cfg, setting, value):
        """Measure one sweep value; return its record."""
        o = self.opts
        nq = min(o["queries"], len(self.queries))
        repeats, multi_ok = o["repeats"], True
        if cfg.guc is None and o.get("exact_queries"):
            # An exact scan (no search knob) of a big table takes 0.1-1 s per query: a subset of the
            # queries, one pass, no multi-client keeps it to seconds; its recall is 1 by construction.
            nq, repeats, multi_ok = min(o["exact_queries"], nq), 1, False
        params = search.encode_queries(self.queries[:nq], self.param_format)
        sess = search.Session(self.srv.dsn(), setting, self.table, self.operator, self.param_format)
        try:
            pid = sess.conn.backend_pid()
            mem_before = server.backend_memory(pid)
            ids10, single = search.single_client(sess, params, 10, repeats)
            ids100 = [[int(r) for r in sess.query(100, p)] for p in params]
            mem_after = server.backend_memory(pid)
        finally:
            sess.close()
        r10 = groundtruth.recall(self.ds, self.gt_ids, self.gt_dist, ids10, 10, self.metric)
        r100 = groundtruth.recall(self.ds, self.gt_ids, self.gt_dist, ids100, 100, self.metric)
        short = sum(1 for r in ids10 if len(r) < 10)
        short100 = sum(1 for r in ids100 if len(r) < 100)
        multi = None
        if multi_ok and o["clients"] > 1 and o["mc_duration"] > 0:
            multi = search.multi_client(self.srv.dsn(), setting, self.table, self.operator, self.param_format,
                                        params, 10, o["clients"], o["mc_duration"], o["mc_rounds"])
        memory = {"before": mem_before, "after": mem_after}
        if mem_before and mem_after:
            memory["private_delta_kb"] = mem_after["private"] - mem_before["private"]
            memory["anon_delta_kb"] = mem_after.get("rss_anon", 0) - mem_before.get("rss_anon", 0)
        rec = dict(base, status="ok", setting={cfg.guc: value} if cfg.guc and value is not None else {},
                   gucs=setting, queries=nq, repeats=repeats, recall10=r10, recall100=r100, short_results10=short,
                   short_results100=short100,
                   single=single, multi=multi, memory=memory)
        self.log("  %-14s %-26s recall@10 %.4f recall@100 %.4f  %7.1f QPS  p50 %6.2f ms  p99 %6.2f ms%s" %
                 (cfg.name, _setting_str(rec["setting"]), r10, r100, single["qps"], single["p50_ms"],
                  single["p99_ms"], "  %d clients %.1f QPS" % (multi["clients"], multi["qps"]) if multi else ""))
        return rec

    def _insert_rate(self, name):
        """COPY new rows with the index present (batches of 1,000); delete them again; return the record."""
        m = self.opts["insert_rows"]
        if m <= 0:
            return None
        vecs = self.ds.extra_vectors(m)
        ids = np.arange(self.ds.n, self.ds.n + m, dtype=np.int64)
        with closing(self.srv.connect()) as conn:
            secs = loader.copy_rows(conn, self.table, ids, vecs, self.load["format"], batch=INSERT_BATCH)
            with conn.cursor() as cur:
                cur.execute("DELETE FROM %s WHERE id >= %d" % (self.table, self.ds.n))
        self.log("  insert with %s present: %d rows in %.2f s (%.0f vectors/s)" % (name, m, secs, m / secs))
        return {"rows": m, "seconds": secs, "vectors_per_s": m / secs, "method": "COPY, %d-row batches" % INSERT_BATCH}

    def _cleanup(self, cfg):
        """Drop the configuration's index and vacuum away inserted rows (also after a failure)."""
        ddl = cfg.ddl(self.table, self.metric)
        try:
            with closing(self.srv.connect()) as conn, conn.cursor() as cur:
                if ddl:
                    cur.execute("DROP INDEX IF EXISTS %s" % ddl.split()[2])
                cur.execute("DELETE FROM %s WHERE id >= %d" % (self.table, self.ds.n))
                cur.execute("VACUUM %s" % self.table)
        except Exception as e:  # noqa: BLE001
            self.log("cleanup after %s failed: %s" % (cfg.name, e))

    def _check_binary_param(self):
        """Return 'binary' when a binary vector parameter gives the same answer as text, else 'text'."""
        q = self.queries[0]
        try:
            b = search.Session(self.srv.dsn(), {}, self.table, self.operator, "binary", ks=(10,))
            t = search.Session(self.srv.dsn(), {}, self.table, self.operator, "text", ks=(10,))
            try:
                same = b.query(10, search.encode_queries([q], "binary")[0]) == \
                    t.query(10, search.encode_queries([q], "text")[0])
            finally:
                b.close()
                t.close()
            if same:
                return "binary"
            self.log("note: binary vector parameter gave a different answer than text; using text")
        except Exception as e:  # noqa: BLE001
            self.log("note: binary vector parameter failed (%s); using text" % " ".join(str(e).split()))
        return "text"


class _MemorySampler:
    """Polls one backend's /proc memory figures in a thread and keeps the peak of each."""

    def __init__(self, pid, interval=0.2):
        self.pid = pid
        self.interval = interval
        self.peak = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self):
        for key, value in server.backend_memory(self.pid).items():
            self.peak[key] = max(value, self.peak.get(key, 0))


def _text(vec):
    return "[" + ",".join("%.9g" % x for x in np.asarray(vec, dtype=np.float32).tolist()) + "]"


def _setting_str(setting):
    return ", ".join("%s=%s" % kv for kv in setting.items()) or "-"
