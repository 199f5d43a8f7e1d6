// module.cpp — the extension's load-time entry: magic block, _PG_init and the index GUCs.
//
// _PG_init runs in the postmaster when jadevector is in shared_preload_libraries. Nothing here
// may start FAISS or OpenMP work: an OpenMP team created before fork hangs every child backend
// at its first parallel region (DEPENDENCIES.md §2 "OpenMP in a backend"). GUCs and reloption
// kinds only.
#include "pg/guard.h"

#include <climits>

#include "index/gucs.h"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace jade::ext::index {

int hnsw_ef_search = 40;
int hnsw_iterative_scan = kIterativeOff;
int hnsw_max_scan_tuples = 20000;
double hnsw_scan_mem_multiplier = 1.0;
int ivfflat_probes = 1;
int ivfflat_iterative_scan = kIterativeOff;
int ivfflat_max_probes = 32768;

int jade_nprobe = 0;
int jade_ef_search = 0;
int jade_rerank_factor = 0;
int jade_build_threads = 0;
int jade_hnsw_cache_mb = 1024;
int jade_iterative_scan = kIterativeRelaxed;
int jade_max_scan_tuples = 0;

static const struct config_enum_entry kHnswIterativeOptions[] = {{"off", kIterativeOff, false},
                                                                 {"relaxed_order", kIterativeRelaxed, false},
                                                                 {"strict_order", kIterativeStrict, false},
                                                                 {nullptr, 0, false}};
static const struct config_enum_entry kIvfflatIterativeOptions[] = {
    {"off", kIterativeOff, false}, {"relaxed_order", kIterativeRelaxed, false}, {nullptr, 0, false}};

void DefineIndexGucs() {
    // pgvector-compatible settings (same names, ranges and defaults as pgvector 0.8).
    DefineCustomIntVariable("hnsw.ef_search", "Sets the size of the dynamic candidate list for search", nullptr,
                            &hnsw_ef_search, 40, 1, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable("hnsw.iterative_scan", "Sets the mode for iterative scans", nullptr,
                             &hnsw_iterative_scan, kIterativeOff, kHnswIterativeOptions, PGC_USERSET, 0, nullptr,
                             nullptr, nullptr);
    DefineCustomIntVariable("hnsw.max_scan_tuples", "Sets the max number of tuples to visit for iterative scans",
                            nullptr, &hnsw_max_scan_tuples, 20000, 1, INT_MAX, PGC_USERSET, 0, nullptr, nullptr,
                            nullptr);
    // pgvector's name, range (hash_mem_multiplier's) and default.
    DefineCustomRealVariable("hnsw.scan_mem_multiplier", "Sets the multiple of work_mem to use for iterative scans",
                             nullptr, &hnsw_scan_mem_multiplier, 1.0, 1.0, 1000.0, PGC_USERSET, 0, nullptr, nullptr,
                             nullptr);
    MarkGUCPrefixReserved("hnsw");
    DefineCustomIntVariable("ivfflat.probes", "Sets the number of probes", "Valid range is 1..lists.",
                            &ivfflat_probes, 1, 1, 32768, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable("ivfflat.iterative_scan", "Sets the mode for iterative scans", nullptr,
                             &ivfflat_iterative_scan, kIterativeOff, kIvfflatIterativeOptions, PGC_USERSET, 0,
                             nullptr, nullptr, nullptr);
    DefineCustomIntVariable("ivfflat.max_probes", "Sets the max number of probes for iterative scans", nullptr,
                            &ivfflat_max_probes, 32768, 1, 32768, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("ivfflat");

    // Settings of the faiss access method.
    DefineCustomIntVariable("jadevector.nprobe", "Sets the number of IVF lists probed first by faiss index scans",
                            "0 uses the value calibrated at build time for 0.95 recall@10.", &jade_nprobe, 0, 0, 65536, PGC_USERSET,
                            0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("jadevector.ef_search", "Sets the HNSW search breadth (efSearch) of faiss index scans",
                            "0 uses the value calibrated at build time for 0.95 recall@10.", &jade_ef_search, 0, 0,
                            100000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("jadevector.rerank_factor",
                            "Sets how many candidates per result are re-ranked exactly for lossy codes (SQ, PQ)",
                            "0 uses the depth calibrated at build time for 0.95 recall@10; n re-ranks n x 32 "
                            "candidates per 10 rows returned.",
                            &jade_rerank_factor, 0, 0, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("jadevector.build_threads", "Sets the number of OpenMP threads used by index builds",
                            "0 uses the idle CPUs up to max_parallel_maintenance_workers + 1 for builds of 50,000 "
                            "rows or more; 1 keeps builds deterministic; searches always run on the backend's own "
                            "thread.",
                            &jade_build_threads, 0, 0, 64, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("jadevector.hnsw_cache_mb",
                            "Sets the per-backend memory bound for cached HNSW graphs and IVF codecs", nullptr,
                            &jade_hnsw_cache_mb, 1024, 1, INT_MAX / 2, PGC_USERSET, GUC_UNIT_MB, nullptr, nullptr,
                            nullptr);
    DefineCustomEnumVariable("jadevector.iterative_scan",
                             "Sets how faiss index scans continue (more probes, larger ef) while rows are requested",
                             "relaxed_order returns every row found; strict_order drops rows found later that are "
                             "closer than one already returned; off stops after the first batch.",
                             &jade_iterative_scan, kIterativeRelaxed, kHnswIterativeOptions, PGC_USERSET, 0, nullptr,
                             nullptr, nullptr);
    DefineCustomIntVariable("jadevector.max_scan_tuples",
                            "Sets the max number of index entries an iterative faiss scan visits (0 = no limit)",
                            nullptr, &jade_max_scan_tuples, 0, 0, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("jadevector");
}

}  // namespace jade::ext::index

// Refuses to run an AVX2 FAISS build on a CPU without AVX2 (it would die of SIGILL later).
static void CheckCpuForFaiss() {
#ifdef JADE_FAISS_AVX2
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("jadevector was built with AVX2 FAISS, but this CPU does not support AVX2/FMA"),
                        errhint("Rebuild jadevector with -DJADE_USE_AVX2_FAISS=OFF to link the generic FAISS.")));
#endif
}

void _PG_init(void) {
    CheckCpuForFaiss();
    jade::pg::InstallInterruptProbe();
    jade::ext::index::DefineIndexGucs();
    jade::ext::index::DefineIndexReloptions();
}
