"""Recall of every index family against exact search (issue 3, "Tests").

Data: the issue's "10K random 128-d vectors" — uniform random float32 in [0,1)^128, seed 1 — and
100 random queries (seed 2). Ground truth is computed exactly in numpy (float64); the server's
own sequential scan is compared with it too, so neither side is trusted blindly.

For each family two things are checked on its own copy of the table:
  * default settings (no SET of any search parameter): recall@10 >= 0.95 — the issue's bar;
  * wide settings (all lists probed / a large ef / more re-ranking): recall@10 >= 0.95, which
    proves the scan itself is correct independent of how the defaults are tuned.
Every query runs with enable_seqscan = off and EXPLAIN must show the index scan.
"""

import numpy as np
import pytest

from . import helpers as h

N, DIM, NQ, K = 10000, 128, 100, 10
MIN_RECALL = 0.95

# Uniform random 128-d data is the hardest case for ANN search (no structure to exploit). Since
# 4710d15 the faiss AM calibrates nprobe / ef at build time for 0.95 recall@10 (auto_nprobe,
# auto_ef); measured on this data at the defaults (recall@10, 100 queries):
#   faiss IVF64,Flat 0.964, IVF64,SQ8 0.970, IVF64,Flat cosine 0.972, HNSW16 0.983,
#   HNSW16,SQ8 0.984, HNSW16 inner product 0.998
#   faiss IVF64,PQ16 0.961 (a fixed re-rank depth of 128 candidates gave 0.799: PQ16 codes rank
#     true neighbours far down; the build now calibrates the share of candidates to re-rank too)
#   hnsw m=16 0.983, ivfflat lists=100 0.958: while hnsw.ef_search / ivfflat.probes are at their
#     defaults (pg_settings.source 'default') these AMs use the build's calibrated breadth, never
#     below pgvector's default; SHOW still says 40 / 1, and any value someone sets is used as is
#     (pgvector's own defaults gave 0.557 and 0.064 here: test_explicit_pgvector_settings_are_used).


# name -> (metric, USING clause, wide-search settings)
FAMILIES = {
    "faiss_flat_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'Flat')", {}),
    "faiss_default_l2": ("l2", "faiss (embedding vector_l2_ops)", {}),
    "faiss_flat_ip": ("ip", "faiss (embedding vector_ip_ops) WITH (factory = 'Flat')", {}),
    "faiss_flat_cosine": ("cosine", "faiss (embedding vector_cosine_ops) WITH (factory = 'Flat')", {}),
    "faiss_flat_l1": ("l1", "faiss (embedding vector_l1_ops) WITH (factory = 'Flat')", {}),
    "faiss_ivf_flat_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'IVF64,Flat')",
                          {"jadevector.nprobe": 64}),
    "faiss_ivf_sq8_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'IVF64,SQ8')",
                         {"jadevector.nprobe": 64}),
    "faiss_ivf_pq_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'IVF64,PQ16')",
                        {"jadevector.nprobe": 64, "jadevector.rerank_factor": 32}),
    "faiss_hnsw_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'HNSW16')",
                      {"jadevector.ef_search": 800}),
    "faiss_hnsw_sq8_l2": ("l2", "faiss (embedding vector_l2_ops) WITH (factory = 'HNSW16,SQ8')",
                          {"jadevector.ef_search": 800}),
    "pg_hnsw_l2": ("l2", "hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)",
                   {"hnsw.ef_search": 800}),
    "pg_ivfflat_l2": ("l2", "ivfflat (embedding vector_l2_ops) WITH (lists = 100)", {"ivfflat.probes": 100}),
    "faiss_ivf_flat_cosine": ("cosine", "faiss (embedding vector_cosine_ops) WITH (factory = 'IVF64,Flat')",
                              {"jadevector.nprobe": 64}),
    "faiss_hnsw_ip": ("ip", "faiss (embedding vector_ip_ops) WITH (factory = 'HNSW16')",
                      {"jadevector.ef_search": 800}),
}

@pytest.fixture(scope="module")
def data():
    base = h.random_vectors(N, DIM, seed=1)
    queries = h.random_vectors(NQ, DIM, seed=2)
    ids = np.arange(1, N + 1)
    return base, ids, queries


@pytest.fixture(scope="module")
def loaded(pg, conn, data):
    """The base table `items` loaded once; every family gets a copy made from it."""
    base, ids, _ = data
    h.create_table(conn, "items", DIM)
    h.copy_rows(conn, "items", ids, base)
    with conn.cursor() as cur:
        cur.execute("ANALYZE items")
    return "items"


_built = {}


def family_table(conn, name):
    """Create (once per module) items_<name> with its index; returns (table, index, metric)."""
    metric, using, _ = FAMILIES[name]
    table, index = "items_" + name, "ix_" + name
    if name not in _built:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS %s" % table)
            cur.execute("CREATE TABLE %s AS SELECT * FROM items" % table)
            cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, using))
            cur.execute("ANALYZE %s" % table)
        _built[name] = True
    return table, index, metric


def run_queries(cur, table, index, metric, queries, settings):
    cur.execute("RESET ALL")
    cur.execute("SET enable_seqscan = off")
    for k, v in settings.items():
        cur.execute("SET %s = %s" % (k, v))
    h.assert_index_scan(cur, table, index, metric, queries[0], K)
    found, dists = [], []
    for q in queries:
        ids, d = h.knn(cur, table, q, metric, K)
        found.append(ids)
        dists.append(d)
    cur.execute("RESET ALL")
    return found, dists


def check_results(name, found, dists, truth_ids, truth_d, base, queries, ids, metric):
    """Recall, and every returned row's distance is the exact one and ordered."""
    id_to_row = {int(i): r for r, i in enumerate(ids)}
    for q, f, d in zip(queries, found, dists):
        assert len(f) == K, "%s returned %d rows, not %d" % (name, len(f), K)
        assert all(d[i] <= d[i + 1] + 1e-6 for i in range(len(d) - 1)), "%s: not ordered: %s" % (name, d)
        exact = h.distances(base[[id_to_row[i] for i in f]], q, metric)
        assert np.allclose(d, exact, rtol=1e-4, atol=1e-4), "%s: distances %s vs exact %s" % (name, d, exact)
    return h.recall(found, truth_ids)


def test_ground_truth_matches_server_seqscan(pg, conn, loaded, data):
    """numpy's exact top-10 equals the server's own sequential scan for every metric."""
    base, ids, queries = data
    with conn.cursor() as cur:
        cur.execute("SET enable_indexscan = off")
        for metric in ("l2", "ip", "cosine", "l1"):
            truth, truth_d = h.exact_knn(base, ids, queries[:20], K, metric)
            for q, t, td in zip(queries[:20], truth, truth_d):
                got, got_d = h.knn(cur, loaded, q, metric, K)
                assert got == t, (metric, got, t)
                assert np.allclose(got_d, td, rtol=1e-5, atol=1e-5), (metric, got_d, td)
        cur.execute("RESET ALL")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_recall_at_default_settings(pg, conn, loaded, data, name):
    base, ids, queries = data
    table, index, metric = family_table(conn, name)
    truth, truth_d = h.exact_knn(base, ids, queries, K, metric)
    with conn.cursor() as cur:
        found, dists = run_queries(cur, table, index, metric, queries, {})
    r = check_results(name, found, dists, truth, truth_d, base, queries, ids, metric)
    print("recall@10 default %s = %.3f" % (name, r))
    assert r >= MIN_RECALL, "%s: recall@10 %.3f < %.2f at default settings" % (name, r, MIN_RECALL)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_recall_at_wide_settings(pg, conn, loaded, data, name):
    base, ids, queries = data
    table, index, metric = family_table(conn, name)
    truth, truth_d = h.exact_knn(base, ids, queries, K, metric)
    settings = FAMILIES[name][2]
    with conn.cursor() as cur:
        found, dists = run_queries(cur, table, index, metric, queries, settings)
    r = check_results(name, found, dists, truth, truth_d, base, queries, ids, metric)
    print("recall@10 %s %s = %.3f" % (settings, name, r))
    # Exact families (Flat, and IVF,Flat with every list probed) must be exact.
    exact = ("flat" in name and "hnsw" not in name) or name == "pg_ivfflat_l2"
    assert r >= (0.999 if exact else MIN_RECALL), "%s: recall@10 %.3f with %s" % (name, r, settings)


@pytest.mark.parametrize("name,setting,pgvector_default,max_recall", [
    ("pg_hnsw_l2", "hnsw.ef_search", "40", 0.7),
    ("pg_ivfflat_l2", "ivfflat.probes", "1", 0.2),
])
def test_explicit_pgvector_settings_are_used(pg, conn, loaded, data, name, setting, pgvector_default, max_recall):
    """SHOW keeps pgvector's default; setting it — even to that default — makes the AM use it."""
    base, ids, queries = data
    table, index, metric = family_table(conn, name)
    truth, truth_d = h.exact_knn(base, ids, queries, K, metric)
    with conn.cursor() as cur:
        cur.execute("RESET ALL")
        cur.execute("SHOW %s" % setting)
        assert cur.fetchone()[0] == pgvector_default
        found, dists = run_queries(cur, table, index, metric, queries, {setting: pgvector_default})
    r = check_results(name, found, dists, truth, truth_d, base, queries, ids, metric)
    print("recall@10 %s = %s: %.3f" % (setting, pgvector_default, r))
    assert r < max_recall, "%s = %s set explicitly, yet recall@10 %.3f looks calibrated" % (setting, pgvector_default, r)


def test_default_factory_is_reported(conn, loaded):
    """The faiss AM without a factory picks one from the table size and reports it."""
    family_table(conn, "faiss_default_l2")
    with conn.cursor() as cur:
        cur.execute("SELECT am, family, factory, metric, dims FROM jadevector_index_info('ix_faiss_default_l2')")
        am, family, factory, metric, dims = cur.fetchone()
    assert am == "faiss" and dims == DIM and metric == "l2"
    assert factory, "no resolved factory string"
