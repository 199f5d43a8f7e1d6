"""Smoke test of the benchmark program itself: a 2K x 16 run end to end on a real server (< 30 s).

It checks the plumbing, not the speed: the exact-scan baseline must have recall 1.0 at k=10 and 100
(so the loader, the query path and the ground truth agree), every record carries the measured
fields, a configuration is either measured or skipped with a reason (never an error), and the
server the benchmark started is gone afterwards.
"""

import json
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("JADE_BUILD_DIR", os.path.join(REPO, "build"))


@pytest.mark.timeout(120)
def test_run_bench_small_end_to_end(tmp_path):
    if not os.path.exists(os.path.join(BUILD, "pgroot/usr/lib/postgresql/15/bin/postgres")):
        pytest.skip("no build at %s" % BUILD)
    cmd = ["/usr/bin/python3", os.path.join(REPO, "bench", "run_bench.py"), "--build-dir", BUILD,
           "--dataset", "clustered", "--n", "2000", "--dim", "16", "--queries", "30",
           "--configs", "noindex,faiss-flat", "--repeats", "1", "--clients", "2", "--mc-duration", "0.3",
           "--mc-rounds", "1", "--insert-rows", "200", "--coordinator", "off",
           "--results-dir", str(tmp_path / "results"),
           "--gt-cache", str(tmp_path / "gt"), "--doc", str(tmp_path / "bench.md"),
           "--img-dir", str(tmp_path / "img")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=110)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    runs = os.listdir(tmp_path / "results")
    assert len(runs) == 1
    with open(tmp_path / "results" / runs[0] / "records.jsonl") as f:
        records = [json.loads(line) for line in f]
    by_config = {r["config"]: r for r in records}
    base = by_config["noindex"]
    assert base["status"] == "ok"
    assert base["recall10"] == 1.0 and base["recall100"] == 1.0
    assert base["single"]["qps"] > 0 and 0 < base["single"]["p50_ms"] <= base["single"]["p99_ms"]
    assert base["multi"]["clients"] == 2 and base["multi"]["qps"] > 0
    assert base["load"]["rows"] == 2000 and base["load"]["vectors_per_s"] > 0
    assert base["insert"]["rows"] == 200
    assert base["memory"]["after"]["private"] > 0
    flat = by_config["faiss-flat"]
    assert flat["status"] in ("ok", "skipped"), flat.get("reason")
    if flat["status"] == "ok":
        assert flat["recall10"] >= 0.99 and flat["build"]["index_bytes"] > 0
    # The doc section and the plot were written from the run.
    doc = (tmp_path / "bench.md").read_text()
    assert "<!-- BENCH:small:BEGIN -->" in doc and "clustered-2K-d16" in doc
    assert any(p.suffix == ".png" for p in (tmp_path / "img").iterdir())
    # The server it started is stopped and its directory removed.
    with open(tmp_path / "results" / runs[0] / "meta.json") as f:
        base_dir = json.load(f)["server"]["base_dir"]
    assert not os.path.exists(base_dir)
    ps = subprocess.run(["pgrep", "-f", base_dir], capture_output=True, text=True)
    assert ps.stdout.strip() == "", ps.stdout
    assert "== clustered-2K-d16" in r.stdout


@pytest.mark.timeout(150)
def test_full_preset_options_and_report_from(tmp_path):
    """The full preset's knobs on a tiny table: exact scans on a query subset, build GUCs recorded,
    the targets tables in the doc, the load sampled during the run, and --report-from regenerating
    the same doc section from the run directory."""
    if not os.path.exists(os.path.join(BUILD, "pgroot/usr/lib/postgresql/15/bin/postgres")):
        pytest.skip("no build at %s" % BUILD)
    common = ["/usr/bin/python3", os.path.join(REPO, "bench", "run_bench.py"), "--build-dir", BUILD,
              "--preset", "full", "--results-dir", str(tmp_path / "results"), "--img-dir", str(tmp_path / "img")]
    cmd = common + ["--n", "3000", "--dim", "16", "--queries", "40", "--exact-queries", "7",
                    "--configs", "noindex,faiss-ivfflat", "--nprobe-sweep", "1,4", "--repeats", "1",
                    "--clients", "2", "--mc-duration", "0.3", "--mc-rounds", "1", "--insert-rows", "200",
                    "--coordinator", "off", "--pg-setting", "shared_buffers=128MB",
                    "--gt-cache", str(tmp_path / "gt"), "--doc", str(tmp_path / "bench.md")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=140)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run_dir = tmp_path / "results" / os.listdir(tmp_path / "results")[0]
    with open(run_dir / "records.jsonl") as f:
        records = [json.loads(line) for line in f]
    with open(run_dir / "meta.json") as f:
        meta = json.load(f)
    exact = [x for x in records if x["config"] == "noindex"]
    assert len(exact) == 1 and exact[0]["queries"] == 7 and exact[0]["repeats"] == 1
    assert exact[0]["multi"] is None and exact[0]["recall10"] == 1.0
    ivf = [x for x in records if x["config"] == "faiss-ivfflat"]
    assert [x["queries"] for x in ivf] == [40, 40] and all(x["multi"]["clients"] == 2 for x in ivf)
    assert ivf[0]["build"]["gucs"] == {"jadevector.build_threads": "2"}
    assert all(len(x["loadavg"]) == 3 for x in records)
    assert meta["complete"] is True and "load1_median" in meta["load_during"]
    doc = (tmp_path / "bench.md").read_text()
    assert "<!-- BENCH:full:BEGIN -->" in doc and "‡7 q" in doc
    assert "against the issue's targets (the targets are stated for 1,000,000 × 128" in doc
    assert "as quoted by the issue, not measured here" in doc
    # --report-from rewrites the same section from the stored run (nothing measured, no server).
    section = doc[doc.index("<!-- BENCH:full:BEGIN -->"):doc.index("<!-- BENCH:full:END -->")]
    r2 = subprocess.run(common + ["--report-from", str(run_dir), "--doc", str(tmp_path / "again.md")],
                        capture_output=True, text=True, timeout=60)
    assert r2.returncode == 0, r2.stdout[-3000:] + r2.stderr[-3000:]
    again = (tmp_path / "again.md").read_text()
    assert again[again.index("<!-- BENCH:full:BEGIN -->"):again.index("<!-- BENCH:full:END -->")] == section
