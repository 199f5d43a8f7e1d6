#!/usr/bin/python3
"""JadeVectorDB benchmark suite: recall, latency, throughput, ingest and memory, from one command.

    make bench        ->  run_bench.py --build-dir build --preset small   (< 10 min on 2 cores)
    make bench-full   ->  run_bench.py --build-dir build --preset full    (1M x 128; about an hour)

It starts the PostgreSQL server it measures (the build's private PostgreSQL 15 with jadevector, tuned
as described in bench/lib/server.py), loads each dataset, measures every index configuration over
its search-parameter sweep, stops the server (also on failure or Ctrl-C), writes JSON lines to
results/<run-id>/records.jsonl, prints the tables, draws recall-vs-QPS plots (docs/img/) and
rewrites its section of docs/benchmarks.md. Every flag overrides the preset; see --help.
"""

import argparse
import datetime
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from lib import configs as cfgmod  # noqa: E402
from lib import cluster, coordinator, datasets, groundtruth, machine, micro, plot, report, runner, server  # noqa: E402,E501

PRESETS = {
    "small": {
        "datasets": ["clustered", "sift5k"], "n": 50000, "dim": 128, "queries": 200,
        "configs": cfgmod.ALL_CONFIGS, "nprobe_sweep": [1, 2, 4, 8, 16, 32], "ef_sweep": [10, 20, 40, 80, 160],
        "repeats": 3, "clients": 4, "mc_duration": 0.8, "mc_rounds": 3, "insert_rows": 5000,
        "pg_settings": {"shared_buffers": "1GB"}, "build_timeout": 600,
        "coord_workers": [1, 3], "coord_config": "faiss-ivfflat", "coord_sweep": [1, 8],
    },
    # 1M x 128 in about an hour on 2 cores: exact scans (0.1-1 s per query at 1M) get 20 queries and
    # one pass; the sweeps stop where recall is saturated; index builds use both cores; the
    # coordinator part keeps 2 sweep values and 200 queries (each is also run against every shard).
    "full": {
        "datasets": ["clustered"], "n": 1000000, "dim": 128, "queries": 1000, "exact_queries": 20,
        "configs": ["noindex", "faiss-flat", "faiss-ivfflat", "faiss-ivfsq8", "faiss-ivfpq", "ivfflat",
                    "faiss-hnsw", "hnsw"],
        "nprobe_sweep": [1, 2, 4, 8, 16, 32, 64], "ef_sweep": [10, 20, 40, 80, 160, 320],
        "repeats": 3, "clients": 4, "mc_duration": 2.0, "mc_rounds": 3,
        "insert_rows": 10000, "pg_settings": {"shared_buffers": "4GB"}, "build_timeout": 2400,
        "build_gucs": {"jadevector.build_threads": "2"},
        "coord_workers": [1, 3], "coord_config": "faiss-ivfflat", "coord_sweep": [1, 8], "coord_queries": 200,
        "targets": True,
    },
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"), help="build directory (its pgroot is run)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", action="append", choices=["clustered", "uniform", "sift5k", "fvecs"],
                   help="dataset(s) to run (repeatable); default from the preset")
    g.add_argument("--n", type=int, help="rows of the synthetic datasets")
    g.add_argument("--dim", type=int, help="dimensions of the synthetic datasets")
    g.add_argument("--queries", type=int, help="queries per pass (synthetic sets generate this many)")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--clusters", type=int, help="Gaussian mixture components (default N/500, 8..1024)")
    g.add_argument("--sift-dir", default=datasets.DEFAULT_SIFT5K_DIR)
    g.add_argument("--sift-holdout", type=int, default=200, help="SIFT 5K rows held out as queries")
    g.add_argument("--base-fvecs", help="base vectors (.fvecs) for --dataset fvecs")
    g.add_argument("--query-fvecs", help="query vectors (.fvecs) for --dataset fvecs")
    g.add_argument("--gt-cache", default=groundtruth.DEFAULT_CACHE, help="ground-truth cache dir ('' = none)")
    g = p.add_argument_group("index configurations")
    g.add_argument("--configs", help="comma list of: " + ", ".join(cfgmod.ALL_CONFIGS) +
                   "; 'none' = no single-server configurations (with no --extra-config: only the coordinator part)")
    g.add_argument("--extra-config", action="append", default=[],
                   help="NAME|AM (embedding {opclass}) WITH (...)|GUC=v1,v2 (repeatable)")
    g.add_argument("--lists", type=int, help="IVF lists (default round(sqrt(N)))")
    g.add_argument("--nprobe-sweep", help="comma list for jadevector.nprobe / ivfflat.probes")
    g.add_argument("--ef-sweep", help="comma list for jadevector.ef_search / hnsw.ef_search")
    g.add_argument("--pq-m", type=int, help="PQ sub-quantizers (default D/8)")
    g.add_argument("--hnsw-m", type=int, default=16)
    g.add_argument("--hnsw-ef-construction", type=int, default=64)
    g.add_argument("--build-guc", action="append", default=[], help="name=value SET before CREATE INDEX")
    g.add_argument("--build-timeout", type=int, help="statement_timeout (s) for CREATE INDEX, 0 = none")
    g = p.add_argument_group("measurement")
    g.add_argument("--repeats", type=int, help="timed single-client passes (median reported)")
    g.add_argument("--exact-queries", type=int,
                   help="queries (1 pass, no multi-client) for configurations without a sweep, i.e. exact "
                        "scans (0 = all, as the others)")
    g.add_argument("--clients", type=int, help="multi-client processes (1 = skip multi-client)")
    g.add_argument("--mc-duration", type=float, help="seconds per multi-client round")
    g.add_argument("--mc-rounds", type=int, help="multi-client rounds (median reported)")
    g.add_argument("--insert-rows", type=int, help="rows inserted with the index present (0 = skip)")
    g.add_argument("--copy-format", choices=["binary", "text"], default="binary")
    g.add_argument("--copy-batch", type=int, default=0, help="rows per COPY during the load (0 = one COPY)")
    g.add_argument("--param-format", choices=["binary", "text"], default="binary",
                   help="how the query vector is sent to PQexecPrepared")
    g.add_argument("--pg-setting", action="append", default=[], help="name=value for postgresql.conf")
    g = p.add_argument_group("coordinator")
    g.add_argument("--coordinator", choices=["auto", "on", "off"], default="auto",
                   help="benchmark through jade-coordinator (auto: when <build>/coordinator/jade-coordinator exists)")
    g.add_argument("--coord-workers", help="comma list of cluster sizes (default 1,3)")
    g.add_argument("--coord-config", help="index configuration used through the coordinator")
    g.add_argument("--coord-sweep", help="comma list of sweep values through the coordinator")
    g.add_argument("--coord-queries", type=int, help="queries per pass through the coordinator (default: --queries)")
    g.add_argument("--coord-shards", type=int, default=8, help="shard_count of the distributed table")
    g.add_argument("--coord-shared-buffers", default="256MB", help="shared_buffers of each worker")
    g = p.add_argument_group("output")
    g.add_argument("--results-dir", default=os.path.join(REPO, "results"))
    g.add_argument("--doc", default=os.path.join(REPO, "docs", "benchmarks.md"))
    g.add_argument("--doc-section", help="marker name in the doc (default: the preset)")
    g.add_argument("--img-dir", default=os.path.join(REPO, "docs", "img"))
    g.add_argument("--no-doc", action="store_true", help="do not touch docs/ (JSON lines and stdout only)")
    g.add_argument("--report-from", metavar="RUN_DIR",
                   help="measure nothing: rewrite the doc section, plots and tables from results/<run-id>/ "
                        "(e.g. of a run that was stopped before its end)")
    g.add_argument("--micro", action="store_true", help="also run the Google Benchmark micro-benchmarks")
    g.add_argument("--micro-only", action="store_true", help="run only the micro-benchmarks")
    return p.parse_args(argv)


def resolve(args):
    """Merge the preset with the flags into the option dict the runner uses."""
    pre = PRESETS[args.preset]
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    pick = lambda name: getattr(args, name) if getattr(args, name) is not None else pre[name]  # noqa: E731
    opts = {
        "datasets": args.dataset or pre["datasets"], "n": pick("n"), "dim": pick("dim"), "queries": pick("queries"),
        "configs": _configs(args.configs, pre),
        "nprobe_sweep": ints(args.nprobe_sweep) if args.nprobe_sweep else pre["nprobe_sweep"],
        "ef_sweep": ints(args.ef_sweep) if args.ef_sweep else pre["ef_sweep"],
        "repeats": pick("repeats"), "exact_queries": _pick_opt(args, pre, "exact_queries"),
        "clients": pick("clients"), "mc_duration": pick("mc_duration"),
        "mc_rounds": pick("mc_rounds"), "insert_rows": pick("insert_rows"),
        "build_timeout": pick("build_timeout"), "copy_format": args.copy_format, "copy_batch": args.copy_batch,
        "param_format": args.param_format, "lists": args.lists, "pq_m": args.pq_m, "hnsw_m": args.hnsw_m,
        "hnsw_ef_construction": args.hnsw_ef_construction, "extra": args.extra_config,
        "build_gucs": dict(pre.get("build_gucs", {}), **dict(kv.split("=", 1) for kv in args.build_guc)),
    }
    opts["targets"] = bool(pre.get("targets"))  # check the 1M targets in the report
    opts["coordinator"] = args.coordinator
    opts["coord_workers"] = ints(args.coord_workers) if args.coord_workers else pre["coord_workers"]
    opts["coord_config"] = args.coord_config or pre["coord_config"]
    opts["coord_sweep"] = ints(args.coord_sweep) if args.coord_sweep else pre["coord_sweep"]
    opts["coord_queries"] = _pick_opt(args, pre, "coord_queries") or opts["queries"]
    opts["coord_shards"] = args.coord_shards
    opts["coord_shared_buffers"] = args.coord_shared_buffers
    settings = dict(pre["pg_settings"])
    settings.update(dict(kv.split("=", 1) for kv in args.pg_setting))
    opts["pg_settings"] = settings
    return opts


def _configs(flag, pre):
    """--configs: the preset's list when absent, none for 'none', else the comma list."""
    if not flag:
        return list(pre["configs"])
    return [] if flag.strip() == "none" else flag.split(",")


def _pick_opt(args, pre, name):
    """The flag when given, else the preset's value, else None (options only some presets set)."""
    value = getattr(args, name)
    return value if value is not None else pre.get(name)


def make_datasets(args, opts):
    """Build the Dataset objects the run needs (deterministic; see lib/datasets.py)."""
    out = []
    for kind in opts["datasets"]:
        if kind == "clustered":
            out.append(datasets.make_clustered(opts["n"], opts["dim"], opts["queries"], args.seed, args.clusters))
        elif kind == "uniform":
            out.append(datasets.make_uniform(opts["n"], opts["dim"], opts["queries"], args.seed))
        elif kind == "sift5k":
            if not os.path.exists(os.path.join(args.sift_dir, "sift-dataset-5k.tsv")):
                log("skipped sift5k: %s not present" % args.sift_dir)
                continue
            out.append(datasets.load_sift5k(args.sift_dir, args.sift_holdout, args.seed))
        elif kind == "fvecs":
            if not (args.base_fvecs and args.query_fvecs):
                raise SystemExit("--dataset fvecs needs --base-fvecs and --query-fvecs")
            out.append(datasets.load_fvecs_dataset(args.base_fvecs, args.query_fvecs, args.n, args.queries))
    return out


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the `with` blocks stop every server we started.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    build_dir = os.path.abspath(args.build_dir)
    section = args.doc_section or args.preset
    if args.report_from:
        return report_from(args, section)
    run_id = "%s-%s" % (section, datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ"))
    out_dir = os.path.join(args.results_dir, run_id)
    os.makedirs(out_dir, exist_ok=True)
    command = "bench/run_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if argv is None and os.environ.get("MAKELEVEL"):
        command = "make %s  (= %s)" % ("bench" if args.preset == "small" else "bench-full", command)

    if args.micro or args.micro_only:
        body = micro.run(build_dir, log)
        if not args.no_doc:
            report.rewrite_section(args.doc, "micro", body)
            log("rewrote the micro section of %s" % os.path.relpath(args.doc, REPO))
        if args.micro_only:
            return 0

    opts = resolve(args)
    meta = {"run_id": run_id, "command": command, "preset": args.preset, "options": opts,
            "machine": machine.describe(build_dir),
            "results_rel": os.path.relpath(os.path.join(out_dir, "records.jsonl"), REPO)}
    meta["machine"]["cpu_busy_before"] = machine.cpu_busy(2.0)
    log("run %s: machine %s, %d cores; CPU busy %.0f%% before start (other work)" %
        (run_id, meta["machine"]["cpu_model"], meta["machine"]["cores"], 100 * meta["machine"]["cpu_busy_before"]))
    t_start = time.time()
    sampler = machine.LoadSampler().start()
    sets = make_datasets(args, opts)
    # No single-server configuration (--configs none, no --extra-config): the server still starts (its
    # versions and settings go into the report header) but no dataset is loaded on it.
    single_sets = sets if (opts["configs"] or opts["extra"]) else []
    meta["dataset_names"] = [ds.name for ds in single_sets]
    records = []
    jsonl = os.path.join(out_dir, "records.jsonl")
    try:
        with server.BenchServer(build_dir, opts["pg_settings"]) as srv:
            meta["server"] = srv.info
            _write_meta(out_dir, meta, t_start, sampler)  # lets --report-from use a run that is stopped early
            log("PostgreSQL %s with jadevector %s; access methods: %s" %
                (srv.info["server_version"], srv.info["extension_version"], ", ".join(srv.info["access_methods"])))
            for ds in single_sets:
                run_dataset(srv, ds, args, opts, records, run_id, jsonl)
        if sets and opts["coordinator"] != "off":
            run_coordinator(build_dir, sets[0], args, opts, records, run_id, jsonl)
        meta["complete"] = True
    finally:
        sampler.stop()
        _write_meta(out_dir, meta, t_start, sampler)
    write_outputs(args, section, meta, records, out_dir)
    log("records: %s (%.0f s total)" % (os.path.relpath(jsonl, REPO), meta["wall_seconds"]))
    return 1 if any(r["status"] == "error" for r in records) else 0


def _write_meta(out_dir, meta, t_start, sampler):
    """(Re)write meta.json with the end time, wall time and load seen so far."""
    meta["finished_utc"] = machine.now()
    meta["wall_seconds"] = time.time() - t_start
    meta["loadavg_end"] = machine.loadavg()
    meta["load_during"] = sampler.summary()
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


def write_outputs(args, section, meta, records, out_dir):
    """Print the tables; draw the plots and rewrite the doc section (unless --no-doc)."""
    names = meta.get("dataset_names") or list(dict.fromkeys(r["dataset"] for r in records
                                                            if r.get("kind") != "coordinator"))
    report.print_summary(records, names)
    if args.no_doc:
        return
    plots = {}
    for name in names:
        png = os.path.join(args.img_dir, "recall_qps_%s_%s.png" % (section, name))
        if plot.recall_qps_plot(records, name, png, out_dir, " (%s preset)" % section):
            plots[name] = os.path.relpath(png, os.path.dirname(os.path.abspath(args.doc)))
    report.rewrite_section(args.doc, section, report.markdown_section(meta, records, names, plots))
    log("rewrote the %s section of %s" % (section, os.path.relpath(args.doc, REPO)))


def report_from(args, section):
    """--report-from: regenerate the outputs from a run directory's meta.json and records.jsonl."""
    run_dir = os.path.abspath(args.report_from)
    with open(os.path.join(run_dir, "meta.json")) as f:
        meta = json.load(f)
    records = report.read_jsonl(os.path.join(run_dir, "records.jsonl"))
    if args.doc_section is None:
        section = meta.get("preset", section)
    write_outputs(args, section, meta, records, run_dir)
    return 0


def run_coordinator(build_dir, ds, args, opts, records, run_id, jsonl):
    """Measure the first dataset through jade-coordinator over each cluster size (after the single server stopped)."""
    common = {"run_id": run_id, "preset": args.preset, "dataset": ds.name, "dataset_params": ds.params,
              "dataset_description": ds.description, "n": ds.n, "dim": ds.dim, "n_queries": len(ds.queries),
              "metric": ds.metric, "kind": "coordinator"}

    def emit(rec):
        rec.update(common)
        rec["loadavg"] = machine.loadavg()
        records.append(rec)
        with open(jsonl, "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")

    why = cluster.BenchCluster.available(build_dir)
    if why:
        log("skipped coordinator benchmarks: %s" % why)
        emit({"config": "coordinator", "status": "skipped", "reason": why})
        if opts["coordinator"] == "on":
            raise SystemExit("--coordinator on: %s" % why)
        return
    gt = groundtruth.ground_truth(ds, ds.metric, 100, args.gt_cache or None, log)
    per_shard = max(1, ds.n // opts["coord_shards"])
    cfg = cfgmod.build_configs([opts["coord_config"]], per_shard, ds.dim, dict(opts, nprobe_sweep=opts["coord_sweep"],
                                                                             ef_sweep=opts["coord_sweep"], extra=[]))[0]
    settings = dict(opts["pg_settings"], shared_buffers=opts["coord_shared_buffers"])
    for workers in opts["coord_workers"]:
        log("coordinator with %d worker(s), %d shards, %s (sized per shard: %d rows)" %
            (workers, opts["coord_shards"], cfg.name, per_shard))
        cl = cluster.BenchCluster(build_dir, workers, settings, log)
        try:
            with cl:
                run = coordinator.CoordinatorRun(cl, ds, gt, dict(opts, queries=opts["coord_queries"]), log,
                                                 opts["coord_shards"])
                for rec in run.run(cfg):
                    emit(rec)
        except Exception as e:  # noqa: BLE001 - reported in the record; the run goes on
            msg = " ".join(str(e).split())
            log("ERROR through the coordinator (%d workers): %s\n%s" % (workers, msg, cl.log_tail()))
            emit({"config": "coord-%dw-%s" % (workers, cfg.name), "workers": workers, "status": "error",
                  "reason": msg[:2000]})


def run_dataset(srv, ds, args, opts, records, run_id, jsonl):
    """Load one dataset, run every configuration on it, append the records (also to the JSONL file)."""
    log("dataset %s: %s" % (ds.name, ds.description))
    gt = groundtruth.ground_truth(ds, ds.metric, 100, args.gt_cache or None, log)
    run = runner.DatasetRun(srv, ds, gt, opts, log)
    common = {"run_id": run_id, "preset": args.preset, "dataset": ds.name, "dataset_params": ds.params,
              "dataset_description": ds.description, "n": ds.n, "dim": ds.dim, "n_queries": len(ds.queries),
              "metric": ds.metric, "kind": "single"}
    try:
        run.load_table()
        available = srv.access_methods()
        for cfg in cfgmod.build_configs(opts["configs"], ds.n, ds.dim, opts):
            for rec in run.run_config(cfg, available):
                rec.update(common)
                rec["loadavg"] = machine.loadavg()  # when this record was finished
                records.append(rec)
                with open(jsonl, "a") as f:
                    f.write(json.dumps(rec, sort_keys=True) + "\n")
    finally:
        run.drop_table()


if __name__ == "__main__":
    sys.exit(main())
