// index/am.h — declarations shared by the jadevector index access method files.
//
// One AM implementation serves three access methods: `faiss` (any supported FAISS factory
// string), and pgvector-compatible `hnsw` and `ivfflat`, which map their reloptions onto the
// factory strings "HNSWm,Flat" and "IVFlists,Flat" and read pgvector's GUCs at scan time.
// Files split by phase as in pgvector and contrib/bloom: handler.cpp, options.cpp, build.cpp,
// insert.cpp, scan.cpp, vacuum.cpp, cost.cpp, cache.cpp, pages.cpp; design in README.md.
#pragma once

#include "index/pages.h"

extern "C" {
#include "access/amapi.h"
#include "access/genam.h"
#include "access/relscan.h"
#include "nodes/execnodes.h"
}

namespace jade::ext::index {

inline constexpr int kDefaultHnswM = 16;
inline constexpr int kDefaultEfConstruction = 64;
inline constexpr int kDefaultIvfflatLists = 100;

// Build sub-phases reported in pg_stat_progress_create_index (1 is PG's "initializing").
inline constexpr int64 kPhaseLoad = 2;
inline constexpr int64 kPhaseTrain = 3;
inline constexpr int64 kPhaseAdd = 4;
inline constexpr int64 kPhaseWrite = 5;

struct FaissOptionsData {
    int32 vl_len_;  // varlena header (do not touch directly!)
    int factory_offset;
    int ef_construction;
};

struct HnswOptionsData {
    int32 vl_len_;
    int m;
    int ef_construction;
};

struct IvfflatOptionsData {
    int32 vl_len_;
    int lists;
};

// Everything a build needs to know, resolved and validated before FAISS runs.
struct BuildSpec {
    JadeAmKind am;
    JadeFamily family;
    JadeMetric metric;
    uint32 dims;
    uint32 nlist;
    int hnsw_m;
    int ef_construction;
    uint32 code_size;
    bool lossy;
    char factory[kFactoryMaxLen];
};

// options.cpp
bytea* FaissOptions(Datum reloptions, bool validate);
bytea* HnswOptions(Datum reloptions, bool validate);
bytea* IvfflatOptions(Datum reloptions, bool validate);
JadeMetric IndexMetric(Relation index);
const char* MetricName(uint32 metric);
void ResolveBuildSpec(Relation index, JadeAmKind am, uint32 dims, double ntuples, BuildSpec* spec);

// The lists an IVF scan probes first and the ef an HNSW scan starts with, from the GUCs of the
// AM that built the index (0 = the values calibrated at build time).
int EffectiveNprobe(const JadeMetaPageData* meta);
int EffectiveEf(const JadeMetaPageData* meta);

// Vector preparation shared by build, insert and scan (vectors.cpp): checks dims, decodes the
// value into a working row (index/elements.h: floats, or packed bits for the bit metrics) and,
// for cosine, normalizes it. Returns false when the vector cannot be indexed (zero vector +
// cosine).
bool PrepareVector(Relation index, uint32 metric, uint32 dims, Datum value, void* dst);

// Computes the operator's exact distance between a query row (prepared) and a stored row.
double ExactDistance(uint32 metric, const void* query, const void* x, uint32 dims);

// build_threads.cpp: OpenMP threads for a build over `rows` vectors (jadevector.build_threads;
// 0 = the idle CPUs up to max_parallel_maintenance_workers + 1, for large builds).
int BuildThreads(int64 rows);

// build.cpp
IndexBuildResult* JadeBuild(Relation heap, Relation index, IndexInfo* info, JadeAmKind am);
void jadebuildempty(Relation index);

// insert.cpp
bool jadeinsert(Relation index, Datum* values, bool* isnull, ItemPointer heap_tid, Relation heap,
                IndexUniqueCheck check_unique, bool index_unchanged, IndexInfo* info);

// scan.cpp
IndexScanDesc jadebeginscan(Relation index, int nkeys, int norderbys);
void jaderescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
bool jadegettuple(IndexScanDesc scan, ScanDirection dir);
void jadeendscan(IndexScanDesc scan);

// vacuum.cpp
IndexBulkDeleteResult* jadebulkdelete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                      IndexBulkDeleteCallback callback, void* callback_state);
IndexBulkDeleteResult* jadevacuumcleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats);

// merge.cpp: folds the HNSW delta into the graph (force: any size); returns rows merged.
int64 MergeHnswDelta(Relation index, bool force);

// cost.cpp
void jadecostestimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost,
                      Cost* total_cost, Selectivity* selectivity, double* correlation, double* pages);

// cache.cpp: per-backend cache of deserialized engine structures, keyed by relfilenode +
// build id + cache version, bounded by jadevector.hnsw_cache_mb.
struct EngineIvf;
struct EngineHnsw;
EngineIvf* CachedIvf(Relation index, const JadeMetaPageData* meta);
EngineHnsw* CachedHnsw(Relation index, const JadeMetaPageData* meta);

}  // namespace jade::ext::index
