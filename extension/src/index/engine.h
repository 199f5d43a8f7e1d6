// index/engine.h — the narrow interface the access method uses to reach the FAISS engine.
//
// The AM is PG-regime code; the engine (src/faiss/, C++ regime) throws jade::JadeError. Every
// function declared here may throw and must therefore be called inside jade::pg::CallCpp, with
// only POD arguments and results crossing. Engine objects are opaque handles created with `new`
// and destroyed with the matching Free function: owners register a MemoryContext reset callback
// (index/cache.cpp, index/build.cpp) so an ERROR never leaks them.
//
// No PostgreSQL header and no FAISS header is included here, so both regimes can use it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jade::ext::index {

// What a validated factory string describes.
struct FactoryInfo {
    uint32_t family;     // JadeFamily
    uint32_t nlist;      // IVF lists (0 otherwise)
    int32_t hnsw_m;      // HNSW M (0 otherwise)
    uint32_t code_size;  // bytes per stored code (Flat: 4 * dims)
    bool lossy;          // codes give approximate distances
    char normalized[128];
};

// Describes the linked FAISS: version and compile options (e.g. "FAISS 1.7.3, OPTIMIZE AVX2").
const char* EngineFaissDescription();

// Validates factory for dims and metric (JadeMetric); throws 22023/0A000 with a clear message.
void EngineParseFactory(const char* factory, uint32_t dims, uint32_t metric, FactoryInfo* out);

// Writes the default factory string for a table of about ntuples rows into out.
void EngineDefaultFactory(double ntuples, uint32_t dims, uint32_t metric, char* out, size_t out_len);

// Minimum number of training vectors the factory needs (0 for families without training).
int64_t EngineMinTrainingRows(const FactoryInfo* info);

// ---- IVF codec (coarse quantizer + list codec) ----
// Vectors (x, q) are rows of the index's working representation: `dims` floats, or for the bit
// metrics (hamming) (dims + 7) / 8 bytes of packed bits (binary_ivf_codec.h).
struct EngineIvf;

// Trains a codec on n vectors with `threads` OpenMP threads (the engine normalizes for cosine).
EngineIvf* EngineIvfTrain(const char* factory, uint32_t dims, uint32_t metric, const void* x, int64_t n,
                          int threads);

// Serializes the trained codec; the bytes stay owned by the handle until it is freed.
void EngineIvfSerialize(EngineIvf* ivf, const char** data, size_t* len);

// Restores a codec from bytes written by EngineIvfSerialize.
EngineIvf* EngineIvfLoad(const char* data, size_t len, uint32_t dims, uint32_t metric);

// Returns the approximate heap size of a loaded codec, for the cache bound.
size_t EngineIvfMemoryBytes(const EngineIvf* ivf);

// Assigns n vectors to their nearest lists and encodes them: lists[n], codes[n * code_size].
void EngineIvfAssignEncode(EngineIvf* ivf, int64_t n, const void* x, int64_t* lists, uint8_t* codes,
                           int threads);

// Ranks all lists by distance from q to their centroid: lists[nlist] nearest first, dist[nlist]
// (FAISS coarse distances: squared L2, or similarities for inner product / cosine).
void EngineIvfRankLists(EngineIvf* ivf, const void* q, int64_t* lists, float* dist);

// Measures on n sample vectors how many lists a query must probe so that `target` of its exact
// 10 nearest neighbours (within the sample) lie in probed lists; returns that nprobe (>= 1).
uint32_t EngineIvfCalibrate(EngineIvf* ivf, const void* x, int64_t n, double target, int threads);

// Measures the share of the candidates in `nprobe` lists that lossy codes must re-rank exactly for
// `target` recall@10 (or `retention` of what re-ranking them all reaches); see faiss/calibrate.h.
double EngineIvfCalibrateRerank(EngineIvf* ivf, const void* x, int64_t n, uint32_t nprobe, double target,
                                double retention);

// A per-query code scanner; set the list before scoring its codes.
struct EngineIvfScanner;
EngineIvfScanner* EngineIvfScannerBegin(EngineIvf* ivf, const void* q);
void EngineIvfScannerSetList(EngineIvfScanner* sc, int64_t list_no, float coarse_dis);

// Scores n codes: out[i] is the order distance (the SQL operator's value; approximate for
// lossy codes), smaller is closer for every metric.
void EngineIvfScannerScore(EngineIvfScanner* sc, size_t n, const uint8_t* codes, float* out);
void EngineIvfScannerFree(EngineIvfScanner* sc) noexcept;
void EngineIvfFree(EngineIvf* ivf) noexcept;

// ---- HNSW graph ----
struct EngineHnsw;

// Builds a graph over n vectors (ids are 0..n-1 in input order).
EngineHnsw* EngineHnswBuild(const char* factory, uint32_t dims, uint32_t metric, const float* x, int64_t n,
                            int ef_construction, int threads);
// Measures the smallest ef (10..1024) reaching `target` recall@10 for queries drawn from the n
// indexed vectors x against exact search over all of them; returns it (1024 when none does).
int EngineHnswCalibrate(EngineHnsw* h, const float* x, int64_t n, double target, int threads);
// Appends n vectors to the graph with labels first_label, first_label + 1, ...
void EngineHnswAdd(EngineHnsw* h, const float* x, int64_t n, int64_t first_label, int threads);
void EngineHnswSerialize(EngineHnsw* h, const char** data, size_t* len);
EngineHnsw* EngineHnswLoad(const char* data, size_t len, uint32_t dims, uint32_t metric);
size_t EngineHnswMemoryBytes(const EngineHnsw* h);

// Searches k nearest graph ids with breadth ef: D[k] order distances, I[k] ids (-1 = none).
void EngineHnswSearch(EngineHnsw* h, const float* q, int64_t k, int ef, float* D, int64_t* I);
void EngineHnswFree(EngineHnsw* h) noexcept;

}  // namespace jade::ext::index
