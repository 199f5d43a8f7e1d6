#!/usr/bin/env python3
"""Benchmarks of the pgvector types beyond `vector`: halfvec, sparsevec and binary quantization.

    /usr/bin/python3 bench/vector_types.py --build-dir build [--rows 10000] [--queries 200]

Starts its own PostgreSQL (bench/lib/server.py settings: 1 GB shared_buffers, jit off, one process per
query), stops it at the end. Measures, at DEFAULT search settings (no GUC touched, as a new user would
run) and over a short sweep:

  1. halfvec vs vector: the same 10,000 x 128 clustered rows stored as `vector(128)` and as
     `halfvec(128)`; per access method that indexes both (ivfflat lists=100, hnsw m=16
     ef_construction=64 when its operator classes exist): build time, index size
     (pg_relation_size), recall@10 against the exact answer of the same column type, latency.
  2. sparsevec: 10,000 SPLADE-like rows (30,000 dimensions, ~60 non-zeros, Zipf-distributed terms,
     log-normal weights): hnsw sparsevec_ip_ops and sparsevec_l2_ops when they exist.
  3. binary quantization with re-ranking: 10,000 x 1024 `vector` rows of two kinds (the benchmark's
     clustered mixture, and a centred normalized mixture like text embeddings); candidates by Hamming
     distance of binary_quantize(v)::bit(1024) (exact scan, and an ivfflat bit_hamming_ops expression
     index), re-ranked by exact L2 distance; recall@10 for each candidate depth.

Ground truth is the server's own exact scan (enable_indexscan off) of the same column and operator, so
halfvec rounding and sparse arithmetic are compared like for like. Writes results/types-<time>/records.jsonl
and, with --update-docs, rewrites the section between <!-- BENCH:types:BEGIN/END --> in docs/benchmarks.md.
A configuration whose operator class is missing is recorded as skipped, never given a number.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lib import datasets, machine  # noqa: E402
from lib.server import BASE_SETTINGS, PgInstance  # noqa: E402

BEGIN = "<!-- BENCH:types:BEGIN -->"
END = "<!-- BENCH:types:END -->"


def vec_text(row):
    return "[" + ",".join("%.7g" % x for x in row) + "]"


def sparse_text(idx, val, dim):
    return "{" + ",".join("%d:%.7g" % (i + 1, v) for i, v in zip(idx, val)) + "}/%d" % dim


def copy_rows(conn, table, lines):
    import io
    with conn.cursor() as cur:
        cur.copy_expert("COPY %s FROM STDIN" % table, io.StringIO("".join(lines)))


def exists_opclass(conn, am, opclass):
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod WHERE a.amname = %s "
                    "AND c.opcname = %s", (am, opclass))
        return cur.fetchone() is not None


def topk(cur, sql, params):
    cur.execute(sql, params)
    return [r[0] for r in cur.fetchall()]


def recall(found, truth):
    t = set(truth)
    return sum(1 for f in found if f in t) / float(len(truth)) if truth else 1.0


def measure_knn(conn, table, col, op, queries, truth, k=10, sweep=None):
    """Recall@k and latency of ORDER BY col op q LIMIT k at default settings (and per sweep value)."""
    out = []
    settings = [(None, None)] + [(g, v) for g, vs in (sweep or {}).items() for v in vs]
    sql = "SELECT id FROM %s ORDER BY %s %s %%s LIMIT %d" % (table, col, op, k)
    for guc, value in settings:
        with conn.cursor() as cur:
            cur.execute("RESET ALL")
            cur.execute("SET enable_seqscan = off")
            if guc:
                cur.execute("SET %s = %s" % (guc, value))
            cur.execute("EXPLAIN (COSTS OFF) " + sql, (queries[0],))
            plan = " ".join(r[0] for r in cur.fetchall())
            for q in queries[:20]:
                topk(cur, sql, (q,))  # warm-up
            lat, rec = [], []
            for q, t in zip(queries, truth):
                t0 = time.perf_counter()
                got = topk(cur, sql, (q,))
                lat.append((time.perf_counter() - t0) * 1000.0)
                rec.append(recall(got, t[:k]))
            out.append({"setting": "default" if guc is None else "%s=%s" % (guc, value),
                        "recall@10": round(statistics.mean(rec), 4), "p50_ms": round(statistics.median(lat), 3),
                        "p95_ms": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 3),
                        "index_scan": "Index Scan" in plan})
    with conn.cursor() as cur:
        cur.execute("RESET ALL")
    return out


def exact_truth(conn, table, col, op, queries, k):
    with conn.cursor() as cur:
        cur.execute("SET enable_indexscan = off")
        cur.execute("SET enable_bitmapscan = off")
        res = [topk(cur, "SELECT id FROM %s ORDER BY %s %s %%s, id LIMIT %d" % (table, col, op, k), (q,))
               for q in queries]
        cur.execute("RESET ALL")
    return res


def build_index(conn, sql, name):
    with conn.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute(sql)
        secs = time.perf_counter() - t0
        cur.execute("SELECT pg_relation_size(%s)", (name,))
        return round(secs, 2), cur.fetchone()[0]


def part_halfvec(conn, args, records):
    ds = datasets.make_clustered(args.rows, 128, n_queries=args.queries, seed=11)
    base, queries = ds.base, ds.queries
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE hv (id int PRIMARY KEY, v vector(128), h halfvec(128))")
    copy_rows(conn, "hv", ["%d\t%s\t%s\n" % (i, vec_text(r), vec_text(r)) for i, r in enumerate(base)])
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE hv")
    qtext = [vec_text(q) for q in queries]
    truth = {col: exact_truth(conn, "hv", col, "<->", qtext, 10) for col in ("v", "h")}
    for am, opts, sweep in [("ivfflat", "lists = 100", {"ivfflat.probes": [1, 4, 8, 16]}),
                            ("hnsw", "m = 16, ef_construction = 64", {"hnsw.ef_search": [40, 100, 200]})]:
        for col, typ in (("v", "vector"), ("h", "halfvec")):
            opclass = "%s_l2_ops" % typ
            rec = {"part": "halfvec", "am": am, "type": typ, "opclass": opclass, "options": opts,
                   "rows": args.rows, "dim": 128}
            if not exists_opclass(conn, am, opclass):
                rec["skipped"] = "operator class %s for %s does not exist in this build" % (opclass, am)
                records.append(rec)
                continue
            name = "hv_%s_%s" % (am, col)
            rec["build_s"], rec["index_bytes"] = build_index(
                conn, "CREATE INDEX %s ON hv USING %s (%s %s) WITH (%s)" % (name, am, col, opclass, opts), name)
            rec["results"] = measure_knn(conn, "hv", col, "<->", qtext, truth[col], sweep=sweep)
            records.append(rec)
            with conn.cursor() as cur:
                cur.execute("DROP INDEX %s" % name)
            print(json.dumps(rec), flush=True)


def part_sparsevec(conn, args, records):
    dim = 30000
    rng = np.random.default_rng(7)
    # Zipf-like term frequencies: low term ids are common (as words are), most are rare.
    weights = 1.0 / np.arange(1, dim + 1) ** 1.05
    weights /= weights.sum()

    def draw(n, nnz_mean):
        rows = []
        for _ in range(n):
            nnz = max(1, int(rng.poisson(nnz_mean)))
            idx = np.unique(rng.choice(dim, size=nnz, replace=False, p=weights))
            val = rng.lognormal(0.0, 0.6, size=len(idx)).astype(np.float32)
            rows.append((idx, val))
        return rows

    base = draw(args.rows, 60)
    queries = draw(args.queries, 20)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE sv (id int PRIMARY KEY, s sparsevec(%d))" % dim)
    copy_rows(conn, "sv", ["%d\t%s\n" % (i, sparse_text(idx, val, dim)) for i, (idx, val) in enumerate(base)])
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE sv")
    qtext = [sparse_text(idx, val, dim) for idx, val in queries]
    for opclass, op in (("sparsevec_ip_ops", "<#>"), ("sparsevec_l2_ops", "<->")):
        rec = {"part": "sparsevec", "am": "hnsw", "type": "sparsevec", "opclass": opclass,
               "options": "m = 16, ef_construction = 64", "rows": args.rows, "dim": dim}
        if not exists_opclass(conn, "hnsw", opclass):
            rec["skipped"] = "operator class %s for hnsw does not exist in this build" % opclass
            records.append(rec)
            continue
        truth = exact_truth(conn, "sv", "s", op, qtext, 10)
        rec["build_s"], rec["index_bytes"] = build_index(
            conn, "CREATE INDEX sv_idx ON sv USING hnsw (s %s) WITH (m = 16, ef_construction = 64)" % opclass,
            "sv_idx")
        rec["results"] = measure_knn(conn, "sv", "s", op, qtext, truth, sweep={"hnsw.ef_search": [40, 100, 200]})
        records.append(rec)
        with conn.cursor() as cur:
            cur.execute("DROP INDEX sv_idx")
        print(json.dumps(rec), flush=True)


def centred_mixture(n, dim, n_queries, seed, clusters=200, sigma=0.5):
    """Embedding-like data: a mixture of Gaussians with N(0, 1) centres and sigma noise, L2-normalized
    (text-embedding models give roughly centred, normalized vectors: each sign carries information)."""
    rng = np.random.default_rng([seed, 31])
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)

    def draw(count):
        x = centres[rng.integers(0, clusters, count)] + sigma * rng.standard_normal((count, dim)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return draw(n), draw(n_queries)


def part_binary(conn, args, records):
    dim = 1024
    sets = [("clustered", datasets.make_clustered(args.rows, dim, n_queries=args.queries, seed=23)),
            ("centred", centred_mixture(args.rows, dim, args.queries, seed=23))]
    for label, data in sets:
        base, queries = (data.base, data.queries) if label == "clustered" else data
        table = "bq_%s" % label
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE %s (id int PRIMARY KEY, v vector(%d))" % (table, dim))
        copy_rows(conn, table, ["%d\t%s\n" % (i, vec_text(r)) for i, r in enumerate(base)])
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE %s" % table)
        qtext = [vec_text(q) for q in queries]
        truth = exact_truth(conn, table, "v", "<->", qtext, 10)
        rerank = ("SELECT id FROM (SELECT id, v FROM %s ORDER BY binary_quantize(v)::bit(%d) <~> "
                  "binary_quantize(%%s::vector) LIMIT %%s) c ORDER BY v <-> %%s::vector LIMIT 10" % (table, dim))
        for index in ("none", "ivfflat"):
            # The exact Hamming scan quantizes every row per query (~0.4 s): 50 queries suffice.
            nq = min(50, len(qtext)) if index == "none" else len(qtext)
            rec = {"part": "binary", "data": label, "rows": args.rows, "dim": dim, "index": index,
                   "queries": nq, "results": []}
            if index == "ivfflat":
                rec["build_s"], rec["index_bytes"] = build_index(
                    conn, "CREATE INDEX %s_idx ON %s USING ivfflat ((binary_quantize(v)::bit(%d)) bit_hamming_ops) "
                    "WITH (lists = 100)" % (table, table, dim), "%s_idx" % table)
            with conn.cursor() as cur:
                cur.execute("SET enable_seqscan = %s" % ("off" if index != "none" else "on"))
                if index == "none":
                    cur.execute("SET enable_indexscan = off")
                for depth in (10, 20, 40, 80, 160):
                    lat, rec_ = [], []
                    for q, t in zip(qtext[:nq], truth[:nq]):
                        t0 = time.perf_counter()
                        got = topk(cur, rerank, (q, depth, q))
                        lat.append((time.perf_counter() - t0) * 1000.0)
                        rec_.append(recall(got, t))
                    rec["results"].append({"candidates": depth, "recall@10": round(statistics.mean(rec_), 4),
                                           "p50_ms": round(statistics.median(lat), 3)})
                cur.execute("RESET ALL")
                cur.execute("DROP INDEX IF EXISTS %s_idx" % table)
            records.append(rec)
            print(json.dumps(rec), flush=True)


def render(meta, records):
    """The docs section for one run."""
    lines = [BEGIN, "Run `%s` — generated by `bench/vector_types.py` from `results/%s/records.jsonl`; "
             "do not edit by hand." % (meta["run"], meta["run"]), "",
             "Machine: %s, %d cores; load average at start %s, at end %s; commit %s%s; %s." % (
                 meta["machine"]["cpu_model"], meta["machine"]["cores"], meta["machine"]["loadavg_start"],
                 meta["loadavg_end"], meta["machine"]["git_commit"],
                 " (bench/ modified)" if meta["machine"]["git_dirty"] else "", meta["machine"]["faiss_flavor"]),
             "Command: `%s`. Recall@10 against the server's exact scan of the same column; latency is the "
             "client-side median (p50) per query, one connection." % meta["command"], ""]
    lines += ["**halfvec vs vector** (%d x 128 clustered; default settings, then a sweep):" % meta["rows"], "",
              "| index | type | build | size | recall@10 (p50 ms) at default | sweep |", "|---|---|---|---|---|---|"]
    for r in records:
        if r["part"] != "halfvec":
            continue
        if "skipped" in r:
            lines.append("| %s (%s) | %s | skipped: %s | | | |" % (r["am"], r["options"], r["type"], r["skipped"]))
            continue
        d = r["results"][0]
        sweep = "; ".join("%s: %.3f (%.2f ms)" % (x["setting"], x["recall@10"], x["p50_ms"]) for x in r["results"][1:])
        lines.append("| %s (%s) | %s | %.2f s | %.2f MB | %.3f (%.2f ms) | %s |" % (
            r["am"], r["options"], r["type"], r["build_s"], r["index_bytes"] / 1048576.0, d["recall@10"], d["p50_ms"], sweep))
    lines += ["", "**sparsevec** (%d SPLADE-like rows, 30,000 dimensions, ~60 non-zeros):" % meta["rows"], "",
              "| index | build | size | recall@10 (p50 ms) at default | sweep |", "|---|---|---|---|---|"]
    for r in records:
        if r["part"] != "sparsevec":
            continue
        if "skipped" in r:
            lines.append("| hnsw %s | skipped: %s | | | |" % (r["opclass"], r["skipped"]))
            continue
        d = r["results"][0]
        sweep = "; ".join("%s: %.3f (%.2f ms)" % (x["setting"], x["recall@10"], x["p50_ms"]) for x in r["results"][1:])
        lines.append("| hnsw %s | %.2f s | %.2f MB | %.3f (%.2f ms) | %s |" % (
            r["opclass"], r["build_s"], r["index_bytes"] / 1048576.0, d["recall@10"], d["p50_ms"], sweep))
    binary = [r for r in records if r["part"] == "binary"]
    if binary:
        lines += ["", "<a id=\"binary-quantization-with-re-ranking\"></a>**Binary quantization with re-ranking** "
                  "(%d x 1024 `vector`; candidates by `binary_quantize(v)::bit(1024) <~> binary_quantize(q)`, "
                  "re-ranked by exact `<->`; recall@10 (p50 ms) per number of candidates). `clustered`: the "
                  "benchmark's Gaussian mixture with centres uniform in [-1,1] (rows of a cluster share most "
                  "signs, so Hamming distance hardly ranks them: the hard case); `centred`: 200 clusters with "
                  "N(0,1) centres and noise 0.5, L2-normalized (like text-embedding models: centred, every sign "
                  "informative):" % meta["rows"], "",
                  "| data | candidates by | queries | " + " | ".join("%d cand." % x["candidates"] for x in binary[0]["results"])
                  + " |", "|---|---|---|" + "---|" * len(binary[0]["results"])]
        for r in binary:
            how = "exact Hamming scan" if r["index"] == "none" else \
                "ivfflat bit_hamming_ops, lists 100, default probes (%.2f MB)" % (r["index_bytes"] / 1048576.0)
            lines.append("| %s | %s | %d | " % (r["data"], how, r["queries"]) +
                         " | ".join("%.3f (%.2f ms)" % (x["recall@10"], x["p50_ms"]) for x in r["results"]) + " |")
    lines.append(END)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--parts", default="halfvec,sparsevec,binary")
    ap.add_argument("--update-docs", action="store_true")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    run = "types-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    outdir = os.path.join(REPO, "results", run)
    os.makedirs(outdir, exist_ok=True)
    meta = {"run": run, "rows": args.rows, "queries": args.queries, "machine": machine.describe(build),
            "command": " ".join(["/usr/bin/python3", "bench/vector_types.py"] + sys.argv[1:])}
    records = []
    with PgInstance("bench-types", build_dir=build, settings=BASE_SETTINGS) as pg:
        pg.init()
        pg.start()
        pg.psql("CREATE EXTENSION jadevector")
        conn = psycopg2.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        try:
            for part in args.parts.split(","):
                {"halfvec": part_halfvec, "sparsevec": part_sparsevec, "binary": part_binary}[part](conn, args, records)
        finally:
            conn.close()
    meta["loadavg_end"] = machine.loadavg()
    with open(os.path.join(outdir, "records.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    section = render(meta, records)
    print(section)
    if args.update_docs:
        path = os.path.join(REPO, "docs", "benchmarks.md")
        text = open(path).read()
        if BEGIN in text:
            text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
        else:
            text += "\n## Results: vector types (halfvec, sparsevec, binary quantization)\n\n" + section + "\n"
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
