// index/gucs.h — the run-time settings that steer index builds and scans (defined in module.cpp).
//
// pgvector's names and defaults are kept for the hnsw/ivfflat AMs so existing applications
// migrate unchanged; the faiss AM reads the jadevector.* settings instead (README.md "Settings").
#pragma once

namespace jade::ext::index {

// pgvector's iterative_scan modes.
enum IterativeScanMode { kIterativeOff = 0, kIterativeRelaxed = 1, kIterativeStrict = 2 };

extern int hnsw_ef_search;
extern int hnsw_iterative_scan;
extern int hnsw_max_scan_tuples;
extern double hnsw_scan_mem_multiplier;  // iterative hnsw scans stop at work_mem x this
extern int ivfflat_probes;
extern int ivfflat_iterative_scan;
extern int ivfflat_max_probes;

extern int jade_nprobe;           // 0 = automatic from nlist
extern int jade_ef_search;
extern int jade_rerank_factor;    // 0 = automatic: the share calibrated at build
extern int jade_build_threads;    // 0 = automatic (build_threads.cpp)
extern int jade_hnsw_cache_mb;
extern int jade_iterative_scan;    // IterativeScanMode
extern int jade_max_scan_tuples;  // 0 = unlimited

// Registers every setting above (called from _PG_init).
void DefineIndexGucs();

// Registers the reloption kinds of the three AMs (called from _PG_init).
void DefineIndexReloptions();

}  // namespace jade::ext::index
