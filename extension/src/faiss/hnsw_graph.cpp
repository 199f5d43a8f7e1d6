// faiss/hnsw_graph.cpp — HNSW graph with labels and tombstones over FAISS 1.7.3 (hnsw_graph.h).
//
// FAISS 1.7.3 notes that shape this file:
//   * SearchParametersHNSW::efSearch is not honoured by HNSW::search (the heap is sized from the
//     member), so Search sets index.hnsw.efSearch itself — safe, each backend owns its copy;
//   * an exception escaping an OpenMP region terminates the process, so the selector callback
//     used during search never throws, and nothing is thrown from inside FAISS loops;
//   * the graph stores neighbor ids as 32-bit ints: sizes are checked before adding.
//
// Inner product is not a metric, and HNSW walks with it get trapped at large-norm hubs (0.74
// recall@10 at ef 256 on the unit tests' clustered data). So InnerProduct graphs use the
// classic reduction of maximum inner product search to L2 search (Bachrach et al., RecSys
// 2014): with M >= every stored norm, x' = [x, sqrt(M² - |x|²)] and q' = [q, 0] give
// |q' - x'|² = |q|² + M² - 2 q·x, so L2 order in dim+1 dimensions is inner product order. M is
// the largest norm at build time (stored with the graph); a vector added later with a larger
// norm gets 0 as its extra component (slightly misplaced; RebuildLive recomputes M). Returned
// distances are recomputed from the stored vector, so they are the true -q·x.
#include "faiss/hnsw_graph.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "faiss/envelope.h"
#include "faiss/faiss_guard.h"
#include "faiss/faiss_io.h"
#include "faiss/hnsw_reachability.h"
#include "distance/distance.h"
#include "faiss/threads.h"
#include "faiss/tid.h"

namespace jade::ext::engine {

namespace {

// Floats per add chunk: bounds the normalized copy and the time between interrupt checks.
constexpr int64_t kChunkFloats = int64_t{1} << 19;

// Largest graph FAISS can address (storage_idx_t is a 32-bit int).
constexpr int64_t kMaxGraphSize = std::numeric_limits<int32_t>::max() - 1;

// Rows used to train HNSW-SQ8 value ranges (strided sample of larger inputs).
constexpr int64_t kMaxTrainRows = 262144;

// Whether the graph searches inner product through the L2 reduction (file comment).
bool UsesMips(const FactorySpec& spec) { return spec.metric == Metric::InnerProduct; }

// Dimension of the FAISS index: one more for the reduction's extra component.
int FaissDim(const FactorySpec& spec) { return spec.dim + (UsesMips(spec) ? 1 : 0); }

// FAISS's metric for ours: cosine is inner product on unit vectors; inner product is L2 after
// the reduction.
faiss::MetricType FaissMetric(Metric metric) {
    switch (metric) {
        case Metric::L2:
        case Metric::InnerProduct:
            return faiss::METRIC_L2;
        case Metric::Cosine:
            return faiss::METRIC_INNER_PRODUCT;
        case Metric::L1:
            return faiss::METRIC_L1;
    }
    return faiss::METRIC_L2;
}

// Largest Euclidean norm among n raw rows.
float MaxNorm(const float* x, int64_t n, int dim) {
    double best = 0.0;
    for (int64_t i = 0; i < n; i++) best = std::max(best, static_cast<double>(NormSquared(x + i * dim, dim)));
    return static_cast<float>(std::sqrt(best));
}

// Rejects a caller bug.
void Require(bool ok, const char* what) {
    if (!ok) throw JadeError(sqlstate::kInternalError, std::string("invalid HNSW graph call: ") + what);
}

// Writes m raw rows as FAISS must see them into buf (FaissDim wide): normalized for cosine,
// extended by sqrt(M² - |x|²) for inner product. Returns the rows to hand to FAISS.
const float* PrepareRows(const FactorySpec& spec, float max_norm, int64_t m, const float* x, std::vector<float>* buf) {
    if (spec.metric != Metric::Cosine && !UsesMips(spec)) return x;
    int dim = spec.dim, fd = FaissDim(spec);
    buf->resize(static_cast<size_t>(m) * fd);
    for (int64_t i = 0; i < m; i++) {
        float* out = buf->data() + i * fd;
        if (!PrepareVector(spec.metric, x + i * dim, dim, out))
            throw JadeError(sqlstate::kInvalidParameterValue, "cannot index a zero vector with cosine distance",
                            "Cosine distance is undefined for a vector whose norm is 0.");
        if (UsesMips(spec)) {
            double rest = static_cast<double>(max_norm) * max_norm - NormSquared(out, dim);
            out[dim] = rest > 0.0 ? static_cast<float>(std::sqrt(rest)) : 0.0f;
        }
    }
    return buf->data();
}

// Creates the empty FAISS graph for a spec.
std::unique_ptr<faiss::IndexHNSW> NewIndex(const FactorySpec& spec, int ef_construction) {
    std::unique_ptr<faiss::IndexHNSW> out;
    FaissCall("creating the HNSW index", [&] {
        std::unique_ptr<faiss::Index> idx(faiss::index_factory(FaissDim(spec), spec.faiss_key.c_str(), FaissMetric(spec.metric)));
        auto* h = dynamic_cast<faiss::IndexHNSW*>(idx.get());
        Require(h != nullptr, "factory did not produce an IndexHNSW");
        idx.release();
        out.reset(h);
    });
    out->verbose = false;
    out->hnsw.efConstruction = ef_construction;
    return out;
}

// Selects live internal ids that the caller's filter (if any) accepts. Never throws: it runs
// inside FAISS's OpenMP search region.
struct LiveSelector : faiss::IDSelector {
    const std::vector<int64_t>* labels;
    const std::vector<uint8_t>* deleted;
    LabelPredicate filter;
    void* arg;
    bool is_member(idx_t id) const override {
        size_t i = static_cast<size_t>(id);
        if ((*deleted)[i] != 0) return false;
        return filter == nullptr || filter((*labels)[i], arg);
    }
};

// Returns the storage's scalar quantizer for HNSW-SQ8, else null.
faiss::IndexScalarQuantizer* SqStorage(faiss::IndexHNSW* index) {
    return dynamic_cast<faiss::IndexScalarQuantizer*>(index->storage);
}

// Links nodes that no search can reach back into the graph (hnsw_reachability.h), measuring
// distances between stored vectors in FAISS's space (normalized / extended as stored).
ReachabilityRepair RepairGraph(faiss::IndexHNSW* index) {
    const size_t fd = static_cast<size_t>(index->d);
    std::vector<float> a(fd), b(fd);
    int64_t cached = -1;
    faiss::MetricType metric = index->metric_type;
    NodeDistance distance = [&](int64_t x, int64_t y) {
        if (x != cached) {
            index->storage->reconstruct(x, a.data());
            cached = x;
        }
        index->storage->reconstruct(y, b.data());
        switch (metric) {
            case faiss::METRIC_INNER_PRODUCT:
                return -faiss::fvec_inner_product(a.data(), b.data(), fd);
            case faiss::METRIC_L1:
                return faiss::fvec_L1(a.data(), b.data(), fd);
            default:
                return faiss::fvec_L2sqr(a.data(), b.data(), fd);
        }
    };
    ReachabilityRepair out;
    FaissCall("repairing the HNSW graph", [&] { out = RepairReachability(&index->hnsw, distance); });
    return out;
}

// Checks a deserialized graph's structure so a damaged one cannot send search out of bounds.
bool GraphIsConsistent(const faiss::IndexHNSW& index, const FactorySpec& spec, int64_t n) {
    const faiss::HNSW& g = index.hnsw;
    if (index.d != FaissDim(spec) || index.ntotal != n || index.metric_type != FaissMetric(spec.metric)) return false;
    if (index.storage == nullptr || index.storage->ntotal != n || index.storage->d != FaissDim(spec)) return false;
    // Storage geometry: every code the distance computers will read must exist.
    const size_t fd = static_cast<size_t>(FaissDim(spec));
    auto* codes = dynamic_cast<const faiss::IndexFlatCodes*>(index.storage);
    if (codes == nullptr || codes->codes.size() != static_cast<size_t>(n) * codes->code_size) return false;
    if (spec.family == Family::Hnsw &&
        (dynamic_cast<const faiss::IndexFlat*>(index.storage) == nullptr || codes->code_size != fd * sizeof(float)))
        return false;
    if (spec.family == Family::HnswSq8) {
        auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(index.storage);
        if (sq == nullptr || sq->sq.qtype != faiss::ScalarQuantizer::QT_8bit || sq->sq.d != fd ||
            sq->sq.trained.size() != 2 * fd || codes->code_size != fd)
            return false;
    }
    // Search uses a beam of upper_beam on upper levels (FAISS writes 1); a damaged value would
    // size allocations.
    if (g.upper_beam != 1) return false;
    if (g.levels.size() != static_cast<size_t>(n) || g.offsets.size() != static_cast<size_t>(n) + 1) return false;
    if (g.offsets[0] != 0 || g.offsets.back() != g.neighbors.size()) return false;
    if (g.cum_nneighbor_per_level.empty() || g.cum_nneighbor_per_level[0] != 0) return false;
    int max_level = -1;
    for (int64_t i = 0; i < n; i++) {
        int lv = g.levels[i];
        if (lv < 1 || static_cast<size_t>(lv) >= g.cum_nneighbor_per_level.size()) return false;
        if (g.offsets[i + 1] - g.offsets[i] != static_cast<size_t>(g.cum_nneighbor_per_level[lv])) return false;
        max_level = std::max(max_level, lv - 1);
    }
    for (faiss::HNSW::storage_idx_t v : g.neighbors)
        if (v < -1 || v >= n) return false;
    if (n == 0) return g.entry_point == -1;
    return g.entry_point >= 0 && g.entry_point < n && g.max_level == max_level;
}

}  // namespace

struct HnswGraph::Impl {
    std::unique_ptr<faiss::IndexHNSW> index;
    float max_norm = 0.0f;  // inner product: M of the L2 reduction (0 for other metrics)
    bool broken = false;    // a FAISS add failed midway: the graph may be inconsistent
};

namespace {

// Trains HNSW-SQ8 value ranges on a strided sample of n raw rows, as FAISS will see them.
template <class ImplT>
void TrainStorage(ImplT* impl, const FactorySpec& spec, const float* x, int64_t n, int threads) {
    int64_t step = std::max<int64_t>(1, (n + kMaxTrainRows - 1) / kMaxTrainRows);
    std::vector<float> sample;
    for (int64_t i = 0; i < n; i += step) sample.insert(sample.end(), x + i * spec.dim, x + (i + 1) * spec.dim);
    int64_t m = static_cast<int64_t>(sample.size()) / spec.dim;
    std::vector<float> buf;
    const float* xt = PrepareRows(spec, impl->max_norm, m, sample.data(), &buf);
    ScopedOmpThreads team(threads);
    FaissCall("training the HNSW storage", [&] { impl->index->train(m, xt); });
}

}  // namespace

HnswGraph::HnswGraph(FactorySpec spec, std::unique_ptr<Impl> impl) : spec_(std::move(spec)), impl_(std::move(impl)) {}

HnswGraph::~HnswGraph() = default;

std::unique_ptr<HnswGraph> HnswGraph::Build(const FactorySpec& spec, int ef_construction, const float* x,
                                            const int64_t* labels, int64_t n, int threads) {
    // Creates the FAISS index, trains SQ8 ranges on the input, then adds in chunks.
    Require(spec.IsHnsw() && spec.dim > 0, "spec is not an HNSW family with a dimension");
    Require(n >= 0 && (n == 0 || (x != nullptr && labels != nullptr)), "null input");
    if (ef_construction < 1 || ef_construction > kMaxEfConstruction)
        throw JadeError(sqlstate::kInvalidParameterValue, "ef_construction must be between 1 and " +
                                                              std::to_string(kMaxEfConstruction) + ", not " +
                                                              std::to_string(ef_construction));
    if (n < MinTrainingRows(spec))
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "factory \"" + spec.canonical + "\" needs at least " + std::to_string(MinTrainingRows(spec)) +
                            " rows to train its scalar quantizer",
                        "", "Create the index after loading data, or use HNSWm,Flat.");
    auto impl = std::make_unique<Impl>();
    impl->max_norm = UsesMips(spec) ? MaxNorm(x, n, spec.dim) : 0.0f;
    impl->index = NewIndex(spec, ef_construction);
    if (!impl->index->is_trained) TrainStorage(impl.get(), spec, x, n, threads);
    std::unique_ptr<HnswGraph> graph(new HnswGraph(spec, std::move(impl)));
    graph->Add(x, labels, n, threads);
    return graph;
}

void HnswGraph::Add(const float* x, const int64_t* labels, int64_t n, int threads) {
    // Labels are appended chunk by chunk, right after FAISS accepted the chunk, so an
    // interrupt between chunks leaves a consistent (smaller) graph.
    Require(n >= 0 && (n == 0 || (x != nullptr && labels != nullptr)), "null input");
    Require(!impl_->broken, "graph is unusable after a failed add");
    faiss::IndexHNSW* index = impl_->index.get();
    if (!index->is_trained) throw JadeError(sqlstate::kInternalError, "HNSW storage is not trained");
    if (size() + n > kMaxGraphSize)
        throw JadeError(sqlstate::kProgramLimitExceeded, "an HNSW graph can hold at most " +
                                                             std::to_string(kMaxGraphSize) + " vectors");
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0) throw JadeError(sqlstate::kInternalError, "HNSW labels must be non-negative");
    ScopedOmpThreads team(threads);
    std::vector<float> buf;
    int64_t chunk = std::max<int64_t>(64, kChunkFloats / spec_.dim);
    for (int64_t off = 0; off < n; off += chunk) {
        int64_t m = std::min(chunk, n - off);
        const float* xc = PrepareRows(spec_, impl_->max_norm, m, x + off * spec_.dim, &buf);
        labels_.reserve(labels_.size() + m);
        deleted_.reserve(deleted_.size() + m);
        impl_->broken = true;
        FaissCall("adding to the HNSW graph", [&] { index->add(m, xc); });
        impl_->broken = false;
        labels_.insert(labels_.end(), labels + off, labels + off + m);
        deleted_.insert(deleted_.end(), static_cast<size_t>(m), uint8_t{0});
        ThrowIfInterrupted();
    }
    // FAISS's back-link pruning can leave nodes without any incoming link, which no search
    // finds (hnsw_reachability.h); new links can also cut off older nodes, so every Add repairs.
    if (n > 0) last_repair_ = RepairGraph(index);
}

int64_t HnswGraph::UnreachableCount() const { return CountUnreachable(impl_->index->hnsw); }

int64_t HnswGraph::Search(const float* query, int64_t k, int ef_search, float* distances, int64_t* labels,
                          LabelPredicate filter, void* filter_arg) {
    // One single-threaded FAISS search; tombstones and the filter are applied by a selector, so
    // they still route the walk but are never returned.
    Require(query != nullptr && distances != nullptr && labels != nullptr, "null buffer");
    Require(!impl_->broken, "graph is unusable after a failed add");
    if (k < 1) throw JadeError(sqlstate::kInvalidParameterValue, "k must be at least 1");
    if (ef_search < 1) throw JadeError(sqlstate::kInvalidParameterValue, "ef_search must be at least 1");
    if (k > std::numeric_limits<int>::max() / 2) throw JadeError(sqlstate::kProgramLimitExceeded, "k is too large");
    std::fill(distances, distances + k, std::numeric_limits<float>::infinity());
    std::fill(labels, labels + k, kNoId);
    if (live_count() == 0) return 0;
    std::vector<float> qbuf(FaissDim(spec_), 0.0f);  // inner product: [q, 0]
    if (!PrepareVector(spec_.metric, query, spec_.dim, qbuf.data()))
        throw JadeError(sqlstate::kInvalidParameterValue, "cannot search with a zero vector under cosine distance");
    EnsureSingleThread();
    faiss::IndexHNSW* index = impl_->index.get();
    int ef = static_cast<int>(std::max<int64_t>(ef_search, k));
    index->hnsw.efSearch = ef;
    std::vector<int64_t> ids(static_cast<size_t>(k), kNoId);
    LiveSelector sel;
    sel.labels = &labels_;
    sel.deleted = &deleted_;
    sel.filter = filter;
    sel.arg = filter_arg;
    faiss::SearchParametersHNSW params;
    params.efSearch = ef;
    params.sel = &sel;
    bool plain = filter == nullptr && deleted_count_ == 0;
    FaissCall("searching the HNSW graph",
              [&] { index->search(1, qbuf.data(), k, distances, ids.data(), plain ? nullptr : &params); });
    std::vector<std::pair<float, int64_t>> found;
    std::vector<float> stored(FaissDim(spec_));
    for (int64_t i = 0; i < k; i++) {
        if (ids[i] < 0 || ids[i] >= size()) continue;
        float d;
        if (UsesMips(spec_)) {
            // The true -q·x from the stored vector (the L2 value is only an order proxy).
            FaissCall("reading HNSW storage", [&] { index->storage->reconstruct(ids[i], stored.data()); });
            d = -InnerProduct(query, stored.data(), static_cast<size_t>(spec_.dim));
        } else {
            d = static_cast<float>(ToOrderDistance(spec_.metric, distances[i]));
        }
        found.push_back({d, labels_[static_cast<size_t>(ids[i])]});
    }
    // Vectors added beyond M can be slightly out of order under the reduction.
    if (UsesMips(spec_)) std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (int64_t i = 0; i < k; i++) {
        bool have = i < static_cast<int64_t>(found.size());
        distances[i] = have ? found[i].first : std::numeric_limits<float>::infinity();
        labels[i] = have ? found[i].second : kNoId;
    }
    return static_cast<int64_t>(found.size());
}

int64_t HnswGraph::MarkDeleted(LabelPredicate is_dead, void* arg) {
    // One pass over the label map; already-dead entries are not offered again.
    Require(is_dead != nullptr, "null predicate");
    int64_t marked = 0;
    for (size_t i = 0; i < labels_.size(); i++) {
        if (deleted_[i] != 0 || !is_dead(labels_[i], arg)) continue;
        deleted_[i] = 1;
        marked++;
    }
    deleted_count_ += marked;
    return marked;
}

std::unique_ptr<HnswGraph> HnswGraph::RebuildLive(int threads) const {
    // Reconstructs live vectors from storage chunk by chunk into a fresh graph. SQ8 keeps the
    // trained ranges (decoded values re-encode to the same codes) unless the inner-product
    // reduction's M changed, which changes the extra component: then it retrains.
    Require(!impl_->broken, "graph is unusable after a failed add");
    faiss::IndexHNSW* old_index = impl_->index.get();
    std::vector<int64_t> live;
    live.reserve(static_cast<size_t>(live_count()));
    for (size_t i = 0; i < labels_.size(); i++)
        if (deleted_[i] == 0) live.push_back(static_cast<int64_t>(i));
    int dim = spec_.dim, fd = FaissDim(spec_);
    // Raw vectors of live entries [off, off+m): the stored rows without the extra component.
    auto read_rows = [&](size_t off, size_t m, std::vector<float>* out) {
        std::vector<float> row(fd);
        out->resize(m * dim);
        FaissCall("reading HNSW storage", [&] {
            for (size_t j = 0; j < m; j++) {
                old_index->storage->reconstruct(live[off + j], row.data());
                std::copy(row.begin(), row.begin() + dim, out->begin() + j * dim);
            }
        });
    };
    auto impl = std::make_unique<Impl>();
    impl->index = NewIndex(spec_, old_index->hnsw.efConstruction);
    if (UsesMips(spec_)) {
        std::vector<float> rows;
        for (size_t off = 0; off < live.size(); off += 4096) {
            read_rows(off, std::min<size_t>(4096, live.size() - off), &rows);
            impl->max_norm = std::max(impl->max_norm, MaxNorm(rows.data(), static_cast<int64_t>(rows.size() / dim), dim));
        }
    }
    faiss::IndexScalarQuantizer* old_sq = SqStorage(old_index);
    if (old_sq != nullptr && impl->max_norm == impl_->max_norm) {
        faiss::IndexScalarQuantizer* sq = SqStorage(impl->index.get());
        sq->sq.trained = old_sq->sq.trained;
        sq->is_trained = true;
        impl->index->is_trained = true;
    } else if (old_sq != nullptr) {
        std::vector<float> rows;
        read_rows(0, live.size(), &rows);
        TrainStorage(impl.get(), spec_, rows.data(), static_cast<int64_t>(live.size()), threads);
    }
    std::unique_ptr<HnswGraph> graph(new HnswGraph(spec_, std::move(impl)));
    size_t chunk = static_cast<size_t>(std::max<int64_t>(64, kChunkFloats / dim));
    std::vector<float> x;
    std::vector<int64_t> lab;
    for (size_t off = 0; off < live.size(); off += chunk) {
        size_t m = std::min(live.size() - off, chunk);
        read_rows(off, m, &x);
        lab.resize(m);
        for (size_t j = 0; j < m; j++) lab[j] = labels_[static_cast<size_t>(live[off + j])];
        graph->Add(x.data(), lab.data(), static_cast<int64_t>(m), threads);
    }
    return graph;
}

std::vector<uint8_t> HnswGraph::Serialize() const {
    // Collects the streamed form.
    VectorSink sink;
    Serialize(&sink);
    return std::move(sink.bytes);
}

void HnswGraph::Serialize(ByteSink* sink) const {
    // Envelope, n, labels, tombstones, FAISS payload.
    Require(!impl_->broken, "graph is unusable after a failed add");
    ByteWriter w(sink);
    WriteEnvelopeHeader(&w, kHnswGraphMagic, spec_, ef_construction());
    uint32_t norm_bits;
    std::memcpy(&norm_bits, &impl_->max_norm, sizeof(norm_bits));
    w.U32(norm_bits);
    w.U64(static_cast<uint64_t>(labels_.size()));
    w.Raw(labels_.data(), labels_.size() * sizeof(int64_t));
    w.Raw(deleted_.data(), deleted_.size());
    AppendFaissIndex(&w, impl_->index.get());
}

std::unique_ptr<HnswGraph> HnswGraph::Deserialize(const uint8_t* data, size_t len) {
    // A span must hold exactly one graph.
    SpanSource source(data, len);
    std::unique_ptr<HnswGraph> graph = Deserialize(&source);
    if (source.Remaining() != 0) ByteReader(&source, "HNSW graph").Corrupt("trailing bytes");
    return graph;
}

std::unique_ptr<HnswGraph> HnswGraph::Deserialize(ByteSource* source) {
    // Every length is bounds-checked; the FAISS graph is checked for structural consistency.
    ByteReader r(source, "HNSW graph");
    int ef_construction = 0;
    FactorySpec spec = ReadEnvelopeHeader(&r, kHnswGraphMagic, &ef_construction);
    if (!spec.IsHnsw()) r.Corrupt("factory \"" + spec.canonical + "\" is not an HNSW family");
    uint32_t norm_bits = r.U32();
    float max_norm;
    std::memcpy(&max_norm, &norm_bits, sizeof(max_norm));
    if (!std::isfinite(max_norm) || max_norm < 0.0f || (!UsesMips(spec) && max_norm != 0.0f))
        r.Corrupt("bad inner-product norm bound");
    uint64_t n = r.U64();
    if (n > static_cast<uint64_t>(kMaxGraphSize) || n * (sizeof(int64_t) + 1) > r.remaining())
        r.Corrupt("bad entry count");
    std::vector<int64_t> labels(static_cast<size_t>(n));
    r.Raw(labels.data(), labels.size() * sizeof(int64_t));
    std::vector<uint8_t> deleted(static_cast<size_t>(n));
    r.Raw(deleted.data(), deleted.size());
    int64_t ndeleted = 0;
    for (size_t i = 0; i < deleted.size(); i++) {
        if (deleted[i] > 1 || labels[i] < 0) r.Corrupt("bad label or tombstone");
        ndeleted += deleted[i];
    }
    std::unique_ptr<faiss::Index> idx = ReadFaissIndex(&r);
    auto* h = dynamic_cast<faiss::IndexHNSW*>(idx.get());
    if (h == nullptr || !GraphIsConsistent(*h, spec, static_cast<int64_t>(n)))
        r.Corrupt("the FAISS graph does not match \"" + spec.canonical + "\"");
    idx.release();
    auto impl = std::make_unique<Impl>();
    impl->index.reset(h);
    impl->max_norm = max_norm;
    h->hnsw.efConstruction = std::max(1, ef_construction);
    std::unique_ptr<HnswGraph> graph(new HnswGraph(std::move(spec), std::move(impl)));
    graph->labels_ = std::move(labels);
    graph->deleted_ = std::move(deleted);
    graph->deleted_count_ = ndeleted;
    return graph;
}

int HnswGraph::ef_construction() const { return impl_->index->hnsw.efConstruction; }

int64_t HnswGraph::size() const { return static_cast<int64_t>(labels_.size()); }

size_t HnswGraph::MemoryBytes() const {
    // Graph links, per-node levels and offsets, storage codes, our label map and tombstones.
    const faiss::IndexHNSW* index = impl_->index.get();
    const faiss::HNSW& g = index->hnsw;
    size_t bytes = sizeof(*this) + sizeof(Impl) + sizeof(faiss::IndexHNSW);
    bytes += g.neighbors.capacity() * sizeof(faiss::HNSW::storage_idx_t) + g.offsets.capacity() * sizeof(size_t) +
             g.levels.capacity() * sizeof(int);
    if (auto* codes = dynamic_cast<const faiss::IndexFlatCodes*>(index->storage)) bytes += codes->codes.capacity();
    bytes += labels_.capacity() * sizeof(int64_t) + deleted_.capacity();
    return bytes;
}

size_t HnswGraph::EstimateMemoryBytes(const FactorySpec& spec, int64_t n) {
    // Per vector: storage code, about 2M level-0 links plus M/(M-1) upper-level links (levels
    // are drawn with probability 1/M each), level + offset, label + tombstone.
    if (!spec.IsHnsw() || spec.dim <= 0 || n <= 0) return 0;
    double m = spec.hnsw_m;
    double links = 2.0 * m + m / (m - 1.0);
    double code = static_cast<double>(CodeSize(spec)) + (UsesMips(spec) ? (spec.family == Family::Hnsw ? 4 : 1) : 0);
    double per = code + links * 4.0 + sizeof(int) + sizeof(size_t) + sizeof(int64_t) + 1.0;
    return static_cast<size_t>(per * static_cast<double>(n)) + 4096;
}

}  // namespace jade::ext::engine
