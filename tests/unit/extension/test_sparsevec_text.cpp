// Unit tests for text/sparsevec_text: pgvector's `{i:v,...}/dim` grammar, its error classes, the
// sorting of elements and the printer.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "text/sparsevec_text.h"
#include "text/vector_text.h"

using jade::ext::text::CountSparseElements;
using jade::ext::text::FormatFloatShortest;
using jade::ext::text::FormatSparseVectorText;
using jade::ext::text::ParseSparseVectorText;
using jade::ext::text::SparseParseResult;
using jade::ext::text::SparseParseStatus;

namespace {

struct Parsed {
    SparseParseResult r;
    std::vector<int32_t> idx;
    std::vector<float> val;
};

Parsed Parse(const std::string& text) {
    Parsed p;
    int cap = CountSparseElements(text.c_str());
    p.idx.assign(static_cast<size_t>(cap), -7);
    p.val.assign(static_cast<size_t>(cap), -7);
    p.r = ParseSparseVectorText(text.c_str(), p.idx.data(), p.val.data());
    p.idx.resize(static_cast<size_t>(p.r.nnz));
    p.val.resize(static_cast<size_t>(p.r.nnz));
    return p;
}

std::string Format(const std::vector<int32_t>& idx, const std::vector<float>& val, int32_t dim) {
    std::string out(jade::ext::text::MaxSparseVectorTextSize(idx.size()), '\0');
    size_t n = FormatSparseVectorText(idx.data(), val.data(), static_cast<int>(idx.size()), dim, out.data(),
                                      FormatFloatShortest);
    out.resize(n);
    return out;
}

}  // namespace

TEST_CASE("sparsevec literals parse to sorted 0-based elements", "[sparsevec]") {
    Parsed p = Parse("{1:1.5,3:2}/5");
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    CHECK(p.r.dim == 5);
    CHECK(p.idx == std::vector<int32_t>{0, 2});
    CHECK(p.val == std::vector<float>{1.5f, 2.0f});

    p = Parse("  { 3 : -1 , 1:2 ,2:0 } / 3 ");  // spaces everywhere, unsorted, a zero dropped
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    CHECK(p.idx == std::vector<int32_t>{0, 2});
    CHECK(p.val == std::vector<float>{2.0f, -1.0f});

    p = Parse("{}/3");
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    CHECK(p.r.nnz == 0);
    CHECK(p.r.dim == 3);

    // Bounds and duplicates are the caller's checks: the parser passes them through.
    p = Parse("{0:1,5:2,5:3}/3");
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    CHECK(p.idx == std::vector<int32_t>{-1, 4, 4});

    // A reverse-sorted list of many elements sorts correctly (heap sort path).
    std::string many = "{";
    for (int i = 2000; i >= 1; i--) many += std::to_string(i) + ":" + std::to_string(i) + (i > 1 ? "," : "");
    many += "}/2000";
    p = Parse(many);
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    REQUIRE(p.r.nnz == 2000);
    for (int i = 0; i < 2000; i++) {
        CHECK(p.idx[i] == i);
        CHECK(p.val[i] == static_cast<float>(i + 1));
    }
}

TEST_CASE("sparsevec literal errors map to pgvector's classes", "[sparsevec]") {
    CHECK(Parse("1:1}/3").r.status == SparseParseStatus::kMissingOpenBrace);
    CHECK(Parse("").r.status == SparseParseStatus::kMissingOpenBrace);
    CHECK(Parse("{1:1").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:1}").r.status == SparseParseStatus::kMissingSlash);
    CHECK(Parse("{1:1}/").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:1}/3x").r.status == SparseParseStatus::kJunkAfterDim);
    CHECK(Parse("{1:1}/3/").r.status == SparseParseStatus::kJunkAfterDim);
    CHECK(Parse("{1}/3").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{:1}/3").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:}/3").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:1,}/3").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:1 2:2}/3").r.status == SparseParseStatus::kSyntax);
    CHECK(Parse("{1:nan}/3").r.status == SparseParseStatus::kNaN);
    CHECK(Parse("{1:inf}/3").r.status == SparseParseStatus::kInfinite);
    SparseParseResult r = Parse("{1:1e39}/3").r;
    CHECK(r.status == SparseParseStatus::kOutOfRange);
    CHECK(std::string("{1:1e39}/3").substr(r.token_offset, r.token_length) == "1e39");
    // Unlike vector, underflow is an error for sparsevec (pgvector's rule).
    CHECK(Parse("{1:1e-46}/3").r.status == SparseParseStatus::kOutOfRange);
    // Huge indices and dimensions clamp into int32 (the caller then reports bounds).
    Parsed p = Parse("{1:1}/99999999999");
    REQUIRE(p.r.status == SparseParseStatus::kOk);
    CHECK(p.r.dim == 2147483647);
    CHECK(CountSparseElements("{1:1,2:2,3:3}/3") == 3);
}

TEST_CASE("sparsevec printing is 1-based with shortest floats", "[sparsevec]") {
    CHECK(Format({0, 2}, {1.5f, 2.0f}, 5) == "{1:1.5,3:2}/5");
    CHECK(Format({}, {}, 3) == "{}/3");
    CHECK(Format({999999999}, {-1e-30f}, 1000000000) == "{1000000000:-1e-30}/1000000000");
    Parsed p = Parse(Format({4, 7}, {0.1f, 3e20f}, 9));
    CHECK(p.idx == std::vector<int32_t>{4, 7});
    CHECK(p.val == std::vector<float>{0.1f, 3e20f});
}

TEST_CASE("sparsevec parser survives random input from its alphabet", "[sparsevec][fuzz]") {
    // 200,000 strings of the grammar's characters (and a few others): every one parses to a
    // status, sorted indices when kOk, and the buffer bound holds; no crash, no overrun.
    std::mt19937 rng(99);
    const std::string alphabet = "{}/:,. -+0123456789eEnaifINF\t\x01";
    for (int round = 0; round < 200000; round++) {
        std::string s;
        size_t len = rng() % 24;
        for (size_t i = 0; i < len; i++) s.push_back(alphabet[rng() % alphabet.size()]);
        if (round % 3 == 0) s = "{" + s;
        if (round % 5 == 0) s += "}/" + std::to_string(rng() % 50);
        Parsed p = Parse(s);
        REQUIRE(p.r.nnz <= CountSparseElements(s.c_str()));
        if (p.r.status == SparseParseStatus::kOk) {
            for (size_t i = 1; i < p.idx.size(); i++) REQUIRE(p.idx[i - 1] <= p.idx[i]);
            for (float v : p.val) REQUIRE(v != 0.0f);
        }
    }
}
