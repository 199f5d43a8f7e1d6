// Unit tests for faiss/factory.h, metric.h, tid.h and the FAISS message trimming: every
// accepted form, every rejection with its SQLSTATE and message, defaults and pgvector mapping.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "common/error.h"
#include "faiss/factory.h"
#include "faiss/faiss_guard.h"
#include "faiss/metric.h"
#include "faiss/tid.h"

using namespace jade::ext::engine;

namespace {

// Returns the JadeError a parse throws (fails the test when it does not throw one).
jade::JadeError ParseError(const std::string& s, int dim = 64, Metric metric = Metric::L2) {
    try {
        ParseFactory(s, dim, metric);
    } catch (const jade::JadeError& e) {
        return e;
    }
    FAIL("factory \"" << s << "\" was accepted");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("factory: accepted strings parse to canonical spec and FAISS key", "[faiss][factory]") {
    struct Case {
        const char* in;
        Family family;
        const char* canonical;
        const char* key;
        int64_t code_size;
    };
    const Case cases[] = {
        {"Flat", Family::Flat, "Flat", "", 256},
        {"IVF100,Flat", Family::IvfFlat, "IVF100,Flat", "IVF100,Flat", 256},
        {" IVF100 , Flat ", Family::IvfFlat, "IVF100,Flat", "IVF100,Flat", 256},
        {"IVF1,SQ8", Family::IvfSq8, "IVF1,SQ8", "IVF1,SQ8", 64},
        {"IVF65536,SQ8", Family::IvfSq8, "IVF65536,SQ8", "IVF65536,SQ8", 64},
        {"IVF1024,PQ16", Family::IvfPq, "IVF1024,PQ16", "IVF1024,PQ16np", 16},
        {"IVF1024,PQ16np", Family::IvfPq, "IVF1024,PQ16", "IVF1024,PQ16np", 16},
        {"IVF1024,PQ16x8", Family::IvfPq, "IVF1024,PQ16", "IVF1024,PQ16np", 16},
        {"IVF64,PQ8x4", Family::IvfPq, "IVF64,PQ8x4", "IVF64,PQ8x4np", 4},
        {"IVF64,PQ64x12", Family::IvfPq, "IVF64,PQ64x12", "IVF64,PQ64x12np", 96},
        {"HNSW32", Family::Hnsw, "HNSW32,Flat", "HNSW32,Flat", 256},
        {"HNSW16,Flat", Family::Hnsw, "HNSW16,Flat", "HNSW16,Flat", 256},
        {"HNSW2,SQ8", Family::HnswSq8, "HNSW2,SQ8", "HNSW2,SQ8", 64},
        {"HNSW256", Family::Hnsw, "HNSW256,Flat", "HNSW256,Flat", 256},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        FactorySpec s = ParseFactory(c.in, 64, Metric::L2);
        CHECK(s.family == c.family);
        CHECK(s.canonical == c.canonical);
        CHECK(s.faiss_key == c.key);
        CHECK(CodeSize(s) == c.code_size);
        CHECK(s.dim == 64);
        // The canonical form is a fixed point of the parser.
        CHECK(ParseFactory(s.canonical, 64, Metric::L2).canonical == s.canonical);
    }
    FactorySpec pq = ParseFactory("IVF1024,PQ16", 64, Metric::InnerProduct);
    CHECK(pq.nlist == 1024);
    CHECK(pq.pq_m == 16);
    CHECK(pq.pq_nbits == 8);
    CHECK(pq.IsIvf());
    CHECK(pq.IsLossy());
    CHECK_FALSE(ParseFactory("IVF10,Flat", 8, Metric::L2).IsLossy());
    CHECK(ParseFactory("HNSW16,SQ8", 8, Metric::Cosine).IsLossy());
    CHECK(ParseFactory("HNSW16", 8, Metric::Cosine).hnsw_m == 16);
}

TEST_CASE("factory: rejected strings give 22023 with a reason", "[faiss][factory]") {
    struct Case {
        const char* in;
        const char* detail_part;
    };
    const Case cases[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"flat", "Unknown index structure \"flat\""},
        {"IDMap,Flat", "Unknown index structure \"IDMap\""},
        {"OPQ16,IVF256,PQ16", "At most two components"},
        {"PCA32,IVF256,Flat", "At most two components"},
        {"LSH", "Unknown index structure"},
        {"IVF", "number of lists"},
        {"IVFx,Flat", "number of lists"},
        {"IVF0,Flat", "between 1 and 65536, not 0"},
        {"IVF65537,Flat", "between 1 and 65536, not 65537"},
        {"IVF99999999999,Flat", "number of lists"},
        {"IVF100", "needs a list code"},
        {"IVF100,", "Unknown IVF list code \"\""},
        {"IVF100,SQ4", "Unknown IVF list code \"SQ4\""},
        {"IVF100,SQfp8", "Unknown IVF list code"},
        {"IVF100,PQ", "Unknown IVF list code \"PQ\""},
        {"IVF100,PQ0", "at least 1 sub-quantizer"},
        {"IVF100,PQ16x3", "between 4 and 12, not 3"},
        {"IVF100,PQ16x13", "between 4 and 12, not 13"},
        {"IVF100,PQ16x4fs", "Unknown IVF list code"},
        {"IVF100_HNSW32,Flat", "number of lists"},
        {"Flat,Flat", "Flat takes no further component"},
        {"HNSW", "number of links"},
        {"HNSW1", "between 2 and 256, not 1"},
        {"HNSW257", "between 2 and 256, not 257"},
        {"HNSW32,PQ8", "Unknown HNSW storage \"PQ8\""},
        {"HNSW32,SQ8,Flat", "At most two components"},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        jade::JadeError e = ParseError(c.in);
        CHECK(std::string(e.sqlstate()) == "22023");
        CHECK_THAT(std::string(e.what()), Catch::Contains("invalid factory string"));
        CHECK_THAT(e.detail(), Catch::Contains(c.detail_part));
        CHECK_THAT(e.hint(), Catch::Contains("IVFn,PQm"));
    }
}

TEST_CASE("factory: checks against the column dimension and metric", "[faiss][factory]") {
    jade::JadeError pq = ParseError("IVF100,PQ16", 100);
    CHECK(std::string(pq.sqlstate()) == "22023");
    CHECK_THAT(std::string(pq.what()), Catch::Contains("divisible by 16"));
    CHECK_THAT(pq.detail(), Catch::Contains("100 dimensions"));
    CHECK(std::string(ParseError("IVF100,PQ16", 8).sqlstate()) == "22023");  // m > dim
    // Unknown dimension (reloption time): the dimension checks wait for CREATE INDEX.
    CHECK(ParseFactory("IVF100,PQ16", 0, Metric::L2).pq_m == 16);

    jade::JadeError big = ParseError("Flat", kMaxDim + 1);
    CHECK(std::string(big.sqlstate()) == "54000");
    CHECK_THAT(std::string(big.what()), Catch::Contains("16000"));
    CHECK(ParseFactory("HNSW16", kMaxDim, Metric::L2).dim == kMaxDim);
    CHECK(std::string(ParseError("IVF65536,Flat", 8000).sqlstate()) == "54000");  // 2 GB of centroids

    for (const char* ok : {"Flat", "HNSW16", "HNSW16,Flat"}) CHECK_NOTHROW(ParseFactory(ok, 32, Metric::L1));
    for (const char* bad : {"IVF16,Flat", "IVF16,SQ8", "IVF16,PQ8", "HNSW16,SQ8"}) {
        INFO(bad);
        jade::JadeError e = ParseError(bad, 32, Metric::L1);
        CHECK(std::string(e.sqlstate()) == "0A000");
        CHECK_THAT(std::string(e.what()), Catch::Contains("l1 distance is not supported"));
    }
    for (Metric m : {Metric::L2, Metric::InnerProduct, Metric::Cosine})
        for (const char* ok : {"Flat", "IVF16,Flat", "IVF16,SQ8", "IVF16,PQ8", "HNSW16", "HNSW16,SQ8"})
            CHECK_NOTHROW(ParseFactory(ok, 32, m));
}

TEST_CASE("factory: training row minimum and the small-table fallback", "[faiss][factory]") {
    CHECK(MinTrainingRows(ParseFactory("Flat", 8, Metric::L2)) == 0);
    CHECK(MinTrainingRows(ParseFactory("HNSW8", 8, Metric::L2)) == 0);
    CHECK(MinTrainingRows(ParseFactory("HNSW8,SQ8", 8, Metric::L2)) == 1);
    CHECK(MinTrainingRows(ParseFactory("IVF100,Flat", 8, Metric::L2)) == 100);
    CHECK(MinTrainingRows(ParseFactory("IVF100,PQ4", 8, Metric::L2)) == 256);
    CHECK(MinTrainingRows(ParseFactory("IVF1000,PQ4x4", 8, Metric::L2)) == 1000);

    FactorySpec s = ShrinkNlistForRows(ParseFactory("IVF100,SQ8", 8, Metric::L2), 37);
    CHECK(s.nlist == 37);
    CHECK(s.canonical == "IVF37,SQ8");
    CHECK(s.faiss_key == "IVF37,SQ8");
    CHECK(ShrinkNlistForRows(ParseFactory("IVF100,Flat", 8, Metric::L2), 0).nlist == 1);
    CHECK(ShrinkNlistForRows(ParseFactory("IVF100,Flat", 8, Metric::L2), 500).nlist == 100);
    CHECK(ShrinkNlistForRows(ParseFactory("IVF1000,PQ4", 8, Metric::L2), 300).faiss_key == "IVF300,PQ4np");
    try {
        ShrinkNlistForRows(ParseFactory("IVF100,PQ4", 8, Metric::L2), 200);
        FAIL("PQ with 200 rows accepted");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "22023");
        CHECK_THAT(std::string(e.what()), Catch::Contains("at least 256 rows"));
    }
}

TEST_CASE("factory: default factory by table size", "[faiss][factory]") {
    CHECK(DefaultFactory(0, 128, Metric::L2) == "Flat");
    CHECK(DefaultFactory(49999, 128, Metric::L2) == "Flat");
    CHECK(DefaultFactory(50000, 128, Metric::L2) == "IVF50,Flat");
    CHECK(DefaultFactory(1000000, 128, Metric::Cosine) == "IVF1000,Flat");
    CHECK(DefaultFactory(100000000, 128, Metric::L2) == "IVF10000,Flat");
    CHECK(DefaultFactory(10000000, 128, Metric::L1) == "Flat");
    // Always within the limits it is checked against.
    for (int64_t rows : {int64_t{1}, int64_t{60000}, int64_t{5000000}, int64_t{1} << 40})
        for (int dim : {1, 128, 3072, kMaxDim}) CHECK_NOTHROW(ParseFactory(DefaultFactory(rows, dim, Metric::L2), dim, Metric::L2));
}

TEST_CASE("factory: pgvector option mapping", "[faiss][factory]") {
    FactorySpec h = FromHnswOptions(16, 64, 128, Metric::L2);
    CHECK(h.canonical == "HNSW16,Flat");
    CHECK(FromIvfflatOptions(100, 128, Metric::Cosine).canonical == "IVF100,Flat");
    CHECK_THROWS_WITH(FromHnswOptions(1, 64, 128, Metric::L2), Catch::Contains("m must be between 2 and 100"));
    CHECK_THROWS_WITH(FromHnswOptions(101, 1000, 128, Metric::L2), Catch::Contains("m must be between 2 and 100"));
    CHECK_THROWS_WITH(FromHnswOptions(16, 3, 128, Metric::L2), Catch::Contains("ef_construction must be between"));
    CHECK_THROWS_WITH(FromHnswOptions(16, 31, 128, Metric::L2), Catch::Contains("greater than or equal to 2 * m"));
    CHECK_THROWS_WITH(FromIvfflatOptions(0, 128, Metric::L2), Catch::Contains("lists must be between 1 and 32768"));
    CHECK_THROWS_WITH(FromIvfflatOptions(32769, 128, Metric::L2), Catch::Contains("lists must be between 1 and 32768"));
    CHECK_THROWS_WITH(FromIvfflatOptions(10, 128, Metric::L1), Catch::Contains("l1 distance is not supported"));
}

TEST_CASE("metric: conversions, operator distances and preparation", "[faiss][metric]") {
    CHECK(ToOrderDistance(Metric::L2, 9.0f) == Approx(3.0));
    CHECK(ToOrderDistance(Metric::L2, -1e-7f) == 0.0);
    CHECK(ToOrderDistance(Metric::InnerProduct, 2.5f) == Approx(-2.5));
    CHECK(ToOrderDistance(Metric::Cosine, 0.25f) == Approx(0.75));
    CHECK(ToOrderDistance(Metric::L1, 4.0f) == Approx(4.0));
    const float a[3] = {1, 2, 2}, b[3] = {0, 0, 0}, c[3] = {2, 4, 4};
    CHECK(OperatorDistance(Metric::L2, a, b, 3) == Approx(3.0));
    CHECK(OperatorDistance(Metric::InnerProduct, a, c, 3) == Approx(-18.0));
    CHECK(OperatorDistance(Metric::Cosine, a, c, 3) == Approx(0.0).margin(1e-6));
    CHECK(OperatorDistance(Metric::L1, a, b, 3) == Approx(5.0));
    CHECK(std::isnan(OperatorDistance(Metric::Cosine, a, b, 3)));
    float out[3];
    REQUIRE(PrepareVector(Metric::Cosine, a, 3, out));
    CHECK(out[0] == Approx(1.0 / 3));
    CHECK(out[2] == Approx(2.0 / 3));
    CHECK_FALSE(PrepareVector(Metric::Cosine, b, 3, out));
    REQUIRE(PrepareVector(Metric::L2, a, 3, out));
    CHECK(out[1] == 2.0f);
    CHECK(IsValidMetric(1));
    CHECK(IsValidMetric(4));
    CHECK(IsValidMetric(6));
    CHECK_FALSE(IsValidMetric(0));
    CHECK_FALSE(IsValidMetric(7));
    CHECK(std::string(MetricName(Metric::Hamming)) == "hamming");
    CHECK(IsBitMetric(Metric::Jaccard));
    CHECK_FALSE(IsBitMetric(Metric::L1));
    const uint8_t x[2] = {0xF0, 0x80}, y[2] = {0x0F, 0x80};
    CHECK(BitOperatorDistance(Metric::Hamming, x, y, 9) == 8.0);
    CHECK(BitOperatorDistance(Metric::Jaccard, x, y, 9) == Approx(1.0 - 1.0 / 9.0));
    CHECK(std::string(MetricName(Metric::InnerProduct)) == "inner product");
}

TEST_CASE("tid: encoding round trip", "[faiss][tid]") {
    static_assert(EncodeTid(0, 1) == 1);
    static_assert(EncodeTid(1, 0) == 65536);
    for (uint32_t block : {0u, 1u, 12345u, 0xFFFFFFFEu, 0xFFFFFFFFu})
        for (uint16_t off : {uint16_t{1}, uint16_t{291}, uint16_t{0xFFFF}}) {
            int64_t id = EncodeTid(block, off);
            CHECK(id >= 0);
            CHECK(IsTidId(id));
            CHECK(TidBlock(id) == block);
            CHECK(TidOffset(id) == off);
        }
    CHECK_FALSE(IsTidId(kNoId));
    CHECK_FALSE(IsTidId(EncodeTid(5, 0)));
}

TEST_CASE("faiss messages are trimmed for users", "[faiss][errors]") {
    CHECK(TrimFaissMessage("Error in virtual void faiss::Clustering::train_encoded(idx_t, const uint8_t*, const "
                           "faiss::Index*, faiss::Index&, const float*) at /build/faiss/Clustering.cpp:275: Error: "
                           "'nx >= k' failed: Number of training points (10) should be at least as large as number "
                           "of clusters (100)\n") ==
          "'nx >= k' failed: Number of training points (10) should be at least as large as number of clusters (100)");
    CHECK(TrimFaissMessage("Error in faiss::Index* faiss::read_index(IOReader*, int) at faiss/impl/index_read.cpp:1005: "
                           "Index type 0x78787878 (\"xxxx\") not recognized") ==
          "Index type 0x78787878 (\"xxxx\") not recognized");
    CHECK(TrimFaissMessage("plain message") == "plain message");
}

TEST_CASE("factory: half-precision IVF codes and bit metrics", "[faiss][factory]") {
    FactorySpec fp16 = ParseFactory("IVF10, SQfp16", 64, Metric::L2);
    CHECK(fp16.family == Family::IvfSqFp16);
    CHECK(fp16.canonical == "IVF10,SQfp16");
    CHECK(fp16.faiss_key == "IVF10,SQfp16");
    CHECK(fp16.IsIvf());
    CHECK(fp16.IsLossy());
    CHECK(CodeSize(fp16) == 128);
    CHECK(MinTrainingRows(fp16) == 10);
    // bit strings: packed codes, Flat or IVF,Flat for Hamming, Flat only for Jaccard
    FactorySpec bits = ParseFactory("IVF8,Flat", 64000, Metric::Hamming);
    CHECK(bits.IsBinaryIvf());
    CHECK(CodeSize(bits) == 8000);
    CHECK(CodeSize(ParseFactory("Flat", 3, Metric::Jaccard)) == 1);
    CHECK(std::string(ParseError("IVF8,SQ8", 64, Metric::Hamming).sqlstate()) == "0A000");
    CHECK(std::string(ParseError("IVF8,SQfp16", 64, Metric::Hamming).sqlstate()) == "0A000");
    CHECK(std::string(ParseError("HNSW16", 64, Metric::Hamming).sqlstate()) == "0A000");
    CHECK(std::string(ParseError("IVF8,Flat", 64, Metric::Jaccard).sqlstate()) == "0A000");
    CHECK(std::string(ParseError("Flat", 64001, Metric::Hamming).sqlstate()) == "54000");
    CHECK(std::string(ParseError("Flat", 16001, Metric::L2).sqlstate()) == "54000");
    CHECK(DefaultFactory(1000000, 64, Metric::Jaccard) == "Flat");
    CHECK(DefaultFactory(100000, 64, Metric::Hamming) == "IVF100,Flat");
}
