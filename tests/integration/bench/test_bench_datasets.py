"""Unit checks of the benchmark's data side: generators, .fvecs I/O, exact ground truth, recall."""

import importlib
import importlib.util
import os
import sys

import numpy as np
import pytest


def _bench_lib():
    """Import bench/lib as package 'jade_bench_lib' (scripts/lib is also a package named lib)."""
    path = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench", "lib"))
    if "jade_bench_lib" not in sys.modules:
        spec = importlib.util.spec_from_file_location("jade_bench_lib", os.path.join(path, "__init__.py"),
                                                      submodule_search_locations=[path])
        module = importlib.util.module_from_spec(spec)
        sys.modules["jade_bench_lib"] = module
        spec.loader.exec_module(module)
    return [importlib.import_module("jade_bench_lib." + m) for m in ("datasets", "groundtruth")]


datasets, groundtruth = _bench_lib()


def brute_force(base, queries, k, metric):
    b, q = base.astype(np.float64), queries.astype(np.float64)
    if metric == "l2":
        d = np.sqrt(((q[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    elif metric == "ip":
        d = -(q @ b.T)
    else:
        d = 1 - (q @ b.T) / np.linalg.norm(q, axis=1)[:, None] / np.linalg.norm(b, axis=1)[None, :]
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, axis=1)


def test_generators_are_deterministic_and_distinct():
    a = datasets.make_clustered(3000, 24, 40, seed=7)
    b = datasets.make_clustered(3000, 24, 40, seed=7)
    c = datasets.make_clustered(3000, 24, 40, seed=8)
    assert a.base.dtype == np.float32 and a.base.shape == (3000, 24) and a.queries.shape == (40, 24)
    assert np.array_equal(a.base, b.base) and np.array_equal(a.queries, b.queries)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    # Queries are new points, not copies of base rows.
    assert not any((a.base == q).all(axis=1).any() for q in a.queries)
    u = datasets.make_uniform(1000, 8, 10, seed=1)
    assert u.base.min() >= 0.0 and u.base.max() < 1.0


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_exact_knn_matches_brute_force_across_blocks(metric):
    ds = datasets.make_clustered(2500, 16, 30, seed=3)
    ids, dist = groundtruth.exact_knn(ds.base, ds.queries, 20, metric, block=700)
    ref_ids, ref_dist = brute_force(ds.base, ds.queries, 20, metric)
    assert np.allclose(dist, ref_dist, atol=1e-9)
    assert (ids == ref_ids).mean() > 0.99  # differences only among exact ties


def test_recall_counts_hits_ties_and_missing_rows():
    base = np.array([[0.0], [1.0], [-1.0], [2.0], [3.0]], dtype=np.float32)
    ds = datasets.Dataset("t", base, np.array([[0.0]], dtype=np.float32), "l2", {}, "t")
    ids, dist = groundtruth.exact_knn(ds.base, ds.queries, 3)
    assert set(ids[0]) == {0, 1, 2}
    assert groundtruth.recall(ds, ids, dist, [[0, 1, 2]], 3) == 1.0
    assert groundtruth.recall(ds, ids, dist, [[0, 2, 1]], 3) == 1.0
    assert groundtruth.recall(ds, ids, dist, [[0, 3, 4]], 3) == pytest.approx(1 / 3)
    assert groundtruth.recall(ds, ids, dist, [[0]], 3) == pytest.approx(1 / 3)  # short result
    assert groundtruth.recall(ds, ids, dist, [[0, 0, 0]], 3) == pytest.approx(1 / 3)  # duplicates once
    # Row 2 (-1.0) ties with row 1 (1.0) at distance 1: either is a correct 2nd neighbour.
    ids2, dist2 = groundtruth.exact_knn(ds.base, ds.queries, 2)
    assert groundtruth.recall(ds, ids2, dist2, [[0, 2]], 2) == 1.0
    assert groundtruth.recall(ds, ids2, dist2, [[0, 1]], 2) == 1.0


def test_ground_truth_cache_roundtrip(tmp_path):
    ds = datasets.make_uniform(800, 8, 12, seed=5)
    ids, dist = groundtruth.ground_truth(ds, "l2", 10, str(tmp_path))
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("l2-k10-")
    ids2, dist2 = groundtruth.ground_truth(ds, "l2", 10, str(tmp_path))
    assert np.array_equal(ids, ids2) and np.array_equal(dist, dist2)


def test_fvecs_ivecs_roundtrip_and_errors(tmp_path):
    x = np.random.default_rng(0).standard_normal((17, 5)).astype(np.float32)
    datasets.write_vecs(str(tmp_path / "a.fvecs"), x, "f")
    assert np.array_equal(datasets.read_vecs(str(tmp_path / "a.fvecs"), "f"), x)
    assert np.array_equal(datasets.read_vecs(str(tmp_path / "a.fvecs"), "f", limit=4), x[:4])
    i = np.arange(30, dtype=np.int32).reshape(3, 10)
    datasets.write_vecs(str(tmp_path / "g.ivecs"), i, "i")
    assert np.array_equal(datasets.read_vecs(str(tmp_path / "g.ivecs"), "i"), i)
    (tmp_path / "bad.fvecs").write_bytes((tmp_path / "a.fvecs").read_bytes()[:-3])
    with pytest.raises(ValueError, match="record size"):
        datasets.read_vecs(str(tmp_path / "bad.fvecs"), "f")
    q = np.ones((2, 5), dtype=np.float32)
    datasets.write_vecs(str(tmp_path / "q.fvecs"), q, "f")
    ds = datasets.load_fvecs_dataset(str(tmp_path / "a.fvecs"), str(tmp_path / "q.fvecs"))
    assert ds.n == 17 and ds.dim == 5 and len(ds.queries) == 2


def test_sift5k_holdout_when_present():
    if not os.path.exists(os.path.join(datasets.DEFAULT_SIFT5K_DIR, "sift-dataset-5k.tsv")):
        pytest.skip("shared SIFT 5K data not present")
    ds = datasets.load_sift5k(n_holdout=50, seed=1)
    assert ds.n == 4950 and ds.dim == 128 and len(ds.queries) == 53
    held = ds.queries[:50]
    assert not any((ds.base == q).all(axis=1).any() for q in held)
