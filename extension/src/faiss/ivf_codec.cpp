// faiss/ivf_codec.cpp — IVF coarse quantizer + list codec over FAISS 1.7.3 (ivf_codec.h).
//
// The FAISS IndexIVF here never holds list entries: AssignEncode hands codes to the caller,
// who stores them in pages, and the scanner scores codes the caller reads back. That keeps
// every FAISS write path away from lists, and every read on the caller's thread.
#include "faiss/ivf_codec.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/Heap.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "faiss/envelope.h"
#include "faiss/faiss_guard.h"
#include "faiss/faiss_io.h"
#include "faiss/threads.h"
#include "faiss/tid.h"

namespace jade::ext::engine {

static_assert(std::is_same_v<faiss::Index::idx_t, int64_t>, "our int64 ids are FAISS ids");

namespace {

// Floats per processing chunk (bounds the normalized copy and the interrupt latency).
constexpr int64_t kChunkFloats = int64_t{1} << 20;

// FAISS's metric for ours: cosine is inner product on unit vectors.
faiss::MetricType FaissMetric(Metric metric) {
    switch (metric) {
        case Metric::L2:
            return faiss::METRIC_L2;
        case Metric::InnerProduct:
        case Metric::Cosine:
            return faiss::METRIC_INNER_PRODUCT;
        case Metric::L1:
            return faiss::METRIC_L1;
        case Metric::Hamming:
        case Metric::Jaccard:
            break;  // bit strings never reach a FAISS IndexIVF (binary_ivf_codec.h)
    }
    return faiss::METRIC_L2;
}

// Rows per chunk for a dimension.
int64_t ChunkRows(int dim) { return std::max<int64_t>(1, kChunkFloats / dim); }

// Copies n raw vectors into buf, normalized for cosine; returns the pointer to use.
const float* Prepared(Metric metric, int dim, int64_t n, const float* x, std::vector<float>* buf) {
    if (metric != Metric::Cosine) return x;
    buf->resize(static_cast<size_t>(n) * dim);
    for (int64_t i = 0; i < n; i++) {
        if (!PrepareVector(metric, x + i * dim, dim, buf->data() + i * dim))
            throw JadeError(sqlstate::kInvalidParameterValue, "cannot index a zero vector with cosine distance",
                            "Cosine distance is undefined for a vector whose norm is 0.");
    }
    return buf->data();
}

// Rejects a null or inconsistent argument: these are caller bugs, not user errors.
void Require(bool ok, const char* what) {
    if (!ok) throw JadeError(sqlstate::kInternalError, std::string("invalid IVF codec call: ") + what);
}

// Checks that a deserialized FAISS object is exactly what the spec says, with empty lists.
bool MatchesSpec(const faiss::IndexIVF* ivf, const FactorySpec& spec) {
    auto* flat = dynamic_cast<const faiss::IndexFlat*>(ivf->quantizer);
    if (flat == nullptr || flat->d != spec.dim || flat->codes.size() != static_cast<size_t>(spec.nlist) * spec.dim * sizeof(float))
        return false;
    if (ivf->d != spec.dim || ivf->nlist != static_cast<size_t>(spec.nlist) || ivf->ntotal != 0 ||
        ivf->metric_type != FaissMetric(spec.metric) || !ivf->is_trained || ivf->quantizer == nullptr ||
        ivf->quantizer->ntotal != spec.nlist || ivf->code_size != static_cast<size_t>(CodeSize(spec)))
        return false;
    switch (spec.family) {
        case Family::IvfFlat:
            return dynamic_cast<const faiss::IndexIVFFlat*>(ivf) != nullptr;
        case Family::IvfSq8: {
            // QT_8bit keeps a (min, range) pair per dimension; fewer would be read past.
            auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(ivf);
            return sq != nullptr && sq->sq.qtype == faiss::ScalarQuantizer::QT_8bit && sq->sq.d == static_cast<size_t>(spec.dim) &&
                   sq->sq.trained.size() == 2 * static_cast<size_t>(spec.dim);
        }
        case Family::IvfSqFp16: {
            // Half-precision codes of the raw vector (not of its residual): exact for halfvec data.
            auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(ivf);
            return sq != nullptr && sq->sq.qtype == faiss::ScalarQuantizer::QT_fp16 &&
                   sq->sq.d == static_cast<size_t>(spec.dim) && !sq->by_residual;
        }
        case Family::IvfPq: {
            // Codebook geometry must be exactly what the scanner's tables will index.
            auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(ivf);
            if (pq == nullptr) return false;
            const faiss::ProductQuantizer& q = pq->pq;
            return q.M == static_cast<size_t>(spec.pq_m) && q.nbits == static_cast<size_t>(spec.pq_nbits) &&
                   q.d == static_cast<size_t>(spec.dim) && q.dsub * q.M == q.d && q.ksub == (size_t{1} << q.nbits) &&
                   q.code_size == pq->code_size && q.centroids.size() == q.M * q.ksub * q.dsub;
        }
        default:
            return false;
    }
}

// Per-backend memory policy for IVFPQ: no precomputed nlist x M x 2^b tables (16 MB for
// IVF1024,PQ16; 256 MB for IVF4096,PQ64). Scanners then build one small table per probed
// list, which costs far less than reading the list's pages.
void DropPrecomputedTables(faiss::IndexIVF* ivf) {
    if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf)) {
        pq->use_precomputed_table = -1;
        pq->precomputed_table.resize(0);
    }
}

}  // namespace

struct IvfCodec::Impl {
    std::unique_ptr<faiss::IndexIVF> ivf;
};

struct IvfScanner::Impl {
    const IvfCodec* codec = nullptr;
    std::unique_ptr<faiss::InvertedListScanner> scanner;
    std::vector<float> query;  // prepared query: FAISS scanners keep a pointer to it
    bool list_set = false;
    bool keep_max = false;  // FAISS heap orientation: similarities (inner product) keep the max
};

IvfCodec::IvfCodec(FactorySpec spec, std::unique_ptr<Impl> impl) : spec_(std::move(spec)), impl_(std::move(impl)) {}

IvfCodec::~IvfCodec() = default;

std::unique_ptr<IvfCodec> IvfCodec::Train(const FactorySpec& spec, const float* x, int64_t n, int threads) {
    // Validates everything FAISS would assert on, then trains with `threads` threads.
    Require(spec.IsIvf() && spec.dim > 0 && !spec.IsBinaryIvf(), "spec is not a float IVF family with a dimension");
    Require(n >= 0 && (n == 0 || x != nullptr), "no training vectors");
    int64_t need = MinTrainingRows(spec);
    if (n < need)
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "factory \"" + spec.canonical + "\" needs at least " + std::to_string(need) +
                            " training rows, but only " + std::to_string(n) + " are available",
                        spec.family == Family::IvfPq && need > spec.nlist
                            ? "Each product-quantizer codebook trains " + std::to_string(need) + " centroids."
                            : "k-means needs at least one row per list.",
                        "Use fewer lists, or create the index after loading more data.");
    ThrowIfInterrupted();
    std::vector<float> buf;
    const float* xt = Prepared(spec.metric, spec.dim, n, x, &buf);
    ScopedOmpThreads team(threads);
    auto impl = std::make_unique<Impl>();
    FaissCall("creating the IVF index", [&] {
        std::unique_ptr<faiss::Index> idx(faiss::index_factory(spec.dim, spec.faiss_key.c_str(), FaissMetric(spec.metric)));
        auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx.get());
        Require(ivf != nullptr, "factory did not produce an IndexIVF");
        idx.release();
        impl->ivf.reset(ivf);
    });
    faiss::IndexIVF* ivf = impl->ivf.get();
    ivf->verbose = false;
    // Our own row check above replaces FAISS's stderr warning about few points per centroid.
    ivf->cp.min_points_per_centroid = 1;
    // fp16 codes of the vector itself, not of its residual to the centroid: a halfvec then
    // round-trips exactly and its distances are exact (the residual would be rounded anew).
    if (auto* sq = dynamic_cast<faiss::IndexIVFScalarQuantizer*>(ivf); sq != nullptr && spec.family == Family::IvfSqFp16)
        sq->by_residual = false;
    if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf)) {
        pq->pq.cp.min_points_per_centroid = 1;
        pq->use_precomputed_table = -1;
    }
    FaissCall("training the IVF index", [&] { ivf->train(n, xt); });
    DropPrecomputedTables(ivf);
    ThrowIfInterrupted();
    return std::unique_ptr<IvfCodec>(new IvfCodec(spec, std::move(impl)));
}

std::vector<uint8_t> IvfCodec::Serialize() const {
    // Collects the streamed form.
    VectorSink sink;
    Serialize(&sink);
    return std::move(sink.bytes);
}

void IvfCodec::Serialize(ByteSink* sink) const {
    // Envelope + FAISS payload (lists are empty, so this is centroids + codebooks).
    ByteWriter w(sink);
    WriteEnvelopeHeader(&w, kIvfCodecMagic, spec_, 0);
    AppendFaissIndex(&w, impl_->ivf.get());
}

std::unique_ptr<IvfCodec> IvfCodec::Deserialize(const uint8_t* data, size_t len) {
    // A span must hold exactly one codec.
    SpanSource source(data, len);
    std::unique_ptr<IvfCodec> codec = Deserialize(&source);
    if (source.Remaining() != 0) ByteReader(&source, "IVF codec").Corrupt("trailing bytes");
    return codec;
}

std::unique_ptr<IvfCodec> IvfCodec::Deserialize(ByteSource* source) {
    // Trust nothing: the spec is re-parsed and the FAISS object must match it exactly.
    ByteReader r(source, "IVF codec");
    int ef_construction = 0;
    FactorySpec spec = ReadEnvelopeHeader(&r, kIvfCodecMagic, &ef_construction);
    if (!spec.IsIvf()) r.Corrupt("factory \"" + spec.canonical + "\" is not an IVF family");
    std::unique_ptr<faiss::Index> idx = ReadFaissIndex(&r);
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx.get());
    if (ivf == nullptr || !MatchesSpec(ivf, spec)) r.Corrupt("the FAISS index does not match \"" + spec.canonical + "\"");
    idx.release();
    auto impl = std::make_unique<Impl>();
    impl->ivf.reset(ivf);
    DropPrecomputedTables(ivf);
    return std::unique_ptr<IvfCodec>(new IvfCodec(std::move(spec), std::move(impl)));
}

std::vector<uint8_t> IvfCodec::ExportFaissIndex() const {
    // The FAISS payload alone, without our envelope.
    faiss::VectorIOWriter vw;
    FaissCall("serializing a FAISS index", [&] { faiss::write_index(impl_->ivf.get(), &vw); });
    return std::move(vw.data);
}

size_t IvfCodec::code_size() const { return impl_->ivf->code_size; }

size_t IvfCodec::MemoryBytes() const {
    // Centroids, codebooks / ranges, the empty list headers and our object.
    const faiss::IndexIVF* ivf = impl_->ivf.get();
    size_t bytes = sizeof(*this) + sizeof(Impl) + static_cast<size_t>(ivf->nlist) * (ivf->d * sizeof(float) + 64);
    if (auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(ivf))
        bytes += sq->sq.trained.size() * sizeof(float);
    if (auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(ivf))
        bytes += pq->pq.centroids.size() * sizeof(float) + pq->precomputed_table.size() * sizeof(float);
    return bytes;
}

void IvfCodec::AssignEncode(int64_t n, const float* x, int64_t* lists, uint8_t* codes, int threads) const {
    // Chunks bound the normalized copy and let a cancel in between take effect.
    Require(n >= 0 && (n == 0 || (x != nullptr && lists != nullptr && codes != nullptr)), "null output");
    const faiss::IndexIVF* ivf = impl_->ivf.get();
    ScopedOmpThreads team(threads);
    std::vector<float> buf;
    int64_t chunk = ChunkRows(spec_.dim);
    for (int64_t off = 0; off < n; off += chunk) {
        int64_t m = std::min(chunk, n - off);
        const float* xc = Prepared(spec_.metric, spec_.dim, m, x + off * spec_.dim, &buf);
        FaissCall("assigning vectors to IVF lists", [&] {
            ivf->quantizer->assign(m, xc, lists + off);
            ivf->encode_vectors(m, xc, lists + off, codes + off * ivf->code_size, false);
        });
        ThrowIfInterrupted();
    }
}

void IvfCodec::Decode(int64_t n, const uint8_t* codes, int64_t list, float* out) const {
    // sa_decode wants the list number in front of each code (it decodes residuals).
    Require(list >= 0 && list < spec_.nlist, "list number out of range");
    Require(n >= 0 && (n == 0 || (codes != nullptr && out != nullptr)), "null buffer");
    const faiss::IndexIVF* ivf = impl_->ivf.get();
    EnsureSingleThread();
    size_t coarse = ivf->coarse_code_size();
    size_t cs = ivf->code_size;
    std::vector<uint8_t> sa(static_cast<size_t>(n) * (coarse + cs));
    for (int64_t i = 0; i < n; i++) {
        ivf->encode_listno(list, sa.data() + i * (coarse + cs));
        std::copy(codes + i * cs, codes + (i + 1) * cs, sa.data() + i * (coarse + cs) + coarse);
    }
    FaissCall("decoding IVF codes", [&] { ivf->sa_decode(n, sa.data(), out); });
}

void IvfCodec::NearestLists(const float* query, int64_t nprobe, int64_t* lists, float* coarse) const {
    // Single-threaded coarse search; nprobe validated (FAISS asserts k > 0 in places).
    Require(query != nullptr && lists != nullptr && coarse != nullptr, "null buffer");
    if (nprobe < 1 || nprobe > spec_.nlist)
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "nprobe must be between 1 and " + std::to_string(spec_.nlist) + ", not " + std::to_string(nprobe));
    EnsureSingleThread();
    std::vector<float> buf;
    const float* q = Prepared(spec_.metric, spec_.dim, 1, query, &buf);
    FaissCall("ranking IVF lists", [&] { impl_->ivf->quantizer->search(1, q, nprobe, coarse, lists); });
}

std::unique_ptr<IvfScanner> IvfCodec::NewScanner(const float* query) const {
    // The scanner owns the prepared query; FAISS's scanner points into it.
    Require(query != nullptr, "null query");
    EnsureSingleThread();
    auto impl = std::make_unique<IvfScanner::Impl>();
    impl->codec = this;
    impl->query.resize(spec_.dim);
    if (!PrepareVector(spec_.metric, query, spec_.dim, impl->query.data()))
        throw JadeError(sqlstate::kInvalidParameterValue, "cannot search with a zero vector under cosine distance");
    FaissCall("creating an IVF scanner", [&] {
        impl->scanner.reset(impl_->ivf->get_InvertedListScanner(false, nullptr));
        Require(impl->scanner != nullptr, "FAISS returned no scanner");
        impl->scanner->set_query(impl->query.data());
    });
    // 1.7.3's scanners leave InvertedListScanner::keep_max unset; IndexIVF::search picks the
    // heap from the metric, and so do we.
    impl->keep_max = impl_->ivf->metric_type == faiss::METRIC_INNER_PRODUCT;
    return std::unique_ptr<IvfScanner>(new IvfScanner(std::move(impl)));
}

IvfScanner::IvfScanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

IvfScanner::~IvfScanner() = default;

void IvfScanner::SetList(int64_t list, float coarse) {
    // Per-list state (residual tables for SQ/PQ by residual) is computed here.
    Require(list >= 0 && list < impl_->codec->nlist(), "list number out of range");
    FaissCall("selecting an IVF list", [&] { impl_->scanner->set_list(list, coarse); });
    impl_->list_set = true;
}

void IvfScanner::Score(size_t n, const uint8_t* codes, float* out) {
    // Order distances: ascending is closer, whatever the metric.
    Require(impl_->list_set, "Score before SetList");
    Require(n == 0 || (codes != nullptr && out != nullptr), "null buffer");
    size_t cs = impl_->codec->code_size();
    Metric metric = impl_->codec->metric();
    const faiss::InvertedListScanner* sc = impl_->scanner.get();
    for (size_t i = 0; i < n; i++)
        out[i] = static_cast<float>(ToOrderDistance(metric, sc->distance_to_code(codes + i * cs)));
}

void IvfScanner::InitHeap(TopKHeap* heap) const {
    // FAISS heap layout: a min-heap of similarities for inner product, a max-heap otherwise.
    Require(heap != nullptr && heap->k >= 1 && heap->distances != nullptr && heap->ids != nullptr, "bad heap");
    if (impl_->keep_max)
        faiss::heap_heapify<faiss::CMin<float, int64_t>>(heap->k, heap->distances, heap->ids);
    else
        faiss::heap_heapify<faiss::CMax<float, int64_t>>(heap->k, heap->distances, heap->ids);
}

size_t IvfScanner::ScanCodes(size_t n, const uint8_t* codes, const int64_t* ids, TopKHeap* heap) {
    // FAISS's own scan loop: identical arithmetic and tie-breaking to IndexIVF::search.
    Require(impl_->list_set, "ScanCodes before SetList");
    Require(n == 0 || (codes != nullptr && ids != nullptr), "null buffer");
    Require(heap != nullptr && heap->k >= 1, "bad heap");
    return FaissCall("scanning IVF codes", [&] {
        return impl_->scanner->scan_codes(n, codes, ids, heap->distances, heap->ids, static_cast<size_t>(heap->k));
    });
}

int64_t IvfScanner::FinishHeap(TopKHeap* heap) const {
    // Sorts best-first, then converts the kept FAISS distances to order distances.
    Require(heap != nullptr && heap->k >= 1, "bad heap");
    if (impl_->keep_max)
        faiss::heap_reorder<faiss::CMin<float, int64_t>>(heap->k, heap->distances, heap->ids);
    else
        faiss::heap_reorder<faiss::CMax<float, int64_t>>(heap->k, heap->distances, heap->ids);
    Metric metric = impl_->codec->metric();
    int64_t filled = 0;
    for (int64_t i = 0; i < heap->k; i++) {
        if (heap->ids[i] == kNoId) {
            heap->distances[i] = std::numeric_limits<float>::infinity();
            continue;
        }
        heap->distances[i] = static_cast<float>(ToOrderDistance(metric, heap->distances[i]));
        filled++;
    }
    return filled;
}

}  // namespace jade::ext::engine
