"""Exact k-nearest-neighbour ground truth, computed once with numpy and cached outside the repository.

Distances follow the extension's operators: l2 (`<->`, Euclidean), ip (`<#>`, negative inner product)
and cosine (`<=>`, 1 - cosine similarity). The search is a blocked matrix multiply in float64
(||x||^2 - 2 x.q + ||q||^2 for l2) over base blocks of `block` rows, keeping a running top-k per query
with argpartition, so memory stays bounded (queries x block doubles) for any N.

Cache: <cache_dir>/<metric>-k<k>-<sha256 of base+query bytes>.npz with ids (int64, Q x k) and
distances (float64, Q x k). Keyed by content, so a changed generator can never return stale truth.
Default cache dir: /var/cache/jadevector/groundtruth (override with $JADE_GT_CACHE or --gt-cache).
"""

import os
import tempfile
import time

import numpy as np

DEFAULT_CACHE = os.environ.get("JADE_GT_CACHE", "/var/cache/jadevector/groundtruth")
METRICS = ("l2", "ip", "cosine")


def ground_truth(dataset, metric="l2", k=100, cache_dir=DEFAULT_CACHE, log=None):
    """Return (ids, distances) of the exact top-k base rows for every query, from the cache when present."""
    if metric not in METRICS:
        raise ValueError("unknown metric %r (one of %s)" % (metric, ", ".join(METRICS)))
    k = min(k, dataset.n)
    path = None
    if cache_dir:
        path = os.path.join(cache_dir, "%s-k%d-%s.npz" % (metric, k, dataset.fingerprint()))
        if os.path.exists(path):
            with np.load(path) as z:
                return z["ids"], z["distances"]
    t0 = time.time()
    ids, dist = exact_knn(dataset.base, dataset.queries, k, metric)
    if log:
        log("ground truth %s: %d queries x %d base, top-%d %s in %.1f s" %
            (dataset.name, len(dataset.queries), dataset.n, k, metric, time.time() - t0))
    if path:
        _atomic_save(path, ids, dist)
    return ids, dist


def exact_knn(base, queries, k, metric="l2", block=16384):
    """Return (ids, distances) of the exact k nearest base rows per query, sorted by distance then id."""
    q = queries.astype(np.float64)
    nq = len(q)
    k = min(k, len(base))
    best_d = np.full((nq, k), np.inf)
    best_i = np.full((nq, k), -1, dtype=np.int64)
    if metric == "cosine":
        qn = np.linalg.norm(q, axis=1)
        qn[qn == 0] = 1.0
        q = q / qn[:, None]
    q_sq = np.einsum("ij,ij->i", q, q)
    for lo in range(0, len(base), block):
        x = base[lo:lo + block].astype(np.float64)
        d = _block_distances(x, q, q_sq, metric)  # (nq, b)
        cand_d = np.concatenate([best_d, d], axis=1)
        cand_i = np.concatenate([best_i, np.broadcast_to(np.arange(lo, lo + len(x)), d.shape)], axis=1)
        part = np.argpartition(cand_d, k - 1, axis=1)[:, :k] if cand_d.shape[1] > k else \
            np.broadcast_to(np.arange(cand_d.shape[1]), (nq, cand_d.shape[1]))
        best_d = np.take_along_axis(cand_d, part, axis=1)
        best_i = np.take_along_axis(cand_i, part, axis=1)
    order = np.lexsort((best_i, best_d), axis=1)
    return np.take_along_axis(best_i, order, axis=1), np.take_along_axis(best_d, order, axis=1)


def distances_to(base, query, ids, metric="l2"):
    """Return the exact distances (float64) from one query to the given base row ids."""
    x = base[ids].astype(np.float64)
    q = query.astype(np.float64)
    if metric == "l2":
        return np.sqrt(np.maximum(((x - q) ** 2).sum(axis=1), 0.0))
    if metric == "ip":
        return -(x @ q)
    xn = np.linalg.norm(x, axis=1)
    qn = np.linalg.norm(q)
    xn[xn == 0] = 1.0
    return 1.0 - (x @ q) / (xn * (qn or 1.0))


def recall(dataset, gt_ids, gt_dist, results, k, metric="l2", tol=1e-5):
    """Return mean recall@k of `results` (a list of id lists, one per query) against exact top-k.

    A returned id counts when it is one of the exact top-k ids or when its exact distance is within
    `tol` (relative) of the k-th exact distance: with ties at the k-th place any of the tied rows is a
    correct answer. Duplicate returned ids count once. Missing results (fewer than k) count as misses.
    """
    total = 0.0
    for qi, got in enumerate(results):
        got = list(dict.fromkeys(int(i) for i in got[:k] if 0 <= int(i) < dataset.n))
        truth = set(int(i) for i in gt_ids[qi, :k])
        hits = [i for i in got if i in truth]
        others = [i for i in got if i not in truth]
        n_hit = len(hits)
        if others:
            kth = gt_dist[qi, k - 1]
            d = distances_to(dataset.base, dataset.queries[qi], np.array(others), metric)
            n_hit += int(np.sum(d <= kth + tol * max(abs(kth), 1e-12)))
        total += min(n_hit, k) / float(k)
    return total / max(1, len(results))


def _block_distances(x, q, q_sq, metric):
    """Distances between all queries q (nq, d) and the base block x (b, d) as an (nq, b) array."""
    dots = q @ x.T
    if metric == "l2":
        x_sq = np.einsum("ij,ij->i", x, x)
        return np.sqrt(np.maximum(q_sq[:, None] - 2.0 * dots + x_sq[None, :], 0.0))
    if metric == "ip":
        return -dots
    xn = np.linalg.norm(x, axis=1)
    xn[xn == 0] = 1.0
    return 1.0 - dots / xn[None, :]


def _atomic_save(path, ids, dist):
    """Write the cache file atomically (another benchmark run may read it concurrently)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gt-", suffix=".npz", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, ids=ids, distances=dist)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
