// Unit tests for faiss/ivf_codec.h: the page-backed inverted lists. Lists are simulated as
// chains of "pages" (chunks of codes + ids, as index/ stores them); scanning them with the
// engine's scanner must give exactly IndexIVF::search's answer for Flat, SQ8 and PQ. Also:
// serialization, recall on clustered data, validation errors and interrupts.
#include <catch2/catch.hpp>

#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cmath>
#include <memory>
#include <vector>

#include "common/error.h"
#include "faiss/ivf_codec.h"
#include "faiss/tid.h"
#include "test_faiss_util.h"

using namespace jade::ext::engine;
using namespace jade::ext::engine::testing;

namespace {

// Index entries grouped like the AM's pages: per list, pages of at most `per_page` entries.
struct PagedLists {
    struct Page {
        std::vector<uint8_t> codes;
        std::vector<int64_t> ids;
    };
    std::vector<std::vector<Page>> lists;
};

// Encodes x with the codec and lays the entries out in pages of per_page entries.
PagedLists BuildPages(const IvfCodec& codec, const std::vector<float>& x, const std::vector<int64_t>& ids,
                      size_t per_page) {
    int64_t n = static_cast<int64_t>(ids.size());
    std::vector<int64_t> assign(n);
    std::vector<uint8_t> codes(n * codec.code_size());
    codec.AssignEncode(n, x.data(), assign.data(), codes.data());
    PagedLists p;
    p.lists.resize(codec.nlist());
    for (int64_t i = 0; i < n; i++) {
        REQUIRE(assign[i] >= 0);
        REQUIRE(assign[i] < codec.nlist());
        auto& pages = p.lists[assign[i]];
        if (pages.empty() || pages.back().ids.size() == per_page) pages.emplace_back();
        pages.back().ids.push_back(ids[i]);
        pages.back().codes.insert(pages.back().codes.end(), codes.begin() + i * codec.code_size(),
                                  codes.begin() + (i + 1) * codec.code_size());
    }
    return p;
}

// Searches the paged lists the way the AM does: nearest lists, then page by page.
int64_t SearchPaged(const IvfCodec& codec, const PagedLists& p, const float* q, int64_t nprobe, int64_t k,
                    std::vector<float>* dis, std::vector<int64_t>* ids) {
    std::vector<int64_t> lists(nprobe);
    std::vector<float> coarse(nprobe);
    codec.NearestLists(q, nprobe, lists.data(), coarse.data());
    auto sc = codec.NewScanner(q);
    dis->assign(k, 0.0f);
    ids->assign(k, 0);
    TopKHeap heap{k, dis->data(), ids->data()};
    sc->InitHeap(&heap);
    for (int64_t j = 0; j < nprobe; j++) {
        if (lists[j] < 0) continue;
        sc->SetList(lists[j], coarse[j]);
        for (const auto& page : p.lists[lists[j]]) sc->ScanCodes(page.ids.size(), page.codes.data(), page.ids.data(), &heap);
    }
    return sc->FinishHeap(&heap);
}

// The same search through Score (what the AM does): every probed entry scored, best k kept.
std::vector<std::pair<float, int64_t>> SearchPagedScore(const IvfCodec& codec, const PagedLists& p, const float* q,
                                                        int64_t nprobe, int64_t k) {
    std::vector<int64_t> lists(nprobe);
    std::vector<float> coarse(nprobe);
    codec.NearestLists(q, nprobe, lists.data(), coarse.data());
    auto sc = codec.NewScanner(q);
    std::vector<std::pair<float, int64_t>> all;
    for (int64_t j = 0; j < nprobe; j++) {
        sc->SetList(lists[j], coarse[j]);
        for (const auto& page : p.lists[lists[j]]) {
            std::vector<float> d(page.ids.size());
            sc->Score(page.ids.size(), page.codes.data(), d.data());
            for (size_t i = 0; i < d.size(); i++) all.push_back({d[i], page.ids[i]});
        }
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    all.resize(std::min<size_t>(all.size(), static_cast<size_t>(k)));
    return all;
}

// The reference: the same trained FAISS index, filled by FAISS itself, searched by FAISS.
std::unique_ptr<faiss::IndexIVF> ReferenceIndex(const IvfCodec& codec, const std::vector<float>& x_prepared,
                                                const std::vector<int64_t>& ids) {
    faiss::VectorIOReader r;
    r.data = codec.ExportFaissIndex();
    std::unique_ptr<faiss::IndexIVF> ivf(dynamic_cast<faiss::IndexIVF*>(faiss::read_index(&r)));
    REQUIRE(ivf != nullptr);
    REQUIRE(ivf->ntotal == 0);
    if (auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(ivf.get())) {
        // Same arithmetic as the engine's scanner (no precomputed tables, see ivf_codec.cpp).
        pq->use_precomputed_table = -1;
        pq->precomputed_table.resize(0);
    }
    ivf->add_with_ids(static_cast<int64_t>(ids.size()), x_prepared.data(), ids.data());
    return ivf;
}

// Normalizes rows for cosine (what the engine does internally), for feeding FAISS directly.
std::vector<float> PreparedRows(Metric metric, const std::vector<float>& x, int dim) {
    std::vector<float> out(x.size());
    for (size_t i = 0; i < x.size() / dim; i++) REQUIRE(PrepareVector(metric, x.data() + i * dim, dim, out.data() + i * dim));
    return out;
}

}  // namespace

TEST_CASE("ivf: paged scan equals IndexIVF::search for Flat, SQ8 and PQ", "[faiss][ivf]") {
    const int dim = 32;
    const int64_t n = 2000, nq = 12, k = 10;
    std::vector<float> x = Clustered(n, dim, 24, 7);
    std::vector<float> queries = Clustered(nq, dim, 24, 8);
    std::vector<int64_t> ids(n);
    for (int64_t i = 0; i < n; i++) ids[i] = EncodeTid(static_cast<uint32_t>(i / 50), static_cast<uint16_t>(i % 50 + 1));
    for (const char* factory : {"IVF16,Flat", "IVF16,SQ8", "IVF16,PQ8", "IVF16,PQ16x4"}) {
        for (Metric metric : {Metric::L2, Metric::InnerProduct, Metric::Cosine}) {
            INFO(factory << " metric " << MetricName(metric));
            FactorySpec spec = ParseFactory(factory, dim, metric);
            auto codec = IvfCodec::Train(spec, x.data(), n, 1);
            REQUIRE(codec->nlist() == 16);
            REQUIRE(static_cast<int64_t>(codec->code_size()) == CodeSize(spec));
            PagedLists pages = BuildPages(*codec, x, ids, 37);
            std::vector<float> xp = PreparedRows(metric, x, dim);
            auto ref = ReferenceIndex(*codec, xp, ids);
            for (int64_t nprobe : {int64_t{1}, int64_t{5}, int64_t{16}}) {
                ref->nprobe = static_cast<size_t>(nprobe);
                for (int64_t qi = 0; qi < nq; qi++) {
                    const float* q = queries.data() + qi * dim;
                    std::vector<float> dis;
                    std::vector<int64_t> got;
                    int64_t filled = SearchPaged(*codec, pages, q, nprobe, k, &dis, &got);
                    std::vector<float> qp(dim);
                    REQUIRE(PrepareVector(metric, q, dim, qp.data()));
                    std::vector<float> rd(k);
                    std::vector<int64_t> ri(k);
                    ref->search(1, qp.data(), k, rd.data(), ri.data());
                    CHECK(filled == k);
                    for (int64_t j = 0; j < k; j++) {
                        CHECK(got[j] == ri[j]);
                        CHECK(dis[j] == Approx(ToOrderDistance(metric, rd[j])).margin(1e-5));
                    }
                    // Score gives the same distances (ids may differ only between exact ties).
                    auto scored = SearchPagedScore(*codec, pages, q, nprobe, k);
                    REQUIRE(static_cast<int64_t>(scored.size()) == k);
                    for (int64_t j = 0; j < k; j++) {
                        CHECK(scored[j].first == Approx(dis[j]).margin(1e-5));
                        if (scored[j].second != got[j]) CHECK(scored[j].first == Approx(dis[j]).margin(1e-6));
                    }
                }
            }
        }
    }
}

TEST_CASE("ivf: Score gives the same order distances as the heap scan", "[faiss][ivf]") {
    const int dim = 16;
    std::vector<float> x = Clustered(1000, dim, 10, 11);
    auto codec = IvfCodec::Train(ParseFactory("IVF8,SQ8", dim, Metric::L2), x.data(), 1000, 1);
    std::vector<int64_t> lists(1000);
    std::vector<uint8_t> codes(1000 * codec->code_size());
    codec->AssignEncode(1000, x.data(), lists.data(), codes.data());
    auto sc = codec->NewScanner(x.data());
    int64_t list = lists[0];
    sc->SetList(list, 0.0f);
    std::vector<uint8_t> in_list;
    std::vector<int64_t> in_ids;
    for (int64_t i = 0; i < 1000; i++)
        if (lists[i] == list) {
            in_list.insert(in_list.end(), codes.begin() + i * codec->code_size(), codes.begin() + (i + 1) * codec->code_size());
            in_ids.push_back(i);
        }
    std::vector<float> scores(in_ids.size());
    sc->Score(in_ids.size(), in_list.data(), scores.data());
    // SQ8 is by residual: coarse distance 0 is fine for L2 (it does not enter L2 residual scores).
    std::vector<float> hd(5);
    std::vector<int64_t> hi(5);
    TopKHeap heap{5, hd.data(), hi.data()};
    sc->InitHeap(&heap);
    sc->ScanCodes(in_ids.size(), in_list.data(), in_ids.data(), &heap);
    REQUIRE(sc->FinishHeap(&heap) == 5);
    std::vector<float> sorted = scores;
    std::sort(sorted.begin(), sorted.end());
    for (int j = 0; j < 5; j++) CHECK(hd[j] == Approx(sorted[j]).margin(1e-5));
    // The vector itself is (nearly) its own nearest neighbour: SQ8 error is small.
    CHECK(hd[0] < 0.1f);
    CHECK(hi[0] == 0);
}

TEST_CASE("ivf: recall on 5k clustered vectors with exact re-rank", "[faiss][ivf]") {
    const int dim = 32;
    const int64_t n = 5000, nq = 30, k = 10;
    std::vector<float> x = Clustered(n, dim, 50, 21);
    std::vector<float> queries = Clustered(nq, dim, 50, 22);
    std::vector<int64_t> ids(n);
    for (int64_t i = 0; i < n; i++) ids[i] = i;
    struct Case {
        const char* factory;
        int64_t nprobe;
        double min_recall;
        int64_t rerank;  // candidates fetched for exact re-rank (k = no re-rank)
    };
    const Case cases[] = {
        {"IVF64,Flat", 64, 1.0, 10},  // every list probed: exact
        {"IVF64,Flat", 8, 0.90, 10},
        {"IVF64,SQ8", 8, 0.90, 40},
        {"IVF64,PQ8", 8, 0.85, 100},
    };
    for (const Case& c : cases) {
        for (Metric metric : {Metric::L2, Metric::Cosine}) {
            INFO(c.factory << " nprobe " << c.nprobe << " metric " << MetricName(metric));
            auto codec = IvfCodec::Train(ParseFactory(c.factory, dim, metric), x.data(), n, 1);
            PagedLists pages = BuildPages(*codec, x, ids, 100);
            double recall = 0;
            for (int64_t qi = 0; qi < nq; qi++) {
                const float* q = queries.data() + qi * dim;
                std::vector<float> dis;
                std::vector<int64_t> cand;
                int64_t m = SearchPaged(*codec, pages, q, c.nprobe, c.rerank, &dis, &cand);
                // Exact re-rank of the candidates with the SQL operator distance.
                std::vector<std::pair<double, int64_t>> exact;
                for (int64_t j = 0; j < m; j++)
                    exact.push_back({OperatorDistance(metric, q, x.data() + cand[j] * dim, dim), cand[j]});
                std::sort(exact.begin(), exact.end());
                std::vector<int64_t> top;
                for (int64_t j = 0; j < std::min<int64_t>(k, m); j++) top.push_back(exact[j].second);
                recall += Recall(ExactKnn(metric, x, dim, q, k), top.data(), static_cast<int64_t>(top.size()));
            }
            recall /= nq;
            CHECK(recall >= c.min_recall);
        }
    }
}

TEST_CASE("ivf: serialization round trip gives identical codes and results", "[faiss][ivf]") {
    const int dim = 24;
    std::vector<float> x = Clustered(2000, dim, 16, 31);
    for (const char* factory : {"IVF16,Flat", "IVF16,SQ8", "IVF16,PQ6"}) {
        INFO(factory);
        auto a = IvfCodec::Train(ParseFactory(factory, dim, Metric::InnerProduct), x.data(), 2000, 1);
        std::vector<uint8_t> bytes = a->Serialize();
        auto b = IvfCodec::Deserialize(bytes.data(), bytes.size());
        CHECK(b->spec().canonical == a->spec().canonical);
        CHECK(b->metric() == Metric::InnerProduct);
        CHECK(b->dim() == dim);
        CHECK(b->Serialize() == bytes);
        CHECK(b->MemoryBytes() >= static_cast<size_t>(16 * dim * 4));
        std::vector<int64_t> la(200), lb(200);
        std::vector<uint8_t> ca(200 * a->code_size()), cb(200 * b->code_size());
        a->AssignEncode(200, x.data(), la.data(), ca.data());
        b->AssignEncode(200, x.data(), lb.data(), cb.data());
        CHECK(la == lb);
        CHECK(ca == cb);
        // Decoding gives vectors near the originals (exactly for Flat).
        std::vector<float> dec(dim);
        b->Decode(1, cb.data(), lb[0], dec.data());
        double err = 0;
        for (int j = 0; j < dim; j++) err += std::fabs(dec[j] - x[j]);
        CHECK(err / dim < (std::string(factory) == "IVF16,Flat" ? 1e-6 : 0.5));
    }
}

TEST_CASE("ivf: damaged or foreign bytes are rejected with XX002", "[faiss][ivf][errors]") {
    const int dim = 8;
    std::vector<float> x = Clustered(500, dim, 8, 41);
    auto codec = IvfCodec::Train(ParseFactory("IVF8,PQ4", dim, Metric::L2), x.data(), 500, 1);
    std::vector<uint8_t> good = codec->Serialize();
    auto expect_corrupt = [](const std::vector<uint8_t>& b) {
        try {
            IvfCodec::Deserialize(b.data(), b.size());
            FAIL("damaged codec accepted");
        } catch (const jade::JadeError& e) {
            CHECK(std::string(e.sqlstate()) == "XX002");
            CHECK_THAT(std::string(e.what()), Catch::Contains("stored IVF codec is damaged"));
        }
    };
    expect_corrupt({});
    for (size_t cut : {size_t{3}, size_t{20}, good.size() / 2, good.size() - 1})
        expect_corrupt(std::vector<uint8_t>(good.begin(), good.begin() + cut));
    std::vector<uint8_t> b = good;
    b[0] ^= 0xFF;  // magic
    expect_corrupt(b);
    b = good;
    b[4] = 99;  // version
    expect_corrupt(b);
    b = good;
    b.push_back(0);  // trailing byte
    expect_corrupt(b);
    // A valid envelope around a FAISS payload FAISS cannot read (its fourcc altered): FAISS's
    // own exception must come back as XX002.
    b = good;
    size_t payload = 4 * 6 + codec->spec().canonical.size() + 8;
    REQUIRE(std::string(reinterpret_cast<const char*>(b.data()) + payload, 2) == "Iw");
    b[payload] = 'X';
    try {
        IvfCodec::Deserialize(b.data(), b.size());
        FAIL("unreadable FAISS payload accepted");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "XX002");
        CHECK_THAT(std::string(e.what()), Catch::Contains("FAISS cannot read it"));
        CHECK_THAT(std::string(e.what()), !Catch::Contains(".cpp:"));
    }
    b = good;
    b[b.size() - 40] ^= 0x5A;  // inside the FAISS payload: must not crash, may still parse
    try {
        IvfCodec::Deserialize(b.data(), b.size());
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "XX002");
    }
}

TEST_CASE("ivf: bad input is a JadeError, never an abort", "[faiss][ivf][errors]") {
    const int dim = 8;
    std::vector<float> x = Clustered(300, dim, 4, 51);
    FactorySpec spec = ParseFactory("IVF100,Flat", dim, Metric::L2);
    try {
        IvfCodec::Train(spec, x.data(), 50, 1);
        FAIL("trained 100 lists on 50 rows");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "22023");
        CHECK_THAT(std::string(e.what()), Catch::Contains("needs at least 100 training rows, but only 50"));
    }
    CHECK_THROWS_WITH(IvfCodec::Train(ParseFactory("IVF4,PQ2", dim, Metric::L2), x.data(), 200, 1),
                      Catch::Contains("needs at least 256 training rows"));
    // The documented fallback trains fine.
    auto small = IvfCodec::Train(ShrinkNlistForRows(spec, 50), x.data(), 50, 1);
    CHECK(small->nlist() == 50);
    CHECK_THROWS_AS(IvfCodec::Train(ParseFactory("HNSW8", dim, Metric::L2), x.data(), 300, 1), jade::JadeError);

    auto codec = IvfCodec::Train(ParseFactory("IVF8,Flat", dim, Metric::Cosine), x.data(), 300, 1);
    std::vector<int64_t> lists(8);
    std::vector<float> coarse(8);
    CHECK_THROWS_WITH(codec->NearestLists(x.data(), 0, lists.data(), coarse.data()),
                      Catch::Contains("nprobe must be between 1 and 8, not 0"));
    CHECK_THROWS_WITH(codec->NearestLists(x.data(), 9, lists.data(), coarse.data()), Catch::Contains("not 9"));
    std::vector<float> zero(dim, 0.0f);
    CHECK_THROWS_WITH(codec->NewScanner(zero.data()), Catch::Contains("zero vector"));
    int64_t l;
    std::vector<uint8_t> code(codec->code_size());
    try {
        codec->AssignEncode(1, zero.data(), &l, code.data());
        FAIL("zero vector encoded under cosine");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "22023");
    }
    auto sc = codec->NewScanner(x.data());
    float d;
    CHECK_THROWS_WITH(sc->Score(1, code.data(), &d), Catch::Contains("before SetList"));
    CHECK_THROWS_AS(sc->SetList(8, 0.0f), jade::JadeError);
    CHECK_THROWS_AS(sc->SetList(-1, 0.0f), jade::JadeError);
}

TEST_CASE("ivf: an interrupt stops training and encoding", "[faiss][ivf][interrupt]") {
    const int dim = 8;
    std::vector<float> x = Clustered(400, dim, 4, 61);
    FactorySpec spec = ParseFactory("IVF4,Flat", dim, Metric::L2);
    {
        ProbeGuard g([] { return true; });
        CHECK_THROWS_AS(IvfCodec::Train(spec, x.data(), 400, 1), jade::Interrupted);
    }
    auto codec = IvfCodec::Train(spec, x.data(), 400, 1);
    std::vector<int64_t> lists(400);
    std::vector<uint8_t> codes(400 * codec->code_size());
    ProbeGuard g([] { return true; });
    CHECK_THROWS_AS(codec->AssignEncode(400, x.data(), lists.data(), codes.data()), jade::Interrupted);
}

TEST_CASE("ivf: PQ codecs keep no precomputed tables (per-backend memory)", "[faiss][ivf]") {
    // IVF64,PQ8 at 32 dims: a precomputed table would be 64 x 8 x 256 floats = 512 KB; the
    // codec itself is 64 centroids + 8 codebooks = 40 KB.
    const int dim = 32;
    std::vector<float> x = Clustered(1000, dim, 8, 71);
    auto a = IvfCodec::Train(ParseFactory("IVF64,PQ8", dim, Metric::L2), x.data(), 1000, 1);
    std::vector<uint8_t> bytes = a->Serialize();
    auto b = IvfCodec::Deserialize(bytes.data(), bytes.size());
    CHECK(a->MemoryBytes() < 100 * 1024);
    CHECK(b->MemoryBytes() < 100 * 1024);
    CHECK(b->MemoryBytes() > (64 + 256) * dim * sizeof(float));
}
