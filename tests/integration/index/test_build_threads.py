"""Build threads and the linked FAISS (issue 3, Threads / BLAS and SIMD).

`jadevector.build_threads = 0` (the default) sizes a build's OpenMP team from the machine: the
idle CPUs (CPU count minus the load average of other work), at most max_parallel_maintenance_workers
+ 1, and one thread below 50,000 rows (index/build_threads.cpp). Every build says at DEBUG1 how
many threads it used and which FAISS it runs ("OPTIMIZE AVX2" is FAISS's own compile option of
the AVX2 build), so what is running can be checked, not just what the build meant to link.
"""

import os

import numpy as np

from . import helpers as h


def _build_notice(conn, cur, sql):
    conn.notices.clear()
    cur.execute("SET client_min_messages = debug1")
    cur.execute(sql)
    cur.execute("RESET client_min_messages")
    lines = [n.strip() for n in conn.notices if "jadevector: building" in n]
    assert len(lines) == 1, conn.notices
    return lines[0]


def _cmake_cache_value(name):
    path = os.path.join(h.BUILD_DIR, "CMakeCache.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None


def test_build_logs_threads_and_linked_faiss(pg, conn):
    h.create_table(conn, "bt_items", 16)
    h.copy_rows(conn, "bt_items", np.arange(1, 2001), h.random_vectors(2000, 16, seed=91))
    with conn.cursor() as cur:
        cur.execute("SHOW jadevector.build_threads")
        assert cur.fetchone()[0] == "0"
        # Automatic: a small build runs on one thread (deterministic, about a second at most).
        line = _build_notice(conn, cur, "CREATE INDEX bt_ivf ON bt_items USING faiss (embedding) "
                                        "WITH (factory = 'IVF16,Flat')")
        assert "with 1 OpenMP thread;" in line, line
        assert "FAISS 1.7.3" in line, line
        cache = _cmake_cache_value("JADE_FAISS_CACHE")
        avx2_linked = (_cmake_cache_value("JADE_USE_AVX2_FAISS") in ("ON", "TRUE", "1") and cache
                       and os.path.exists(os.path.join(cache, "libfaiss_avx2.a")))
        with open("/proc/cpuinfo") as f:
            cpu_avx2 = " avx2 " in f.read().replace("\n", " ")
        if avx2_linked and cpu_avx2:
            assert "AVX2" in line, "the AVX2 FAISS was to be linked, but the module runs: %s" % line
        # An explicit setting is used as given.
        cur.execute("SET jadevector.build_threads = 2")
        line = _build_notice(conn, cur, "CREATE INDEX bt_hnsw ON bt_items USING faiss (embedding) "
                                        "WITH (factory = 'HNSW8')")
        assert "with 2 OpenMP threads;" in line, line
        cur.execute("RESET jadevector.build_threads")
        # Searches still run on the backend's thread and see every row.
        cur.execute("SET enable_seqscan = off")
        cur.execute("SELECT count(*) FROM (SELECT id FROM bt_items ORDER BY embedding <-> %s::vector LIMIT 2000) s",
                    (h.vec_text(np.zeros(16, dtype=np.float32)),))
        assert cur.fetchone()[0] == 2000
        cur.execute("DROP TABLE bt_items")
