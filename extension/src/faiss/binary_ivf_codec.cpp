// faiss/binary_ivf_codec.cpp — binary centroids for bit strings (binary_ivf_codec.h).
#include "faiss/binary_ivf_codec.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "common/error.h"
#include "common/interrupt.h"
#include "distance/distance.h"
#include "faiss/calibrate.h"
#include "faiss/envelope.h"
#include "faiss/faiss_guard.h"
#include "faiss/threads.h"

namespace jade::ext::engine {

namespace {

// Rows of training data per list, as FAISS's k-means caps it anyway.
constexpr int64_t kTrainingRowsPerList = 256;

// Rejects a null or inconsistent argument: these are caller bugs, not user errors.
void Require(bool ok, const char* what) {
    if (!ok) throw JadeError(sqlstate::kInternalError, std::string("invalid binary IVF codec call: ") + what);
}

// Returns bit i of a packed row (most significant bit first).
inline bool BitAt(const uint8_t* row, int i) { return (row[i >> 3] >> (7 - (i & 7))) & 1; }

// Returns the Hamming distance between two packed rows of code_size bytes.
inline uint64_t Hamming(const uint8_t* a, const uint8_t* b, size_t code_size) {
    return HammingDistance(a, b, code_size);
}

}  // namespace

BinaryIvfCodec::BinaryIvfCodec(FactorySpec spec, std::vector<uint8_t> centroids)
    : spec_(std::move(spec)), code_size_(static_cast<size_t>(CodeSize(spec_))), centroids_(std::move(centroids)) {}

std::unique_ptr<BinaryIvfCodec> BinaryIvfCodec::Train(const FactorySpec& spec, const uint8_t* x, int64_t n,
                                                      int threads) {
    Require(spec.IsBinaryIvf() && spec.dim > 0, "spec is not a binary IVF family with a dimension");
    Require(n >= 0 && (n == 0 || x != nullptr), "no training rows");
    if (n < spec.nlist)
        throw JadeError(sqlstate::kInvalidParameterValue,
                        "factory \"" + spec.canonical + "\" needs at least " + std::to_string(spec.nlist) +
                            " training rows, but only " + std::to_string(n) + " are available",
                        "k-means needs at least one row per list.",
                        "Use fewer lists, or create the index after loading more data.");
    const int dim = spec.dim;
    const size_t cs = static_cast<size_t>(CodeSize(spec));
    // A strided subset: k-means would sample that many anyway, and unpacked bits cost 32x.
    int64_t cap = std::max<int64_t>(spec.nlist, std::min<int64_t>(kTrainingRowsPerList * spec.nlist,
                                                                   kMaxTrainingFloats / dim));
    int64_t m = std::min(n, cap);
    std::vector<float> unpacked(static_cast<size_t>(m) * dim);
    for (int64_t i = 0; i < m; i++) {
        const uint8_t* row = x + static_cast<size_t>(i * n / m) * cs;
        float* out = unpacked.data() + static_cast<size_t>(i) * dim;
        for (int j = 0; j < dim; j++) out[j] = BitAt(row, j) ? 1.0f : -1.0f;
        if (i % 4096 == 0) ThrowIfInterrupted();
    }
    std::vector<float> centroids;
    {
        ScopedOmpThreads team(threads);
        FaissCall("training binary IVF centroids", [&] {
            faiss::ClusteringParameters cp;
            cp.verbose = false;
            cp.min_points_per_centroid = 1;  // our own row check above
            faiss::Clustering clus(dim, static_cast<int>(spec.nlist), cp);
            faiss::IndexFlatL2 assigner(dim);
            clus.train(m, unpacked.data(), assigner);
            centroids = std::move(clus.centroids);
        });
    }
    ThrowIfInterrupted();
    // Each centroid bit is the cluster's majority: its ±1 mean is positive.
    std::vector<uint8_t> packed(static_cast<size_t>(spec.nlist) * cs, 0);
    for (int64_t l = 0; l < spec.nlist; l++) {
        for (int j = 0; j < dim; j++) {
            if (centroids[static_cast<size_t>(l) * dim + j] > 0.0f)
                packed[static_cast<size_t>(l) * cs + (j >> 3)] |= static_cast<uint8_t>(0x80 >> (j & 7));
        }
    }
    return std::unique_ptr<BinaryIvfCodec>(new BinaryIvfCodec(spec, std::move(packed)));
}

void BinaryIvfCodec::Serialize(ByteSink* sink) const {
    // Envelope, then the centroid count (a cross-check) and the centroids.
    ByteWriter w(sink);
    WriteEnvelopeHeader(&w, kBinaryIvfCodecMagic, spec_, 0);
    w.U64(static_cast<uint64_t>(spec_.nlist));
    w.Raw(centroids_.data(), centroids_.size());
}

std::unique_ptr<BinaryIvfCodec> BinaryIvfCodec::Deserialize(ByteSource* source) {
    // The spec is re-parsed by our grammar and every length checked before it is trusted.
    ByteReader r(source, "binary IVF codec");
    int ef_construction = 0;
    FactorySpec spec = ReadEnvelopeHeader(&r, kBinaryIvfCodecMagic, &ef_construction);
    if (!spec.IsBinaryIvf()) r.Corrupt("factory \"" + spec.canonical + "\" is not a binary IVF family");
    if (r.U64() != static_cast<uint64_t>(spec.nlist)) r.Corrupt("the centroid count does not match the factory");
    size_t bytes = static_cast<size_t>(spec.nlist) * static_cast<size_t>(CodeSize(spec));
    if (r.remaining() < bytes) r.Corrupt("it is truncated");
    std::vector<uint8_t> centroids(bytes);
    r.Raw(centroids.data(), bytes);
    return std::unique_ptr<BinaryIvfCodec>(new BinaryIvfCodec(std::move(spec), std::move(centroids)));
}

void BinaryIvfCodec::AssignEncode(int64_t n, const uint8_t* x, int64_t* lists, uint8_t* codes) const {
    Require(n >= 0 && (n == 0 || (x != nullptr && lists != nullptr && codes != nullptr)), "null buffer");
    for (int64_t i = 0; i < n; i++) {
        const uint8_t* row = x + static_cast<size_t>(i) * code_size_;
        uint64_t best = UINT64_MAX;
        int64_t best_list = 0;
        for (int64_t l = 0; l < spec_.nlist; l++) {
            uint64_t d = Hamming(row, centroids_.data() + static_cast<size_t>(l) * code_size_, code_size_);
            if (d < best) {
                best = d;
                best_list = l;
            }
        }
        lists[i] = best_list;
        std::copy(row, row + code_size_, codes + static_cast<size_t>(i) * code_size_);
        if (i % 1024 == 1023) ThrowIfInterrupted();
    }
}

void BinaryIvfCodec::NearestLists(const uint8_t* query, int64_t nprobe, int64_t* lists, float* dist) const {
    Require(query != nullptr && lists != nullptr && dist != nullptr, "null buffer");
    if (nprobe < 1 || nprobe > spec_.nlist)
        throw JadeError(sqlstate::kInvalidParameterValue, "nprobe must be between 1 and " +
                                                              std::to_string(spec_.nlist) + ", not " +
                                                              std::to_string(nprobe));
    std::vector<std::pair<uint64_t, int64_t>> ranked(static_cast<size_t>(spec_.nlist));
    for (int64_t l = 0; l < spec_.nlist; l++)
        ranked[l] = {Hamming(query, centroids_.data() + static_cast<size_t>(l) * code_size_, code_size_), l};
    std::partial_sort(ranked.begin(), ranked.begin() + nprobe, ranked.end());
    for (int64_t j = 0; j < nprobe; j++) {
        lists[j] = ranked[j].second;
        dist[j] = static_cast<float>(ranked[j].first);
    }
}

void BinaryIvfCodec::Score(const uint8_t* query, size_t n, const uint8_t* codes, float* out) const {
    Require(query != nullptr && (n == 0 || (codes != nullptr && out != nullptr)), "null buffer");
    for (size_t i = 0; i < n; i++) out[i] = static_cast<float>(Hamming(query, codes + i * code_size_, code_size_));
}

int64_t BinaryIvfCodec::CalibrateNprobe(const uint8_t* x, int64_t n, double target, int k) const {
    // For each sample query: the rank of each true neighbour's list in the query's list order.
    if (!(target > 0.0 && target <= 1.0))
        throw JadeError(sqlstate::kInvalidParameterValue, "calibration target recall must be in (0, 1]");
    if (n <= k || spec_.nlist <= 1) return 1;
    int64_t base = std::min(n, kCalibrationBase);
    int64_t nq = std::min(kCalibrationQueries, base);
    int64_t nlist = spec_.nlist;
    std::vector<int64_t> lists(static_cast<size_t>(nlist)), rank(static_cast<size_t>(nlist));
    std::vector<float> dist(static_cast<size_t>(nlist));
    std::vector<std::pair<uint64_t, int64_t>> d(static_cast<size_t>(base));
    std::vector<std::vector<int64_t>> needed;
    std::vector<uint8_t> query(code_size_), code(code_size_);
    for (int64_t qi = 0; qi < nq; qi++) {
        int64_t row = qi * (base / nq);
        const uint8_t* r = x + static_cast<size_t>(row) * code_size_;
        // Displace the row like new data: flip as many random bits as its nearest other row is away.
        uint64_t nearest = UINT64_MAX;
        for (int64_t j = 0; j < base; j++)
            if (j != row) nearest = std::min(nearest, Hamming(r, x + static_cast<size_t>(j) * code_size_, code_size_));
        std::copy(r, r + code_size_, query.begin());
        std::mt19937 rng(static_cast<uint32_t>(row) * 2654435761u + 17);
        std::uniform_int_distribution<int> bit(0, dim() - 1);
        for (uint64_t f = 0; f < std::min<uint64_t>(nearest, static_cast<uint64_t>(dim())); f++) {
            int b = bit(rng);
            query[static_cast<size_t>(b >> 3)] ^= static_cast<uint8_t>(0x80 >> (b & 7));
        }
        NearestLists(query.data(), nlist, lists.data(), dist.data());
        for (int64_t j = 0; j < nlist; j++) rank[lists[j]] = j;
        for (int64_t j = 0; j < base; j++) d[j] = {Hamming(query.data(), x + static_cast<size_t>(j) * code_size_, code_size_), j};
        int64_t kk = std::min<int64_t>(k, base);
        std::partial_sort(d.begin(), d.begin() + kk, d.end());
        std::vector<int64_t> ranks;
        for (int64_t j = 0; j < kk; j++) {
            int64_t list;
            AssignEncode(1, x + static_cast<size_t>(d[j].second) * code_size_, &list, code.data());
            ranks.push_back(rank[list] + 1);
        }
        needed.push_back(std::move(ranks));
        ThrowIfInterrupted();
    }
    std::vector<double> recalls(needed.size());
    for (int64_t nprobe = 1; nprobe < nlist; nprobe++) {
        for (size_t i = 0; i < needed.size(); i++) {
            int64_t covered = std::count_if(needed[i].begin(), needed[i].end(), [&](int64_t r) { return r <= nprobe; });
            recalls[i] = static_cast<double>(covered) / static_cast<double>(needed[i].size());
        }
        if (RecallReachesTarget(recalls, target)) return nprobe;
    }
    return nlist;
}

}  // namespace jade::ext::engine
