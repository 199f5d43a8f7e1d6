// Unit tests for faiss/binary_ivf_codec.h (IVF over packed bit strings, Hamming distance) and
// for IVFn,SQfp16 float codes holding half-precision data exactly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "common/error.h"
#include "distance/distance.h"
#include "distance/half.h"
#include "faiss/binary_ivf_codec.h"
#include "faiss/ivf_codec.h"
#include "test_faiss_util.h"

using namespace jade::ext::engine;

namespace {

// n packed rows of `dim` bits drawn around `clusters` random centres (each bit flipped with p).
std::vector<uint8_t> ClusteredBits(int64_t n, int dim, int clusters, double p, uint32_t seed) {
    std::mt19937 rng(seed);
    size_t cs = (static_cast<size_t>(dim) + 7) / 8;
    std::vector<std::vector<bool>> centres(clusters, std::vector<bool>(dim));
    std::bernoulli_distribution coin(0.5), flip(p);
    for (auto& c : centres)
        for (int j = 0; j < dim; j++) c[j] = coin(rng);
    std::vector<uint8_t> x(static_cast<size_t>(n) * cs, 0);
    std::uniform_int_distribution<int> pick(0, clusters - 1);
    for (int64_t i = 0; i < n; i++) {
        const auto& c = centres[pick(rng)];
        for (int j = 0; j < dim; j++)
            if (c[j] != flip(rng)) x[i * cs + j / 8] |= static_cast<uint8_t>(0x80 >> (j % 8));
    }
    return x;
}

}  // namespace

TEST_CASE("binary ivf: codes are the rows, lists rank by hamming, scores are exact", "[faiss][binary]") {
    const int dim = 100;  // not a multiple of 8: padding bits stay zero
    const size_t cs = 13;
    std::vector<uint8_t> x = ClusteredBits(3000, dim, 20, 0.08, 5);
    FactorySpec spec = ParseFactory("IVF16,Flat", dim, Metric::Hamming);
    auto codec = BinaryIvfCodec::Train(spec, x.data(), 3000, 1);
    REQUIRE(codec->code_size() == cs);
    std::vector<int64_t> lists(3000);
    std::vector<uint8_t> codes(3000 * cs);
    codec->AssignEncode(3000, x.data(), lists.data(), codes.data());
    CHECK(codes == x);
    std::vector<int64_t> per_list(16, 0);
    for (int64_t l : lists) per_list[l]++;
    CHECK(*std::min_element(per_list.begin(), per_list.end()) > 0);  // k-means spread the rows
    // Probing every list and scoring every code finds the exact nearest rows.
    const uint8_t* q = x.data() + 77 * cs;
    std::vector<int64_t> order(16);
    std::vector<float> dist(16);
    codec->NearestLists(q, 16, order.data(), dist.data());
    CHECK(std::is_sorted(dist.begin(), dist.end()));
    std::vector<float> scores(3000);
    codec->Score(q, 3000, codes.data(), scores.data());
    for (int64_t i = 0; i < 3000; i++)
        CHECK(scores[i] == static_cast<float>(jade::ext::HammingDistance(q, x.data() + i * cs, cs)));
    // Calibration: a few lists of 16 hold the neighbours of clustered data.
    int64_t nprobe = codec->CalibrateNprobe(x.data(), 3000, 0.95);
    CHECK(nprobe >= 1);
    CHECK(nprobe <= 16);
    // Round trip.
    VectorSink sink;
    codec->Serialize(&sink);
    SpanSource src(sink.bytes.data(), sink.bytes.size());
    auto back = BinaryIvfCodec::Deserialize(&src);
    std::vector<int64_t> lists2(3000);
    back->AssignEncode(3000, x.data(), lists2.data(), codes.data());
    CHECK(lists2 == lists);
    // Damage is an XX002 error, never a crash.
    std::vector<uint8_t> bad(sink.bytes.begin(), sink.bytes.end() - 5);
    SpanSource short_src(bad.data(), bad.size());
    try {
        BinaryIvfCodec::Deserialize(&short_src);
        FAIL("a truncated codec was accepted");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "XX002");
    }
    // Too few rows.
    CHECK_THROWS_AS(BinaryIvfCodec::Train(spec, x.data(), 10, 1), jade::JadeError);
}

TEST_CASE("IVF,SQfp16 codes reproduce half-precision data exactly", "[faiss][ivf]") {
    const int dim = 24;
    std::vector<float> x = testing::Clustered(2000, dim, 10, 3);
    for (float& v : x) v = jade::ext::HalfToFloat(jade::ext::FloatToHalf(v));  // halfvec values
    for (Metric metric : {Metric::L2, Metric::InnerProduct}) {
        auto codec = IvfCodec::Train(ParseFactory("IVF8,SQfp16", dim, metric), x.data(), 2000, 1);
        REQUIRE(codec->code_size() == 2 * dim);
        std::vector<int64_t> lists(2000);
        std::vector<uint8_t> codes(2000 * codec->code_size());
        codec->AssignEncode(2000, x.data(), lists.data(), codes.data());
        const float* q = x.data() + 5 * dim;
        auto sc = codec->NewScanner(q);
        for (int64_t i = 0; i < 2000; i += 37) {
            sc->SetList(lists[i], 0.0f);
            float d;
            sc->Score(1, codes.data() + i * codec->code_size(), &d);
            double exact = OperatorDistance(metric, q, x.data() + i * dim, dim);
            CHECK(d == Approx(exact).epsilon(1e-5).margin(1e-4));
        }
    }
}
