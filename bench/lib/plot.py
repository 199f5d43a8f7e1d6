"""Recall-vs-QPS plots drawn with gnuplot (Debian gnuplot-nox, pngcairo terminal)."""

import os
import subprocess

POINT_TYPES = [7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14]
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf", "#000000", "#aec7e8"]


def recall_qps_plot(records, dataset, png_path, work_dir, title_extra=""):
    """Draw recall@10 (x) against single-client QPS (y, log scale), one line per configuration.

    Returns the PNG path, or None when there is nothing to plot or gnuplot is missing.
    """
    series = {}
    for r in records:
        if r.get("dataset") == dataset and r.get("status") == "ok" and r.get("single"):
            series.setdefault(r["config"], []).append((r["recall10"], r["single"]["qps"]))
    if not series:
        return None
    os.makedirs(work_dir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(png_path)), exist_ok=True)
    plots = []
    for i, (config, points) in enumerate(sorted(series.items())):
        data = os.path.join(work_dir, "plot-%s-%s.dat" % (_safe(dataset), _safe(config)))
        with open(data, "w") as f:
            for recall, qps in points:  # sweep order: the line follows the search parameter
                f.write("%.6f %.3f\n" % (recall, qps))
        color = "lc rgb '%s'" % COLORS[i % len(COLORS)]
        style = "points pt %d ps 1.6 %s" % (POINT_TYPES[i % len(POINT_TYPES)], color) if len(points) == 1 else \
            "linespoints lw 2 pt %d ps 1.2 %s" % (POINT_TYPES[i % len(POINT_TYPES)], color)
        plots.append("'%s' using 1:2 with %s title '%s'" % (data, style, config))
    recalls = [p[0] for pts in series.values() for p in pts]
    xmin = max(0.0, min(recalls) - 0.02)
    script = "\n".join([
        "set terminal pngcairo size 1000,640 noenhanced font 'DejaVu Sans,11'",
        "set output '%s'" % png_path,
        "set title \"%s: recall@10 vs single-client QPS%s\"" % (dataset, title_extra),
        "set xlabel 'recall@10 (vs exact top-10)'",
        "set ylabel 'queries per second, 1 client (log scale)'",
        "set logscale y",
        "set grid xtics ytics mytics",
        "set key outside right top box",
        "set xrange [%.3f:1.005]" % xmin,
        "plot " + ", \\\n     ".join(plots),
        "",
    ])
    script_path = os.path.join(work_dir, "plot-%s.gp" % _safe(dataset))
    with open(script_path, "w") as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", script_path], check=True, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        detail = getattr(e, "stderr", "") or str(e)
        raise RuntimeError("gnuplot failed for %s: %s" % (dataset, detail))
    return png_path


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
