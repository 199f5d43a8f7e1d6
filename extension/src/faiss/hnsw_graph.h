// faiss/hnsw_graph.h — the HNSW families: a FAISS graph plus our label map and tombstones.
//
// FAISS's IndexHNSW numbers vectors 0..ntotal-1 in insertion order and cannot remove any. This
// object wraps one IndexHNSWFlat / IndexHNSWSQ and adds:
//   * labels: internal id → int64 label (a heap TID from tid.h), serialized with the graph, so
//     Search returns labels and the AM needs no separate id map;
//   * tombstones: MarkDeleted flags dead entries; Search never returns them (they still route
//     the graph walk, as in pgvector); RebuildLive builds a fresh graph without them (VACUUM).
//
// Lifecycle in the AM: Build at CREATE INDEX → Serialize into a chain of pages; per backend,
// Deserialize once and cache, keyed by a version in the metapage; later inserts either Add to a
// loaded copy and re-serialize, or go to an exact delta list merged with Add later (AM's choice).
//
// Threading: Build/Add/RebuildLive use `threads` OpenMP threads (1 thread is deterministic;
// more is faster but FAISS's parallel insertion makes the graph, hence results, vary run to
// run). Search runs on the calling thread only; the filter callback is called on that thread,
// inside FAISS's search loop, so it must not throw or longjmp (no PostgreSQL call that can
// ERROR). Not safe for concurrent use; each backend owns its copy.
// Errors: jade::JadeError (validated input, trimmed FAISS messages), jade::Interrupted from the
// chunked build loops (a partly built graph is discarded), std::bad_alloc.
//
// Input vectors are RAW: normalized internally for Cosine (zero vector → JadeError 22023).
// Distances returned are order distances (metric.h): exact for HNSW-Flat, approximate for SQ8.
// InnerProduct graphs search through the L2 reduction of maximum inner product search (one
// extra dimension; see hnsw_graph.cpp): recall like L2, where plain inner-product HNSW is poor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faiss/byte_stream.h"
#include "faiss/factory.h"
#include "faiss/hnsw_reachability.h"

namespace jade::ext::engine {

// A label predicate: returns true to select the label. Plain function + argument so PG-regime
// code can pass a static function and a POD state.
using LabelPredicate = bool (*)(int64_t label, void* arg);

class HnswGraph {
public:
    // Builds a graph over n raw vectors with the given labels (spec: an HNSW family, dim > 0;
    // ef_construction 1..kMaxEfConstruction). n may be 0 (an empty graph that Add can fill).
    // HNSW-SQ8 trains its quantizer on these vectors (n >= 1 needed; 0 gives an empty graph
    // that must not be Added to until rebuilt with data).
    static std::unique_ptr<HnswGraph> Build(const FactorySpec& spec, int ef_construction, const float* x,
                                            const int64_t* labels, int64_t n, int threads);

    // Restores a graph from Serialize() bytes; checks the envelope and the graph's internal
    // consistency (neighbor ids in range), so damaged bytes give JadeError XX002, not a crash.
    static std::unique_ptr<HnswGraph> Deserialize(const uint8_t* data, size_t len);
    // The same, streaming from a source (e.g. the AM's chain of blob pages) so a backend never
    // holds the serialized bytes and the graph at once; reads exactly the serialized bytes.
    static std::unique_ptr<HnswGraph> Deserialize(ByteSource* source);

    ~HnswGraph();
    HnswGraph(const HnswGraph&) = delete;
    HnswGraph& operator=(const HnswGraph&) = delete;

    // Writes envelope + labels + tombstones + FAISS write_index payload.
    std::vector<uint8_t> Serialize() const;
    // The same, streamed to a sink (e.g. straight into blob pages at build time).
    void Serialize(ByteSink* sink) const;

    // Appends n raw vectors with labels (chunked, interruptible). HNSW-SQ8 encodes them with the
    // value ranges trained at Build: components outside those ranges are clipped (rebuild from
    // the table, i.e. REINDEX, if the data drifted far). Afterwards every node a walk from the
    // entry point cannot reach is linked back in (hnsw_reachability.h): FAISS alone can leave
    // nodes that no search finds, at any ef.
    void Add(const float* x, const int64_t* labels, int64_t n, int threads = 1);

    // Nodes (tombstoned ones included) that no search can reach: 0 after Build/Add.
    int64_t UnreachableCount() const;
    // What the reachability repair of the last Build/Add found and did.
    const ReachabilityRepair& last_repair() const { return last_repair_; }

    // Finds up to k nearest live entries: writes order distances (ascending) and labels to
    // distances[k] / labels[k] and returns how many were found (remaining slots: +inf/kNoId).
    // ef_search (>= 1) is raised to k when smaller. When `filter` is given, only labels it
    // selects are returned. Fewer than k results mean the walk ran out of candidates: retry
    // with a larger ef_search (iterative scan) or fall back to an exact scan.
    int64_t Search(const float* query, int64_t k, int ef_search, float* distances, int64_t* labels,
                   LabelPredicate filter = nullptr, void* filter_arg = nullptr);

    // Tombstones every live entry whose label `is_dead` selects; returns how many were newly
    // marked. (VACUUM's ambulkdelete callback fits this directly.)
    int64_t MarkDeleted(LabelPredicate is_dead, void* arg);

    // Builds a new graph holding only the live entries (same spec, ef_construction, labels),
    // from the stored vectors: exact for HNSW-Flat; for HNSW-SQ8 the decoded values are
    // re-encoded with the same trained quantizer (retrained when the inner-product norm bound
    // grew). Inner-product graphs recompute their norm bound over the live entries.
    std::unique_ptr<HnswGraph> RebuildLive(int threads) const;

    const FactorySpec& spec() const { return spec_; }
    int ef_construction() const;
    // Entries in the graph, including tombstoned ones.
    int64_t size() const;
    int64_t deleted_count() const { return deleted_count_; }
    int64_t live_count() const { return size() - deleted_count_; }
    // Label of internal entry i (0 <= i < size()).
    int64_t LabelAt(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
    bool IsDeletedAt(int64_t i) const { return deleted_[static_cast<size_t>(i)] != 0; }

    // Heap bytes held (graph links, levels, storage codes, labels, tombstones).
    size_t MemoryBytes() const;

    // Estimated heap bytes of a graph of n vectors for this spec (for cache bounds and
    // maintenance_work_mem checks before building or loading).
    static size_t EstimateMemoryBytes(const FactorySpec& spec, int64_t n);

private:
    struct Impl;
    HnswGraph(FactorySpec spec, std::unique_ptr<Impl> impl);
    FactorySpec spec_;
    std::unique_ptr<Impl> impl_;
    std::vector<int64_t> labels_;
    std::vector<uint8_t> deleted_;
    int64_t deleted_count_ = 0;
    ReachabilityRepair last_repair_;
};

}  // namespace jade::ext::engine
