"""Datasets for the benchmark: deterministic synthetic sets, the NGT SIFT 5K sample, .fvecs files.

Every dataset is a `Dataset`: float32 base vectors (N x D, row i has id i), float32 query vectors
(Q x D, never part of the base), the metric its ground truth is computed for, and a `params` dict
that identifies it exactly (it keys the ground-truth cache, see groundtruth.py).

Synthetic sets are generated from numpy's PCG64 with a fixed seed, in fixed-size chunks, so the
same (kind, N, D, Q, seed) gives the same bytes on any machine and any numpy >= 1.17:
  clustered  a Gaussian mixture: `clusters` centres uniform in [-1, 1]^D, each point = a centre
             (chosen uniformly) + N(0, S), queries from the same mixture but a separate random stream
             (new points, not base rows). S has a decaying spectrum (std of component j ~ (1+j)^-0.5,
             RMS sigma) in a random orthonormal basis: isotropic noise in all D dimensions makes every
             neighbour almost equidistant (distance concentration), which real embeddings are not;
             with this spectrum the nearest/100th-nearest distance ratio (~0.79 at 5K x 128) is close
             to real SIFT's (0.75 on the NGT 5K sample).
  uniform    i.i.d. uniform in [0, 1)^D (the hard case for partitioning indexes).
"""

import hashlib
import os

import numpy as np

GENERATOR_VERSION = 2  # bump when the generation procedure changes: it invalidates cached ground truth
_CHUNK = 65536

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SIFT5K_DIR = os.path.join(os.path.dirname(REPO), "shared", "data", "ngt-sift5k")


class Dataset:
    """Base vectors, held-out queries, the metric and the exact identity of a benchmark data set."""

    def __init__(self, name, base, queries, metric, params, description):
        self.name = name
        self.base = np.ascontiguousarray(base, dtype=np.float32)
        self.queries = np.ascontiguousarray(queries, dtype=np.float32)
        self.metric = metric
        self.params = dict(params)
        self.description = description

    @property
    def n(self):
        return self.base.shape[0]

    @property
    def dim(self):
        return self.base.shape[1]

    def fingerprint(self):
        """Return a sha256 of the base and query bytes: the ground-truth cache key part that cannot lie."""
        h = hashlib.sha256()
        h.update(("%d,%d,%d" % (self.n, self.dim, len(self.queries))).encode())
        h.update(memoryview(self.base).cast("B"))
        h.update(memoryview(self.queries).cast("B"))
        return h.hexdigest()

    def extra_vectors(self, count, seed=None):
        """Return `count` new vectors from the same distribution (for the insert-throughput test)."""
        rng = np.random.default_rng([self.params.get("seed", 0), 7919, count])
        kind = self.params.get("kind")
        if kind == "uniform":
            return rng.random((count, self.dim), dtype=np.float32)
        # For clustered and real data: jitter randomly chosen base rows (keeps the distribution).
        rows = self.base[rng.integers(0, self.n, size=count)]
        scale = float(np.std(self.base)) * 0.05 + 1e-6
        return (rows + rng.normal(0.0, scale, size=rows.shape)).astype(np.float32)


def make_clustered(n, dim, n_queries=1000, seed=42, clusters=None, sigma=None):
    """Generate a Gaussian-mixture data set of n x dim float32 vectors plus n_queries queries."""
    clusters = clusters or max(8, min(1024, n // 500))
    # Spread chosen so clusters overlap a little: neighbours of a query mostly share its cluster,
    # but the nearest clusters also matter (a realistic case for IVF probing).
    sigma = sigma if sigma is not None else 0.35 / np.sqrt(dim / 16.0)
    rng = np.random.default_rng([seed, 1])
    centres = rng.uniform(-1.0, 1.0, size=(clusters, dim)).astype(np.float32)
    spectrum = (1.0 + np.arange(dim)) ** -0.5
    spectrum *= sigma / np.sqrt(np.mean(spectrum ** 2))
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    shape = (spectrum[:, None] * basis.T).astype(np.float32)  # noise = z @ shape, z ~ N(0, I)
    base = _mixture(np.random.default_rng([seed, 2]), centres, shape, n)
    queries = _mixture(np.random.default_rng([seed, 3]), centres, shape, n_queries)
    params = {"kind": "clustered", "n": n, "dim": dim, "queries": n_queries, "seed": seed,
              "clusters": clusters, "sigma": round(float(sigma), 6), "generator": GENERATOR_VERSION}
    desc = ("synthetic Gaussian mixture: %d clusters, centres U(-1,1)^%d, RMS sigma %.3f with a decaying "
            "spectrum, seed %d; "
            "%d queries from the same mixture (not base rows)" % (clusters, dim, sigma, seed, n_queries))
    return Dataset("clustered-%s-d%d" % (_short(n), dim), base, queries, "l2", params, desc)


def make_uniform(n, dim, n_queries=1000, seed=42):
    """Generate n x dim float32 vectors uniform in [0,1)^dim plus n_queries queries."""
    base = _uniform(np.random.default_rng([seed, 4]), n, dim)
    queries = _uniform(np.random.default_rng([seed, 5]), n_queries, dim)
    params = {"kind": "uniform", "n": n, "dim": dim, "queries": n_queries, "seed": seed,
              "generator": GENERATOR_VERSION}
    desc = "synthetic uniform U(0,1)^%d, seed %d; %d independent queries" % (dim, seed, n_queries)
    return Dataset("uniform-%s-d%d" % (_short(n), dim), base, queries, "l2", params, desc)


def load_sift5k(directory=DEFAULT_SIFT5K_DIR, n_holdout=200, seed=42):
    """Load NGT's 5,000 SIFT vectors; hold out n_holdout random rows (plus the 3 shipped queries) as queries."""
    path = os.path.join(directory, "sift-dataset-5k.tsv")
    if not os.path.exists(path):
        raise FileNotFoundError("SIFT 5K data not found at %s" % path)
    rows = np.loadtxt(path, delimiter="\t", dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 129:
        raise ValueError("%s: expected 129 columns (128 components + id), got %s" % (path, rows.shape))
    vectors = rows[:, :128].astype(np.float32)
    perm = np.random.default_rng([seed, 6]).permutation(len(vectors))
    held, kept = np.sort(perm[:n_holdout]), np.sort(perm[n_holdout:])
    queries = [vectors[held]]
    qpath = os.path.join(directory, "sift-query-3.tsv")
    if os.path.exists(qpath):
        queries.append(np.loadtxt(qpath, delimiter="\t", dtype=np.float32).reshape(-1, 128))
    queries = np.vstack(queries)
    params = {"kind": "sift5k", "n": len(kept), "dim": 128, "queries": len(queries), "holdout": n_holdout,
              "seed": seed}
    desc = ("real SIFT descriptors (NGT sift-dataset-5k.tsv): %d base rows after holding out %d random rows "
            "(seed %d) as queries, plus NGT's %d shipped queries" % (len(kept), n_holdout, seed,
                                                                     len(queries) - n_holdout))
    return Dataset("sift5k", vectors[kept], queries, "l2", params, desc)


def load_fvecs_dataset(base_path, query_path, limit=None, n_queries=None):
    """Load a TEXMEX-style data set (e.g. SIFT1M sift_base.fvecs + sift_query.fvecs)."""
    base = read_vecs(base_path, "f", limit=limit)
    queries = read_vecs(query_path, "f", limit=n_queries)
    if base.shape[1] != queries.shape[1]:
        raise ValueError("base dim %d != query dim %d" % (base.shape[1], queries.shape[1]))
    name = os.path.splitext(os.path.basename(base_path))[0]
    params = {"kind": "fvecs", "base": os.path.abspath(base_path), "query": os.path.abspath(query_path),
              "n": len(base), "dim": base.shape[1], "queries": len(queries)}
    desc = "%s (%d vectors) with queries from %s" % (base_path, len(base), query_path)
    return Dataset(name, base, queries, "l2", params, desc)


def read_vecs(path, kind="f", limit=None):
    """Read an .fvecs ('f', float32), .ivecs ('i', int32) or .bvecs ('b', uint8) file into a 2-D array.

    Each record is a little-endian int32 dimension d followed by d components; all records of a
    file have the same d (checked).
    """
    item = {"f": np.float32, "i": np.int32, "b": np.uint8}[kind]
    itemsize = np.dtype(item).itemsize
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(4), dtype="<i4")
    if head.size != 1 or head[0] <= 0:
        raise ValueError("%s: not a %svecs file (bad first dimension)" % (path, kind))
    dim = int(head[0])
    rec = 4 + dim * itemsize
    total = os.path.getsize(path)
    if total % rec:
        raise ValueError("%s: size %d is not a multiple of the record size %d (dim %d)" % (path, total, rec, dim))
    count = total // rec if limit is None else min(limit, total // rec)
    raw = np.fromfile(path, dtype=np.uint8, count=count * rec).reshape(count, rec)
    dims = raw[:, :4].copy().view("<i4").ravel()
    if not np.all(dims == dim):
        raise ValueError("%s: records have differing dimensions" % path)
    return raw[:, 4:].copy().view(np.dtype(item).newbyteorder("<")).reshape(count, dim).astype(item)


def write_vecs(path, array, kind="f"):
    """Write a 2-D array as .fvecs/.ivecs/.bvecs (used by tests and to export ground truth)."""
    item = {"f": "<f4", "i": "<i4", "b": "u1"}[kind]
    array = np.ascontiguousarray(array, dtype=item)
    n, dim = array.shape
    out = np.empty((n, 4 + dim * array.itemsize), dtype=np.uint8)
    out[:, :4] = np.full((n, 1), dim, dtype="<i4").view(np.uint8)
    out[:, 4:] = array.view(np.uint8).reshape(n, -1)
    out.tofile(path)


def build(spec):
    """Create a dataset from a spec dict: {'kind': clustered|uniform|sift5k|fvecs, ...}."""
    kind = spec["kind"]
    if kind == "clustered":
        return make_clustered(spec["n"], spec["dim"], spec.get("queries", 1000), spec.get("seed", 42),
                              spec.get("clusters"))
    if kind == "uniform":
        return make_uniform(spec["n"], spec["dim"], spec.get("queries", 1000), spec.get("seed", 42))
    if kind == "sift5k":
        return load_sift5k(spec.get("dir", DEFAULT_SIFT5K_DIR), spec.get("holdout", 200), spec.get("seed", 42))
    if kind == "fvecs":
        return load_fvecs_dataset(spec["base"], spec["query"], spec.get("n"), spec.get("queries"))
    raise ValueError("unknown dataset kind %r (clustered, uniform, sift5k, fvecs)" % kind)


def _mixture(rng, centres, shape, n):
    """Draw n points of the mixture chunk by chunk (bounded temporaries; deterministic for a given n)."""
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        labels = rng.integers(0, len(centres), size=hi - lo)
        noise = rng.standard_normal((hi - lo, centres.shape[1]), dtype=np.float32)
        out[lo:hi] = centres[labels] + noise @ shape
    return out


def _uniform(rng, n, dim):
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        out[lo:hi] = rng.random((hi - lo, dim), dtype=np.float32)
    return out


def _short(n):
    if n % 1000000 == 0:
        return "%dM" % (n // 1000000)
    if n % 1000 == 0:
        return "%dK" % (n // 1000)
    return str(n)
