// Unit tests for faiss/byte_stream.h: engine objects stream to and from page-sized pieces
// (as the AM's blob pages hold them) with the same bytes as the contiguous form, stop at their
// own end, and let a caller's error (a PostgreSQL ERROR turned into an exception) propagate.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "common/error.h"
#include "faiss/byte_stream.h"
#include "faiss/hnsw_graph.h"
#include "faiss/ivf_codec.h"
#include "test_faiss_util.h"

using namespace jade::ext::engine;
using namespace jade::ext::engine::testing;

namespace {

// Pages of a fixed payload size, like a chain of blob pages.
struct PageSink : ByteSink {
    size_t page_bytes;
    std::vector<std::vector<uint8_t>> pages;
    explicit PageSink(size_t pb) : page_bytes(pb) {}
    void Write(const void* data, size_t n) override {
        const auto* b = static_cast<const uint8_t*>(data);
        while (n > 0) {
            if (pages.empty() || pages.back().size() == page_bytes) pages.emplace_back();
            size_t m = std::min(n, page_bytes - pages.back().size());
            pages.back().insert(pages.back().end(), b, b + m);
            b += m;
            n -= m;
        }
    }
};

// Reads the pages back, one page per Read call at most; optionally fails at a page.
struct PageSource : ByteSource {
    const std::vector<std::vector<uint8_t>>* pages;
    size_t page = 0, off = 0;
    uint64_t left = 0;
    size_t fail_at_page = SIZE_MAX;
    explicit PageSource(const std::vector<std::vector<uint8_t>>* p) : pages(p) {
        for (const auto& pg : *p) left += pg.size();
    }
    size_t Read(void* dst, size_t n) override {
        size_t done = 0;
        auto* out = static_cast<uint8_t*>(dst);
        while (done < n && page < pages->size()) {
            if (page == fail_at_page) throw std::runtime_error("could not read block");
            const auto& pg = (*pages)[page];
            size_t m = std::min(n - done, pg.size() - off);
            std::memcpy(out + done, pg.data() + off, m);
            done += m;
            off += m;
            if (off == pg.size()) {
                page++;
                off = 0;
            }
        }
        left -= done;
        return done;
    }
    uint64_t Remaining() const override { return left; }
};

std::vector<uint8_t> Concat(const std::vector<std::vector<uint8_t>>& pages) {
    std::vector<uint8_t> all;
    for (const auto& p : pages) all.insert(all.end(), p.begin(), p.end());
    return all;
}

}  // namespace

TEST_CASE("stream: HNSW graph through 8 KB pages", "[faiss][stream]") {
    const int dim = 16;
    const int64_t n = 1000;
    std::vector<float> x = Clustered(n, dim, 10, 401);
    std::vector<int64_t> labels(n);
    for (int64_t i = 0; i < n; i++) labels[i] = 7 * i + 1;
    auto g = HnswGraph::Build(ParseFactory("HNSW8", dim, Metric::L2), 32, x.data(), labels.data(), n, 1);
    g->MarkDeleted([](int64_t l, void*) { return l % 5 == 1; }, nullptr);
    PageSink sink(8152);
    g->Serialize(&sink);
    CHECK(sink.pages.size() > 1);
    std::vector<uint8_t> all = Concat(sink.pages);
    CHECK(all == g->Serialize());
    // Extra bytes after the graph (the rest of a page chain) are left unread.
    sink.pages.push_back(std::vector<uint8_t>(100, 0xAB));
    PageSource src(&sink.pages);
    auto back = HnswGraph::Deserialize(&src);
    CHECK(src.Remaining() == 100);
    CHECK(back->Serialize() == all);
    CHECK(back->deleted_count() == g->deleted_count());
    // The caller's failure propagates unchanged (the AM maps it back to its ERROR).
    PageSource failing(&sink.pages);
    failing.fail_at_page = 1;
    CHECK_THROWS_WITH(HnswGraph::Deserialize(&failing), "could not read block");
    // A chain cut short is damage.
    std::vector<std::vector<uint8_t>> cut(sink.pages.begin(), sink.pages.begin() + 1);
    PageSource short_src(&cut);
    try {
        HnswGraph::Deserialize(&short_src);
        FAIL("truncated graph accepted");
    } catch (const jade::JadeError& e) {
        CHECK(std::string(e.sqlstate()) == "XX002");
    }
}

TEST_CASE("stream: IVF codec through small pages", "[faiss][stream]") {
    const int dim = 8;
    std::vector<float> x = Clustered(600, dim, 6, 411);
    auto codec = IvfCodec::Train(ParseFactory("IVF8,PQ4", dim, Metric::Cosine), x.data(), 600, 1);
    PageSink sink(100);
    codec->Serialize(&sink);
    CHECK(Concat(sink.pages) == codec->Serialize());
    PageSource src(&sink.pages);
    auto back = IvfCodec::Deserialize(&src);
    CHECK(src.Remaining() == 0);
    CHECK(back->Serialize() == codec->Serialize());
    CHECK(back->metric() == Metric::Cosine);
}

TEST_CASE("stream: random byte damage never crashes a load or a search", "[faiss][stream][errors]") {
    // Deterministic single-byte corruptions anywhere in the serialized form: each load must be
    // rejected (JadeError, or bad_alloc for a length FAISS tries to allocate) or give an object
    // whose searches work.
    const int dim = 8;
    const int64_t n = 200;
    std::vector<float> x = Clustered(300, dim, 4, 421);  // PQ2 needs 256 training rows
    std::vector<int64_t> labels(n);
    for (int64_t i = 0; i < n; i++) labels[i] = 10 + i;
    auto g = HnswGraph::Build(ParseFactory("HNSW4", dim, Metric::L2), 16, x.data(), labels.data(), n, 1);
    auto codec = IvfCodec::Train(ParseFactory("IVF4,PQ2", dim, Metric::L2), x.data(), 300, 1);
    std::vector<uint8_t> graph_bytes = g->Serialize();
    std::vector<uint8_t> codec_bytes = codec->Serialize();
    std::mt19937 rng(5);
    int rejected = 0, accepted = 0;
    for (int iter = 0; iter < 300; iter++) {
        bool is_graph = iter % 2 == 0;
        std::vector<uint8_t> b = is_graph ? graph_bytes : codec_bytes;
        size_t pos = std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng);
        b[pos] ^= static_cast<uint8_t>(std::uniform_int_distribution<int>(1, 255)(rng));
        try {
            if (is_graph) {
                auto h = HnswGraph::Deserialize(b.data(), b.size());
                std::vector<float> d(5);
                std::vector<int64_t> l(5);
                int64_t found = h->Search(x.data(), 5, 16, d.data(), l.data());
                // A damaged label is undetectable data damage, but never a negative id.
                for (int64_t j = 0; j < found; j++) CHECK(l[j] >= 0);
            } else {
                auto c = IvfCodec::Deserialize(b.data(), b.size());
                std::vector<int64_t> lists(4);
                std::vector<float> coarse(4);
                c->NearestLists(x.data(), 4, lists.data(), coarse.data());
                auto sc = c->NewScanner(x.data());
                sc->SetList(lists[0], coarse[0]);
                std::vector<uint8_t> code(c->code_size(), 0);
                float out;
                sc->Score(1, code.data(), &out);
            }
            accepted++;
        } catch (const jade::JadeError&) {
            rejected++;
        } catch (const std::bad_alloc&) {
            rejected++;
        }
    }
    CHECK(rejected > 0);
    CHECK(accepted > 0);  // damage inside vector data is undetectable and harmless
}
