// index/engine.cpp — implementation of index/engine.h over FAISS 1.7.3.
//
// C++ regime inside the PG-regime directory: this translation unit includes FAISS and no
// PostgreSQL header (the two collide on macros: ERROR, printf, Max, ...). Everything it throws is
// jade::JadeError (user-facing, with SQLSTATE) or a FAISS/std exception that the caller's
// jade::pg::CallCpp maps to an ERROR. Validation happens before FAISS is called, because
// FAISS_ASSERT aborts the server process.
//
// Threads: OpenMP teams start only inside EngineIvfTrain / EngineHnswBuild /
// EngineIvfAssignEncode during a build, sized by the caller's jadevector.build_threads, and the
// backend is put back to one thread afterwards, so every search runs on the backend's thread and
// FAISS never calls PostgreSQL from another thread (it cannot: nothing here calls PG at all).
#include "index/engine.h"

#include <omp.h>

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/interrupt.h"
#include "index/kinds.h"

namespace jade::ext::index {

struct EngineIvf {
    std::unique_ptr<faiss::IndexIVF> owner;  // the trained codec (lists stay in PG pages)
    std::unique_ptr<faiss::Index> holder;    // what read_index returned (same object)
    faiss::IndexIVF* ivf = nullptr;
    std::vector<uint8_t> serialized;
};

struct EngineIvfScanner {
    std::unique_ptr<faiss::InvertedListScanner> scanner;
    size_t code_size = 0;  // the scanner's own code_size is 0 for scanners overriding scan_codes
};

struct EngineHnsw {
    std::unique_ptr<faiss::Index> index;
    faiss::IndexHNSW* hnsw = nullptr;
    std::vector<uint8_t> serialized;
};

namespace {

constexpr int kMaxLists = 65536;
constexpr int kMaxHnswM = 256;
constexpr int64_t kAddChunk = 4096;
constexpr int64_t kCalibQueries = 64;
constexpr int64_t kCalibK = 10;
constexpr int64_t kCalibMaxBase = 20000;

// Exact k nearest neighbours of nq queries among ny base vectors (k+1 found, the query itself
// — base index self[i] — dropped): truth[nq * k].
void ExactNeighbours(const float* q, const int64_t* self, int64_t nq, const float* base, int64_t ny, int d,
                     uint32_t metric, std::vector<int64_t>* truth) {
    int64_t kk = std::min<int64_t>(kCalibK + 1, ny);
    std::vector<float> dis(nq * kk);
    std::vector<int64_t> ids(nq * kk);
    if (metric == kMetricL2)
        faiss::knn_L2sqr(q, base, d, nq, ny, kk, dis.data(), ids.data());
    else
        faiss::knn_inner_product(q, base, d, nq, ny, kk, dis.data(), ids.data());
    truth->assign(nq * kCalibK, -1);
    for (int64_t i = 0; i < nq; i++) {
        int64_t w = 0;
        for (int64_t j = 0; j < kk && w < kCalibK; j++)
            if (ids[i * kk + j] != self[i]) (*truth)[i * kCalibK + w++] = ids[i * kk + j];
    }
}

// Sets the OpenMP team size for the current scope and returns the backend to one thread.
class ScopedThreads {
public:
    explicit ScopedThreads(int n) { omp_set_num_threads(std::max(1, n)); }
    ~ScopedThreads() { omp_set_num_threads(1); }
};

faiss::MetricType ToFaissMetric(uint32_t metric) {
    return metric == kMetricL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

[[noreturn]] void BadFactory(const std::string& factory, const std::string& detail) {
    throw JadeError(sqlstate::kInvalidParameterValue, "invalid factory string \"" + factory + "\"", detail,
                    "Supported: Flat, IVFn,Flat, IVFn,SQ8, IVFn,PQm, HNSWm, HNSWm,Flat, HNSWm,SQ8.");
}

// Parses a positive decimal number at s[pos...]; returns -1 when there is none.
long ParseNumber(const std::string& s, size_t* pos) {
    size_t start = *pos;
    long v = 0;
    while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
        v = v * 10 + (s[*pos] - '0');
        if (v > 100000000) return -1;
        (*pos)++;
    }
    return *pos == start ? -1 : v;
}

// The factory string FAISS is given for a validated one (PQ without polysemous training).
std::string EngineFactory(const char* normalized) {
    std::string f(normalized);
    if (f.rfind("IVF", 0) == 0 && f.find(",PQ") != std::string::npos) f += "np";
    return f;
}

// Copies a string into a bounded C buffer.
void CopyOut(const std::string& s, char* out, size_t out_len) {
    size_t n = std::min(s.size(), out_len - 1);
    memcpy(out, s.data(), n);
    out[n] = '\0';
}

}  // namespace

void EngineParseFactory(const char* factory_c, uint32_t dims, uint32_t metric, FactoryInfo* out) {
    std::string f(factory_c ? factory_c : "");
    f.erase(std::remove(f.begin(), f.end(), ' '), f.end());
    memset(out, 0, sizeof(*out));
    std::string norm;
    if (f == "Flat") {
        out->family = kFamilyFlat;
        out->code_size = 4 * dims;
        norm = "Flat";
    } else if (f.rfind("IVF", 0) == 0) {
        size_t pos = 3;
        long nlist = ParseNumber(f, &pos);
        if (nlist < 1 || nlist > kMaxLists) BadFactory(f, "The number of IVF lists must be between 1 and 65536.");
        if (pos >= f.size() || f[pos] != ',') BadFactory(f, "IVF needs a list codec: IVFn,Flat, IVFn,SQ8 or IVFn,PQm.");
        std::string codec = f.substr(pos + 1);
        out->family = kFamilyIvf;
        out->nlist = static_cast<uint32_t>(nlist);
        if (codec == "Flat") {
            out->code_size = 4 * dims;
        } else if (codec == "SQ8") {
            out->code_size = dims;
            out->lossy = true;
        } else if (codec.rfind("PQ", 0) == 0) {
            size_t p = 2;
            long m = ParseNumber(codec, &p);
            std::string rest = codec.substr(p);
            if (m < 1 || m > 4096 || !(rest.empty() || rest == "np" || rest == "x8"))
                BadFactory(f, "PQ takes the number of sub-quantizers: IVFn,PQm (8 bits each).");
            if (dims != 0 && dims % m != 0)
                throw JadeError(sqlstate::kInvalidParameterValue,
                                "PQ" + std::to_string(m) + " needs a dimension divisible by " + std::to_string(m),
                                "The column has " + std::to_string(dims) + " dimensions.");
            codec = "PQ" + std::to_string(m);
            out->code_size = static_cast<uint32_t>(m);
            out->lossy = true;
        } else {
            BadFactory(f, "Unknown IVF codec \"" + codec + "\".");
        }
        norm = "IVF" + std::to_string(nlist) + "," + codec;
    } else if (f.rfind("HNSW", 0) == 0) {
        size_t pos = 4;
        long m = ParseNumber(f, &pos);
        if (m < 2 || m > kMaxHnswM) BadFactory(f, "HNSW M must be between 2 and 256.");
        std::string codec = pos < f.size() && f[pos] == ',' ? f.substr(pos + 1) : (pos == f.size() ? "Flat" : "?");
        if (codec != "Flat" && codec != "SQ8") BadFactory(f, "HNSW takes Flat or SQ8 storage.");
        out->family = kFamilyHnsw;
        out->hnsw_m = static_cast<int32_t>(m);
        out->code_size = 4 * dims;
        out->lossy = codec == "SQ8";
        norm = "HNSW" + std::to_string(m) + "," + codec;
    } else {
        BadFactory(f, "Unknown index family.");
    }
    if (metric == kMetricL1 && out->family != kFamilyFlat)
        throw JadeError(sqlstate::kFeatureNotSupported,
                        "vector_l1_ops is supported only by the Flat family, not by \"" + norm + "\"", "",
                        "Use factory = 'Flat', or an L2, inner product or cosine operator class.");
    CopyOut(norm, out->normalized, sizeof(out->normalized));
}

void EngineDefaultFactory(double ntuples, uint32_t dims, uint32_t metric, char* out, size_t out_len) {
    // Small tables: an exact scan is fast and needs no training. Larger: IVF with about one list
    // per 1000 rows (pgvector's advice), sqrt(rows) beyond a million.
    std::string f = "Flat";
    if (metric != kMetricL1 && ntuples >= 50000) {
        double lists = ntuples <= 1e6 ? ntuples / 1000 : std::sqrt(ntuples);
        long nlist = std::max(16L, std::min(static_cast<long>(lists), static_cast<long>(kMaxLists)));
        f = "IVF" + std::to_string(nlist) + ",Flat";
    }
    CopyOut(f, out, out_len);
}

int64_t EngineMinTrainingRows(const FactoryInfo* info) {
    if (info->family != kFamilyIvf) return 0;
    bool pq = strstr(info->normalized, ",PQ") != nullptr;
    // k-means needs at least one point per centroid; PQ trains 256 centroids per sub-quantizer.
    return std::max<int64_t>(info->nlist, pq ? 256 : 1);
}

EngineIvf* EngineIvfTrain(const char* factory, uint32_t dims, uint32_t metric, const float* x, int64_t n,
                          int threads) {
    ScopedThreads t(threads);
    std::unique_ptr<faiss::Index> idx(
        faiss::index_factory(static_cast<int>(dims), EngineFactory(factory).c_str(), ToFaissMetric(metric)));
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx.get());
    if (ivf == nullptr) throw JadeError(sqlstate::kInternalError, "factory did not produce an IVF index");
    ivf->verbose = false;
    ivf->train(n, x);
    ThrowIfInterrupted();
    auto* e = new EngineIvf();
    idx.release();
    e->owner.reset(ivf);
    e->ivf = ivf;
    return e;
}

void EngineIvfSerialize(EngineIvf* e, const char** data, size_t* len) {
    faiss::VectorIOWriter w;
    faiss::write_index(e->ivf, &w);
    e->serialized.swap(w.data);
    *data = reinterpret_cast<const char*>(e->serialized.data());
    *len = e->serialized.size();
}

EngineIvf* EngineIvfLoad(const char* data, size_t len, uint32_t dims, uint32_t metric) {
    faiss::VectorIOReader r;
    r.data.assign(reinterpret_cast<const uint8_t*>(data), reinterpret_cast<const uint8_t*>(data) + len);
    std::unique_ptr<faiss::Index> idx(faiss::read_index(&r));
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(idx.get());
    if (ivf == nullptr || ivf->d != static_cast<int>(dims))
        throw JadeError(sqlstate::kIndexCorrupted, "stored IVF codec does not match the index", "",
                        "Rebuild the index with REINDEX.");
    omp_set_num_threads(1);
    auto* e = new EngineIvf();
    e->holder = std::move(idx);
    e->ivf = ivf;
    return e;
}

size_t EngineIvfMemoryBytes(const EngineIvf* e) {
    return static_cast<size_t>(e->ivf->nlist) * e->ivf->d * sizeof(float) + e->serialized.size() + 4096;
}

void EngineIvfAssignEncode(EngineIvf* e, int64_t n, const float* x, int64_t* lists, uint8_t* codes, int threads) {
    ScopedThreads t(threads);
    std::vector<faiss::Index::idx_t> assign(n);
    for (int64_t off = 0; off < n; off += kAddChunk) {
        int64_t m = std::min(kAddChunk, n - off);
        e->ivf->quantizer->assign(m, x + off * e->ivf->d, assign.data() + off);
        e->ivf->encode_vectors(m, x + off * e->ivf->d, assign.data() + off, codes + off * e->ivf->code_size, false);
        ThrowIfInterrupted();
    }
    for (int64_t i = 0; i < n; i++) lists[i] = assign[i];
}

void EngineIvfRankLists(EngineIvf* e, const float* q, int64_t* lists, float* dist) {
    int64_t nlist = static_cast<int64_t>(e->ivf->nlist);
    std::vector<faiss::Index::idx_t> ids(nlist);
    e->ivf->quantizer->search(1, q, nlist, dist, ids.data());
    for (int64_t i = 0; i < nlist; i++) lists[i] = ids[i];
}

uint32_t EngineIvfCalibrate(EngineIvf* e, const float* x, int64_t n, double target, int threads) {
    ScopedThreads t(threads);
    faiss::IndexIVF* ivf = e->ivf;
    int64_t nlist = static_cast<int64_t>(ivf->nlist);
    int64_t ny = std::min(n, kCalibMaxBase);
    if (ny <= kCalibK + 1 || nlist <= 1) return 1;
    int d = ivf->d;
    int64_t nq = std::min(kCalibQueries, ny);
    std::vector<float> q(nq * d);
    std::vector<int64_t> self(nq);
    for (int64_t i = 0; i < nq; i++) {
        self[i] = i * (ny / nq);
        std::copy(x + self[i] * d, x + (self[i] + 1) * d, q.begin() + i * d);
    }
    std::vector<int64_t> truth;
    ExactNeighbours(q.data(), self.data(), nq, x, ny, d, e->ivf->metric_type == faiss::METRIC_L2 ? kMetricL2 : kMetricIp,
                    &truth);
    std::vector<faiss::Index::idx_t> assign(ny);
    ivf->quantizer->assign(ny, x, assign.data());
    std::vector<float> cd(nlist);
    std::vector<faiss::Index::idx_t> order(nlist);
    std::vector<int64_t> rank(nlist);
    std::vector<int64_t> needed;
    for (int64_t i = 0; i < nq; i++) {
        ivf->quantizer->search(1, q.data() + i * d, nlist, cd.data(), order.data());
        for (int64_t r = 0; r < nlist; r++)
            if (order[r] >= 0) rank[order[r]] = r;
        for (int64_t j = 0; j < kCalibK; j++) {
            int64_t nb = truth[i * kCalibK + j];
            if (nb >= 0) needed.push_back(rank[assign[nb]] + 1);
        }
    }
    if (needed.empty()) return 1;
    std::sort(needed.begin(), needed.end());
    size_t at = std::min(needed.size() - 1, static_cast<size_t>(target * needed.size()));
    return static_cast<uint32_t>(std::max<int64_t>(1, needed[at]));
}

EngineIvfScanner* EngineIvfScannerBegin(EngineIvf* e, const float* q) {
    auto* s = new EngineIvfScanner();
    s->scanner.reset(e->ivf->get_InvertedListScanner(false, nullptr));
    s->scanner->set_query(q);
    s->code_size = e->ivf->code_size;
    return s;
}

void EngineIvfScannerSetList(EngineIvfScanner* s, int64_t list_no, float coarse_dis) {
    s->scanner->set_list(list_no, coarse_dis);
}

void EngineIvfScannerScore(EngineIvfScanner* s, size_t n, const uint8_t* codes, float* out) {
    size_t cs = s->code_size;
    for (size_t i = 0; i < n; i++) out[i] = s->scanner->distance_to_code(codes + i * cs);
}

void EngineIvfScannerFree(EngineIvfScanner* s) noexcept { delete s; }

void EngineIvfFree(EngineIvf* e) noexcept { delete e; }

EngineHnsw* EngineHnswBuild(const char* factory, uint32_t dims, uint32_t metric, const float* x, int64_t n,
                            int ef_construction, int threads) {
    ScopedThreads t(threads);
    std::unique_ptr<faiss::Index> idx(
        faiss::index_factory(static_cast<int>(dims), factory, ToFaissMetric(metric)));
    auto* h = dynamic_cast<faiss::IndexHNSW*>(idx.get());
    if (h == nullptr) throw JadeError(sqlstate::kInternalError, "factory did not produce an HNSW index");
    h->hnsw.efConstruction = ef_construction;
    h->verbose = false;
    if (!h->is_trained) h->train(n, x);
    for (int64_t off = 0; off < n; off += kAddChunk) {
        h->add(std::min(kAddChunk, n - off), x + off * dims);
        ThrowIfInterrupted();
    }
    auto* e = new EngineHnsw();
    e->index = std::move(idx);
    e->hnsw = h;
    return e;
}

int EngineHnswCalibrate(EngineHnsw* e, const float* x, int64_t n, double target, int threads) {
    constexpr int kEfSteps[] = {16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};
    if (n <= kCalibK + 1) return kEfSteps[0];
    int d = e->hnsw->d;
    int64_t nq = std::min(kCalibQueries, n);
    std::vector<float> q(nq * d);
    std::vector<int64_t> self(nq);
    for (int64_t i = 0; i < nq; i++) {
        self[i] = i * (n / nq);
        std::copy(x + self[i] * d, x + (self[i] + 1) * d, q.begin() + i * d);
    }
    std::vector<int64_t> truth;
    {
        ScopedThreads t(threads);
        ExactNeighbours(q.data(), self.data(), nq, x, n, d,
                        e->hnsw->metric_type == faiss::METRIC_L2 ? kMetricL2 : kMetricIp, &truth);
    }
    omp_set_num_threads(1);
    std::vector<float> D(kCalibK + 1);
    std::vector<int64_t> I(kCalibK + 1);
    for (int ef : kEfSteps) {
        int64_t hits = 0, total = 0;
        for (int64_t i = 0; i < nq; i++) {
            EngineHnswSearch(e, q.data() + i * d, kCalibK + 1, ef, D.data(), I.data());
            for (int64_t j = 0; j < kCalibK; j++) {
                int64_t nb = truth[i * kCalibK + j];
                if (nb < 0) continue;
                total++;
                for (int64_t r = 0; r <= kCalibK; r++)
                    if (I[r] == nb) {
                        hits++;
                        break;
                    }
            }
        }
        if (total == 0 || static_cast<double>(hits) >= target * static_cast<double>(total)) return ef;
        ThrowIfInterrupted();
    }
    return kEfSteps[sizeof(kEfSteps) / sizeof(kEfSteps[0]) - 1];
}

void EngineHnswSerialize(EngineHnsw* e, const char** data, size_t* len) {
    faiss::VectorIOWriter w;
    faiss::write_index(e->index.get(), &w);
    e->serialized.swap(w.data);
    *data = reinterpret_cast<const char*>(e->serialized.data());
    *len = e->serialized.size();
}

EngineHnsw* EngineHnswLoad(const char* data, size_t len, uint32_t dims, uint32_t metric) {
    faiss::VectorIOReader r;
    r.data.assign(reinterpret_cast<const uint8_t*>(data), reinterpret_cast<const uint8_t*>(data) + len);
    std::unique_ptr<faiss::Index> idx(faiss::read_index(&r));
    auto* h = dynamic_cast<faiss::IndexHNSW*>(idx.get());
    if (h == nullptr || h->d != static_cast<int>(dims))
        throw JadeError(sqlstate::kIndexCorrupted, "stored HNSW graph does not match the index", "",
                        "Rebuild the index with REINDEX.");
    omp_set_num_threads(1);
    auto* e = new EngineHnsw();
    e->index = std::move(idx);
    e->hnsw = h;
    return e;
}

size_t EngineHnswMemoryBytes(const EngineHnsw* e) {
    const faiss::HNSW& g = e->hnsw->hnsw;
    size_t links = g.neighbors.size() * sizeof(faiss::HNSW::storage_idx_t) + g.offsets.size() * sizeof(size_t) +
                   g.levels.size() * sizeof(int);
    size_t storage = e->hnsw->storage ? e->hnsw->storage->ntotal * e->hnsw->storage->sa_code_size() : 0;
    return links + storage;
}

void EngineHnswSearch(EngineHnsw* e, const float* q, int64_t k, int ef, float* D, int64_t* I) {
    if (k <= 0) return;
    // FAISS 1.7.3 ignores SearchParametersHNSW.efSearch: set the member (this backend's copy).
    e->hnsw->hnsw.efSearch = std::max<int>(ef, static_cast<int>(k));
    std::vector<faiss::Index::idx_t> ids(k);
    e->hnsw->search(1, q, k, D, ids.data());
    for (int64_t i = 0; i < k; i++) I[i] = ids[i];
}

void EngineHnswFree(EngineHnsw* e) noexcept { delete e; }

}  // namespace jade::ext::index
