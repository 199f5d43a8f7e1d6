// Unit tests for faiss/calibrate.h: the tuned nprobe / ef_search reach the recall they promise
// on held-out queries, grow with the target, and respect their bounds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "common/error.h"
#include "faiss/calibrate.h"
#include "test_faiss_util.h"

using namespace jade::ext::engine;
using namespace jade::ext::engine::testing;

namespace {

// Candidates of one query in its nprobe nearest lists, scored by the codec, best first.
std::vector<std::pair<float, int64_t>> ProbeCandidates(const IvfCodec& codec, const std::vector<int64_t>& assign,
                                                       const std::vector<uint8_t>& codes, const float* q,
                                                       int64_t nprobe) {
    std::vector<int64_t> lists(nprobe);
    std::vector<float> coarse(nprobe);
    codec.NearestLists(q, nprobe, lists.data(), coarse.data());
    auto sc = codec.NewScanner(q);
    std::vector<std::pair<float, int64_t>> c;
    for (int64_t j = 0; j < nprobe; j++) {
        sc->SetList(lists[j], coarse[j]);
        for (size_t i = 0; i < assign.size(); i++) {
            if (assign[i] != lists[j]) continue;
            float d;
            sc->Score(1, codes.data() + i * codec.code_size(), &d);
            c.push_back({d, static_cast<int64_t>(i)});
        }
    }
    std::sort(c.begin(), c.end());
    return c;
}

// Recall@k on held-out queries of an IVF search with nprobe over all rows of x (lists held in
// memory). With share > 0 the best `share` of the candidates (by code distance) are re-ranked
// exactly, as the AM's scan does; with share 0 the code distances are final (IVF-Flat).
double IvfRecall(const IvfCodec& codec, const std::vector<float>& x, const std::vector<float>& queries, int64_t nprobe,
                 int k, double share = 0) {
    int dim = codec.dim();
    int64_t n = static_cast<int64_t>(x.size()) / dim;
    std::vector<int64_t> assign(n);
    std::vector<uint8_t> codes(n * codec.code_size());
    codec.AssignEncode(n, x.data(), assign.data(), codes.data());
    int64_t nq = static_cast<int64_t>(queries.size()) / dim;
    double total = 0;
    for (int64_t qi = 0; qi < nq; qi++) {
        const float* q = queries.data() + qi * dim;
        std::vector<std::pair<float, int64_t>> c = ProbeCandidates(codec, assign, codes, q, nprobe);
        if (share > 0) {
            size_t depth = std::max<size_t>(k, static_cast<size_t>(share * static_cast<double>(c.size()) + 0.5));
            c.resize(std::min(depth, c.size()));
            for (auto& e : c)
                e.first = static_cast<float>(OperatorDistance(codec.metric(), q, x.data() + e.second * dim, dim));
            std::sort(c.begin(), c.end());
        }
        std::vector<int64_t> top;
        for (size_t j = 0; j < std::min<size_t>(k, c.size()); j++) top.push_back(c[j].second);
        total += Recall(ExactKnn(codec.metric(), x, dim, q, k), top.data(), static_cast<int64_t>(top.size()));
    }
    return total / nq;
}

}  // namespace

TEST_CASE("calibrate: IVF nprobe reaches its recall target on held-out queries", "[faiss][calibrate]") {
    const int dim = 16;
    const int64_t n = 4000;
    // Queries from the same distribution as the data (the calibration's assumption).
    std::vector<float> x = Clustered(n + 40, dim, 60, 201);
    std::vector<float> held_out(x.end() - 40 * dim, x.end());
    x.resize(n * dim);
    auto codec = IvfCodec::Train(ParseFactory("IVF64,Flat", dim, Metric::L2), x.data(), n, 1);
    int64_t p50 = CalibrateNprobe(*codec, x.data(), n, 0.5);
    int64_t p90 = CalibrateNprobe(*codec, x.data(), n, 0.9);
    int64_t p100 = CalibrateNprobe(*codec, x.data(), n, 1.0);
    CHECK(p50 >= 1);
    CHECK(p50 <= p90);
    CHECK(p90 <= p100);
    CHECK(p100 <= 64);
    CHECK(p90 < 64);  // clustered data: far fewer than all lists
    // Held-out queries behave like the sample (small slack for sampling noise).
    CHECK(IvfRecall(*codec, x, held_out, p90, 10) >= 0.85);
    CHECK(IvfRecall(*codec, x, held_out, p100, 10) >= 0.95);
    CHECK(CalibrateNprobe(*codec, x.data(), 5, 0.9) == 1);  // too few rows to measure
    CHECK_THROWS_AS(CalibrateNprobe(*codec, x.data(), n, 0.0), jade::JadeError);
    CHECK_THROWS_AS(CalibrateNprobe(*codec, x.data(), n, 1.5), jade::JadeError);
}

TEST_CASE("calibrate: HNSW ef_search reaches its recall target on held-out queries", "[faiss][calibrate]") {
    const int dim = 16;
    const int64_t n = 3000, k = 10;
    std::vector<float> x = Clustered(n + 40, dim, 30, 211);
    std::vector<float> held_out(x.end() - 40 * dim, x.end());
    x.resize(n * dim);
    std::vector<int64_t> labels(n);
    for (int64_t i = 0; i < n; i++) labels[i] = 1000 + 3 * i;
    for (Metric metric : {Metric::L2, Metric::Cosine}) {
        INFO(MetricName(metric));
        auto g = HnswGraph::Build(ParseFactory("HNSW8", dim, metric), 32, x.data(), labels.data(), n, 1);
        int ef50 = CalibrateEfSearch(*g, x.data(), labels.data(), n, 0.5);
        int ef95 = CalibrateEfSearch(*g, x.data(), labels.data(), n, 0.95);
        CHECK(ef50 >= 10);
        CHECK(ef50 <= ef95);
        CHECK(ef95 <= kCalibrationMaxEf);
        double total = 0;
        for (int64_t qi = 0; qi < 40; qi++) {
            const float* q = held_out.data() + qi * dim;
            std::vector<float> d(k);
            std::vector<int64_t> l(k);
            int64_t found = g->Search(q, k, ef95, d.data(), l.data());
            for (int64_t j = 0; j < found; j++) l[j] = (l[j] - 1000) / 3;
            total += Recall(ExactKnn(metric, x, dim, q, k), l.data(), found);
        }
        CHECK(total / 40 >= 0.93);
    }
}

TEST_CASE("calibrate: HNSW truth covers the whole graph beyond the IVF sample size", "[faiss][calibrate]") {
    // More rows than kCalibrationBase: ground truth from a subset would count the graph's
    // correct answers from the other rows as misses and push ef to its maximum.
    const int dim = 4;
    const int64_t n = kCalibrationBase + 4000;
    std::vector<float> x = Clustered(n, dim, 400, 221);
    std::vector<int64_t> labels(n);
    for (int64_t i = 0; i < n; i++) labels[i] = i;
    auto g = HnswGraph::Build(ParseFactory("HNSW8", dim, Metric::L2), 24, x.data(), labels.data(), n, 1);
    int ef = CalibrateEfSearch(*g, x.data(), labels.data(), n, 0.9);
    CHECK(ef < kCalibrationMaxEf);
    CHECK(ef <= 200);
}

TEST_CASE("calibrate: IVF re-rank share keeps what the probed lists hold", "[faiss][calibrate]") {
    const int dim = 32;
    const int64_t n = 4000;
    std::vector<float> x = Clustered(n + 40, dim, 60, 211);
    std::vector<float> held_out(x.end() - 40 * dim, x.end());
    x.resize(n * dim);
    // PQ4 (1 byte per 8 dimensions) ranks true neighbours far down; SQ8 barely moves them.
    auto pq = IvfCodec::Train(ParseFactory("IVF16,PQ4", dim, Metric::L2), x.data(), n, 1);
    auto sq = IvfCodec::Train(ParseFactory("IVF16,SQ8", dim, Metric::L2), x.data(), n, 1);
    int64_t nprobe = CalibrateNprobe(*pq, x.data(), n, 0.96);
    double pq_share = CalibrateRerankShare(*pq, x.data(), n, nprobe, 0.95, 0.995);
    double sq_share = CalibrateRerankShare(*sq, x.data(), n, CalibrateNprobe(*sq, x.data(), n, 0.96), 0.95, 0.995);
    INFO("nprobe " << nprobe << ", PQ4 share " << pq_share << ", SQ8 share " << sq_share);
    CHECK(pq_share > 0.0);
    CHECK(pq_share <= 1.0);
    CHECK(sq_share < pq_share);
    // Re-ranking that share on held-out queries keeps (nearly) all the lists hold.
    double all = IvfRecall(*pq, x, held_out, nprobe, 10, 1.0);
    CHECK(IvfRecall(*pq, x, held_out, nprobe, 10, pq_share) >= all - 0.03);
    // Keeping less needs a shallower depth.
    CHECK(CalibrateRerankShare(*pq, x.data(), n, nprobe, 0.95, 0.5) <= pq_share);
    CHECK(CalibrateRerankShare(*pq, x.data(), 5, nprobe, 0.95, 0.99) == 1.0);  // too few rows
    CHECK_THROWS_AS(CalibrateRerankShare(*pq, x.data(), n, nprobe, 0.95, 0.0), jade::JadeError);
}
