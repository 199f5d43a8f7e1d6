"""Recall on real data: 5,000 SIFT descriptors from ../shared/data/ngt-sift5k (see its README).

100 rows (fixed seed) are held out as queries and removed from the base set; ground truth is the
exact L2 top-10 over the remaining 4,900 rows (numpy, float64), cross-checked against the server's
sequential scan. Every family is queried at its default search settings through the index.
The data set sits beside the clone (`../shared/data` from the repository root, as in CI); without
it the module is skipped with the reason.
"""

import os

import numpy as np
import pytest

from . import helpers as h

DATA = os.path.join(h.REPO, "..", "shared", "data", "ngt-sift5k", "sift-dataset-5k.tsv")
NQ, K, MIN_RECALL = 100, 10, 0.95

if not os.path.exists(DATA):
    pytest.skip("real SIFT data not found at %s (shared/ must be a sibling of the clone)" % os.path.abspath(DATA),
                allow_module_level=True)

# name -> USING clause (factories sized for 4,900 rows)
REAL_FAMILIES = {
    "faiss_flat": "faiss (embedding) WITH (factory = 'Flat')",
    "faiss_ivf_flat": "faiss (embedding) WITH (factory = 'IVF32,Flat')",
    "faiss_ivf_sq8": "faiss (embedding) WITH (factory = 'IVF32,SQ8')",
    "faiss_ivf_pq": "faiss (embedding) WITH (factory = 'IVF32,PQ16')",
    "faiss_hnsw": "faiss (embedding) WITH (factory = 'HNSW16')",
    "faiss_hnsw_sq8": "faiss (embedding) WITH (factory = 'HNSW16,SQ8')",
    "pg_hnsw": "hnsw (embedding) WITH (m = 16, ef_construction = 64)",
    "pg_ivfflat": "ivfflat (embedding) WITH (lists = 32)",
}
# Every family meets the bar at its defaults (recall@10 over 100 held-out queries). The faiss AM's
# calibrated defaults used to land under 0.95 here (IVF32 0.948, HNSW16 0.918) because the
# calibration queried with indexed vectors; since f7305c8 (faiss/calibrate.cpp) it queries with
# displaced sample rows and a confidence margin: IVF32,* 0.960, HNSW16[,SQ8] 0.979. ivfflat
# (lists 32) gave 0.49 at pgvector's ivfflat.probes = 1; while that setting is untouched the AM
# now uses the calibrated probes (index/README.md "Calibration"): 0.960.


def _load():
    raw = np.loadtxt(DATA, dtype=np.int64, delimiter="\t")
    assert raw.shape == (5000, 129), raw.shape
    return raw[:, :128].astype(np.float32), raw[:, 128]


@pytest.fixture(scope="module")
def data(pg, conn):
    vectors, obj_ids = _load()
    rng = np.random.default_rng(91)
    held = np.sort(rng.choice(len(vectors), NQ, replace=False))
    keep = np.setdiff1d(np.arange(len(vectors)), held)
    base, ids, queries = vectors[keep], obj_ids[keep], vectors[held]
    h.create_table(conn, "sift", 128)
    h.copy_rows(conn, "sift", ids, base)
    with conn.cursor() as cur:
        cur.execute("ANALYZE sift")
    truth, truth_d = h.exact_knn(base, ids, queries, K, "l2")
    return base, ids, queries, truth, truth_d


def test_ground_truth_matches_seqscan(conn, data):
    base, ids, queries, truth, truth_d = data
    with conn.cursor() as cur:
        cur.execute("SET enable_indexscan = off")
        for q, t, td in zip(queries[:20], truth, truth_d):
            got, d = h.knn(cur, "sift", q, "l2", K)
            # Integer data can tie: compare distances, and ids where distances are distinct.
            assert np.allclose(d, td, rtol=1e-6), (d, td)
            assert set(got) == set(t) or len(set(np.round(td, 3))) < K, (got, t)
        cur.execute("RESET ALL")


@pytest.mark.parametrize("name", list(REAL_FAMILIES))
def test_real_data_recall_at_defaults(conn, data, name):
    base, ids, queries, truth, truth_d = data
    table, index = "sift_" + name, "siftix_" + name
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS %s" % table)
        cur.execute("CREATE TABLE %s AS SELECT * FROM sift" % table)
        cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, REAL_FAMILIES[name]))
        cur.execute("ANALYZE %s" % table)
        cur.execute("SET enable_seqscan = off")
        h.assert_index_scan(cur, table, index, "l2", queries[0], K)
        hits = 0
        for q, td in zip(queries, truth_d):
            got, d = h.knn(cur, table, q, "l2", K)
            assert len(got) == K
            assert all(d[j] <= d[j + 1] + 1e-3 for j in range(K - 1)), d
            # Tie-aware: a returned row no farther than the k-th true neighbour is a hit (the
            # distance column is computed from the heap row by the operator, not by the index).
            hits += sum(1 for x in d if x <= td[-1] * (1 + 1e-6) + 1e-6)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE %s" % table)
    r = hits / (K * len(queries))
    print("SIFT-5K recall@10 %s = %.3f" % (name, r))
    assert r >= MIN_RECALL, "%s: recall@10 %.3f < %.2f on real SIFT data" % (name, r, MIN_RECALL)
