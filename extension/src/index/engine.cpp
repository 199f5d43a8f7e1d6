// index/engine.cpp — index/engine.h over the FAISS engine of src/faiss/ (jade::ext::engine).
//
// C++ regime inside the PG-regime directory: this translation unit includes the engine's headers
// and no PostgreSQL header. It only adapts types: opaque handles own the engine's objects, and
// factory specs travel as their canonical strings (re-parsed where needed — parsing is cheap
// and keeps the AM's structs POD). Everything thrown here (jade::JadeError with SQLSTATE,
// jade::Interrupted, std::bad_alloc) reaches PostgreSQL through the caller's jade::pg::CallCpp.
//
// Threads: the engine starts OpenMP teams only in Train / AssignEncode / Build, sized by the
// caller's jadevector.build_threads, and returns to one thread afterwards; searches run on the
// backend's thread and never call PostgreSQL.
#include "index/engine.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "faiss/binary_ivf_codec.h"
#include "faiss/calibrate.h"
#include "faiss/factory.h"
#include "faiss/hnsw_graph.h"
#include "faiss/ivf_codec.h"
#include "faiss/metric.h"
#include "faiss/threads.h"
#include "faiss/tid.h"
#include "faiss/version.h"
#include "index/kinds.h"

namespace jade::ext::index {

// Exactly one of codec (float vectors) and binary (bit strings, Hamming) is set.
struct EngineIvf {
    std::unique_ptr<engine::IvfCodec> codec;
    std::unique_ptr<engine::BinaryIvfCodec> binary;
    std::vector<uint8_t> serialized;
};

struct EngineIvfScanner {
    std::unique_ptr<engine::IvfScanner> scanner;
    const engine::BinaryIvfCodec* binary = nullptr;  // binary codec: scores against `query`
    std::vector<uint8_t> query;
};

struct EngineHnsw {
    std::unique_ptr<engine::HnswGraph> graph;
    std::vector<uint8_t> serialized;
};

namespace {

engine::Metric ToMetric(uint32_t metric) { return static_cast<engine::Metric>(metric); }

// Maps the engine's family onto the AM's storage family.
uint32_t ToFamily(const engine::FactorySpec& spec) {
    if (spec.IsIvf()) return kFamilyIvf;
    if (spec.IsHnsw()) return kFamilyHnsw;
    return kFamilyFlat;
}

// Copies a string into a bounded C buffer.
void CopyOut(const std::string& s, char* out, size_t out_len) {
    size_t n = std::min(s.size(), out_len - 1);
    memcpy(out, s.data(), n);
    out[n] = '\0';
}

// Rejects a stored structure whose dimension or metric disagrees with the metapage.
void CheckLoaded(const engine::FactorySpec& spec, uint32_t dims, uint32_t metric) {
    if (spec.dim != static_cast<int>(dims) || spec.metric != ToMetric(metric))
        throw JadeError(sqlstate::kIndexCorrupted, "stored index structure does not match the index metapage", "",
                        "Rebuild the index with REINDEX.");
}

}  // namespace

const char* EngineFaissDescription() {
    static const std::string text = engine::LinkedFaissDescription();
    return text.c_str();
}

// Validates factory for dims and metric (JadeMetric); throws 22023/0A000 with a clear message.
void EngineParseFactory(const char* factory, uint32_t dims, uint32_t metric, FactoryInfo* out) {
    engine::FactorySpec spec = engine::ParseFactory(factory ? factory : "", static_cast<int>(dims), ToMetric(metric));
    memset(out, 0, sizeof(*out));
    out->family = ToFamily(spec);
    out->nlist = spec.IsIvf() ? static_cast<uint32_t>(spec.nlist) : 0;
    out->hnsw_m = spec.hnsw_m;
    out->code_size = dims > 0 ? static_cast<uint32_t>(engine::CodeSize(spec)) : 0;
    out->lossy = spec.IsLossy();
    CopyOut(spec.canonical, out->normalized, sizeof(out->normalized));
}

// Writes the default factory string for a table of about ntuples rows into out.
void EngineDefaultFactory(double ntuples, uint32_t dims, uint32_t metric, char* out, size_t out_len) {
    CopyOut(engine::DefaultFactory(static_cast<int64_t>(ntuples), static_cast<int>(dims), ToMetric(metric)), out,
            out_len);
}

// Minimum number of training vectors the factory needs (0 for families without training).
int64_t EngineMinTrainingRows(const FactoryInfo* info) {
    if (info->family != kFamilyIvf) return 0;
    return engine::MinTrainingRows(engine::ParseFactory(info->normalized, 0, engine::Metric::L2));
}

EngineIvf* EngineIvfTrain(const char* factory, uint32_t dims, uint32_t metric, const void* x, int64_t n,
                          int threads) {
    engine::FactorySpec spec = engine::ParseFactory(factory, static_cast<int>(dims), ToMetric(metric));
    auto e = std::make_unique<EngineIvf>();
    if (spec.IsBinaryIvf())
        e->binary = engine::BinaryIvfCodec::Train(spec, static_cast<const uint8_t*>(x), n, threads);
    else
        e->codec = engine::IvfCodec::Train(spec, static_cast<const float*>(x), n, threads);
    return e.release();
}

// Serializes the trained codec; the bytes stay owned by the handle until it is freed.
void EngineIvfSerialize(EngineIvf* e, const char** data, size_t* len) {
    if (e->binary) {
        engine::VectorSink sink;
        e->binary->Serialize(&sink);
        e->serialized = std::move(sink.bytes);
    } else {
        e->serialized = e->codec->Serialize();
    }
    *data = reinterpret_cast<const char*>(e->serialized.data());
    *len = e->serialized.size();
}

// Restores a codec from bytes written by EngineIvfSerialize (the metric says which kind).
EngineIvf* EngineIvfLoad(const char* data, size_t len, uint32_t dims, uint32_t metric) {
    auto e = std::make_unique<EngineIvf>();
    if (engine::IsBitMetric(ToMetric(metric))) {
        engine::SpanSource source(reinterpret_cast<const uint8_t*>(data), len);
        e->binary = engine::BinaryIvfCodec::Deserialize(&source);
        CheckLoaded(e->binary->spec(), dims, metric);
    } else {
        e->codec = engine::IvfCodec::Deserialize(reinterpret_cast<const uint8_t*>(data), len);
        CheckLoaded(e->codec->spec(), dims, metric);
    }
    return e.release();
}

size_t EngineIvfMemoryBytes(const EngineIvf* e) { return e->binary ? e->binary->MemoryBytes() : e->codec->MemoryBytes(); }

// Assigns n vectors to their nearest lists and encodes them: lists[n], codes[n * code_size].
void EngineIvfAssignEncode(EngineIvf* e, int64_t n, const void* x, int64_t* lists, uint8_t* codes, int threads) {
    if (e->binary)
        e->binary->AssignEncode(n, static_cast<const uint8_t*>(x), lists, codes);
    else
        e->codec->AssignEncode(n, static_cast<const float*>(x), lists, codes, threads);
}

// Ranks all lists by distance from q to their centroid: lists[nlist] nearest first, dist[nlist].
void EngineIvfRankLists(EngineIvf* e, const void* q, int64_t* lists, float* dist) {
    if (e->binary)
        e->binary->NearestLists(static_cast<const uint8_t*>(q), e->binary->nlist(), lists, dist);
    else
        e->codec->NearestLists(static_cast<const float*>(q), e->codec->nlist(), lists, dist);
}

// Returns the nprobe reaching the target recall@10 on the training sample.
uint32_t EngineIvfCalibrate(EngineIvf* e, const void* x, int64_t n, double target, int threads) {
    if (e->binary) return static_cast<uint32_t>(e->binary->CalibrateNprobe(static_cast<const uint8_t*>(x), n, target));
    return static_cast<uint32_t>(engine::CalibrateNprobe(*e->codec, static_cast<const float*>(x), n, target));
}

double EngineIvfCalibrateRerank(EngineIvf* e, const void* x, int64_t n, uint32_t nprobe, double target,
                                double retention) {
    if (e->binary) return 0.0;  // binary codes are exact: nothing to re-rank
    return engine::CalibrateRerankShare(*e->codec, static_cast<const float*>(x), n, nprobe, target, retention);
}

EngineIvfScanner* EngineIvfScannerBegin(EngineIvf* e, const void* q) {
    auto s = std::make_unique<EngineIvfScanner>();
    if (e->binary) {
        s->binary = e->binary.get();
        const auto* bytes = static_cast<const uint8_t*>(q);
        s->query.assign(bytes, bytes + e->binary->code_size());
    } else {
        s->scanner = e->codec->NewScanner(static_cast<const float*>(q));
    }
    return s.release();
}

void EngineIvfScannerSetList(EngineIvfScanner* s, int64_t list_no, float coarse_dis) {
    if (s->scanner) s->scanner->SetList(list_no, coarse_dis);  // binary scores need no list state
}

// Scores n codes of the current list with order distances.
void EngineIvfScannerScore(EngineIvfScanner* s, size_t n, const uint8_t* codes, float* out) {
    if (s->binary)
        s->binary->Score(s->query.data(), n, codes, out);
    else
        s->scanner->Score(n, codes, out);
}

void EngineIvfScannerFree(EngineIvfScanner* s) noexcept { delete s; }

void EngineIvfFree(EngineIvf* e) noexcept { delete e; }

EngineHnsw* EngineHnswBuild(const char* factory, uint32_t dims, uint32_t metric, const float* x, int64_t n,
                            int ef_construction, int threads) {
    engine::FactorySpec spec = engine::ParseFactory(factory, static_cast<int>(dims), ToMetric(metric));
    // Labels are the graph's own sequential ids: the AM maps them to heap TIDs through its id
    // map in pages, where VACUUM's tombstones are visible to every backend at once.
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) labels[i] = i;
    auto e = std::make_unique<EngineHnsw>();
    e->graph = engine::HnswGraph::Build(spec, ef_construction, x, labels.data(), n, threads);
    return e.release();
}

// Returns the smallest ef reaching the target recall@10 on the indexed vectors.
int EngineHnswCalibrate(EngineHnsw* e, const float* x, int64_t n, double target, int threads) {
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) labels[i] = i;
    return engine::CalibrateEfSearch(*e->graph, x, labels.data(), n, target);
}

// Appends n vectors to the graph with labels first_label, first_label + 1, ...
void EngineHnswAdd(EngineHnsw* e, const float* x, int64_t n, int64_t first_label, int threads) {
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) labels[i] = first_label + i;
    e->graph->Add(x, labels.data(), n, threads);
}

void EngineHnswSerialize(EngineHnsw* e, const char** data, size_t* len) {
    e->serialized = e->graph->Serialize();
    *data = reinterpret_cast<const char*>(e->serialized.data());
    *len = e->serialized.size();
}

EngineHnsw* EngineHnswLoad(const char* data, size_t len, uint32_t dims, uint32_t metric) {
    auto e = std::make_unique<EngineHnsw>();
    e->graph = engine::HnswGraph::Deserialize(reinterpret_cast<const uint8_t*>(data), len);
    CheckLoaded(e->graph->spec(), dims, metric);
    engine::EnsureSingleThread();
    return e.release();
}

size_t EngineHnswMemoryBytes(const EngineHnsw* e) { return e->graph->MemoryBytes(); }

// Searches k nearest graph ids with breadth ef: D[k] order distances, I[k] ids (-1 = none).
void EngineHnswSearch(EngineHnsw* e, const float* q, int64_t k, int ef, float* D, int64_t* I) {
    if (k <= 0) return;
    int64_t found = e->graph->Search(q, k, std::max(ef, 1), D, I);
    for (int64_t i = found; i < k; i++) I[i] = engine::kNoId;
}

void EngineHnswFree(EngineHnsw* e) noexcept { delete e; }

}  // namespace jade::ext::index
