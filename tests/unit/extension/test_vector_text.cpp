// Unit tests for text/vector_text: the vector literal grammar (pgvector's), its error classes,
// and the shortest float printer (PostgreSQL's float4 output layout).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "text/vector_text.h"

using jade::ext::text::FormatFloatShortest;
using jade::ext::text::FormatVectorText;
using jade::ext::text::MaxVectorTextSize;
using jade::ext::text::ParseResult;
using jade::ext::text::ParseStatus;
using jade::ext::text::ParseVectorText;

namespace {

// Parses text with the default 16000-element limit.
ParseResult Parse(const std::string& text, std::vector<float>* out, int max_dim = 16000) {
    out->assign(static_cast<size_t>(max_dim), 0.0f);
    ParseResult r = ParseVectorText(text.c_str(), out->data(), max_dim);
    out->resize(static_cast<size_t>(r.dim));
    return r;
}

// Prints one float with FormatFloatShortest.
std::string Shortest(float v) {
    char buf[32];
    size_t n = FormatFloatShortest(v, buf);
    REQUIRE(n <= jade::ext::text::kMaxFloatTextLength);
    return std::string(buf, n);
}

}  // namespace

TEST_CASE("vector text: valid literals", "[vector_text]") {
    std::vector<float> v;
    REQUIRE(Parse("[1,2,3]", &v).status == ParseStatus::kOk);
    CHECK(v == std::vector<float>{1, 2, 3});

    REQUIRE(Parse(" \t[ 1 ,\n2 ,\r3\v]\f ", &v).status == ParseStatus::kOk);
    CHECK(v == std::vector<float>{1, 2, 3});

    REQUIRE(Parse("[-1.5,+2.25,1e3,.5,5.,-0,0x10,1E-2]", &v).status == ParseStatus::kOk);
    CHECK(v == std::vector<float>{-1.5f, 2.25f, 1000.0f, 0.5f, 5.0f, -0.0f, 16.0f, 0.01f});
    CHECK(std::signbit(v[5]));

    // Underflow is accepted (rounds to a subnormal or zero), as float4in does.
    REQUIRE(Parse("[1e-40,1e-50]", &v).status == ParseStatus::kOk);
    CHECK(v[0] > 0.0f);
    CHECK(v[1] == 0.0f);

    // Correct rounding: strtof, never strtod + cast (which can double-round).
    REQUIRE(Parse("[1.00000005960464477539062499]", &v).status == ParseStatus::kOk);
    CHECK(v[0] == 1.0f);
}

TEST_CASE("vector text: every malformed literal is a syntax error of the right class", "[vector_text]") {
    std::vector<float> v;
    for (const char* bad : {"[1,2", "[1,,2]", "[a]", "[1,2]x", "[1,2] ]", "", "   ", "[", "[,]", "[1,]", "[,1]",
                            "[1 2]", "[[1]]", "[1;2]", "[1e]", "[--1]", "[0x]", "[1,2]]", "[1,2,3"}) {
        INFO("input: '" << bad << "'");
        ParseResult r = Parse(bad, &v);
        bool is_syntax = r.status == ParseStatus::kSyntax || r.status == ParseStatus::kJunkAfterBracket ||
                         r.status == ParseStatus::kMissingOpenBracket;
        CHECK(is_syntax);
    }
    CHECK(Parse("1,2]", &v).status == ParseStatus::kMissingOpenBracket);
    CHECK(Parse("{1,2}", &v).status == ParseStatus::kMissingOpenBracket);
    CHECK(Parse("", &v).status == ParseStatus::kMissingOpenBracket);
    CHECK(Parse("[1,2]x", &v).status == ParseStatus::kJunkAfterBracket);
    CHECK(Parse("[1,2]]", &v).status == ParseStatus::kJunkAfterBracket);
    CHECK(Parse("[1,2", &v).status == ParseStatus::kSyntax);
    CHECK(Parse("[]", &v).status == ParseStatus::kNoDimensions);
    CHECK(Parse("[  ]", &v).status == ParseStatus::kNoDimensions);
}

TEST_CASE("vector text: NaN, infinities and out-of-range values", "[vector_text]") {
    std::vector<float> v;
    CHECK(Parse("[NaN]", &v).status == ParseStatus::kNaN);
    CHECK(Parse("[1,-nan]", &v).status == ParseStatus::kNaN);
    CHECK(Parse("[inf]", &v).status == ParseStatus::kInfinite);
    CHECK(Parse("[-Infinity]", &v).status == ParseStatus::kInfinite);

    std::string text = "[1, -3.5e38 ,2]";
    ParseResult r = Parse(text, &v);
    REQUIRE(r.status == ParseStatus::kOutOfRange);
    CHECK(text.substr(r.token_offset, r.token_length) == "-3.5e38");
    CHECK(Parse("[1e400]", &v).status == ParseStatus::kOutOfRange);
}

TEST_CASE("vector text: dimension limit", "[vector_text]") {
    std::vector<float> v;
    std::string at_limit = "[";
    for (int i = 0; i < 16000; i++) at_limit += (i ? ",1" : "1");
    at_limit += "]";
    ParseResult ok = Parse(at_limit, &v);
    REQUIRE(ok.status == ParseStatus::kOk);
    CHECK(ok.dim == 16000);
    CHECK(Parse(at_limit.substr(0, at_limit.size() - 1) + ",1]", &v).status == ParseStatus::kTooManyDimensions);
    CHECK(Parse("[1,2,3]", &v, 2).status == ParseStatus::kTooManyDimensions);
    // The buffer is never written past max_dim.
    std::vector<float> guard(3, -7.0f);
    ParseVectorText("[1,2,3]", guard.data(), 2);
    CHECK(guard[2] == -7.0f);
}

TEST_CASE("float text: PostgreSQL float4 layout", "[vector_text]") {
    CHECK(Shortest(0.0f) == "0");
    CHECK(Shortest(-0.0f) == "-0");
    CHECK(Shortest(1.0f) == "1");
    CHECK(Shortest(0.1f) == "0.1");
    CHECK(Shortest(-2.5f) == "-2.5");
    CHECK(Shortest(100.0f) == "100");
    CHECK(Shortest(123456.0f) == "123456");
    CHECK(Shortest(1234567.0f) == "1.234567e+06");
    CHECK(Shortest(1e6f) == "1e+06");
    CHECK(Shortest(0.0001f) == "0.0001");
    CHECK(Shortest(0.00001f) == "1e-05");
    CHECK(Shortest(0.000123f) == "0.000123");
    CHECK(Shortest(3.4028235e38f) == "3.4028235e+38");
    CHECK(Shortest(-1.17549435e-38f) == "-1.1754944e-38");
    CHECK(Shortest(1e-45f) == "1e-45");
    CHECK(Shortest(3.14159265f) == "3.1415927");
    // PostgreSQL's Ryu never prints a text that lies exactly on the rounding boundary between two
    // floats (acceptBounds = false): 117760704 is printed in full, not as 1.177607e+08.
    CHECK(Shortest(117760704.0f) == "1.17760704e+08");
}

TEST_CASE("float text: shortest and round-trips for random floats", "[vector_text]") {
    std::mt19937 rng(20261128);
    std::uniform_int_distribution<uint32_t> bits_dist;
    int checked = 0;
    while (checked < 200000) {
        uint32_t bits = bits_dist(rng);
        float value;
        std::memcpy(&value, &bits, sizeof(value));
        if (!std::isfinite(value)) continue;
        std::string text = Shortest(value);
        float back = std::strtof(text.c_str(), nullptr);
        INFO("bits " << bits << " text " << text);
        REQUIRE(std::memcmp(&back, &value, sizeof(float)) == 0);
        checked++;
    }
}

TEST_CASE("vector text: format and parse round-trip", "[vector_text]") {
    std::vector<float> x = {1.0f, -0.5f, 3e-5f, 1e10f, 0.1f, -0.0f};
    std::vector<char> buf(MaxVectorTextSize(x.size()));
    size_t n = FormatVectorText(x.data(), static_cast<int>(x.size()), buf.data());
    CHECK(std::string(buf.data(), n) == "[1,-0.5,3e-05,1e+10,0.1,-0]");
    CHECK(buf[n] == '\0');

    // Worst-case widths fit the advertised buffer size exactly.
    std::vector<float> wide(1000, -1.17549435e-38f);
    std::vector<char> wide_buf(MaxVectorTextSize(wide.size()));
    size_t wide_len = FormatVectorText(wide.data(), 1000, wide_buf.data());
    CHECK(wide_len + 1 <= wide_buf.size());

    std::vector<float> parsed;
    REQUIRE(Parse(std::string(buf.data(), n), &parsed).status == ParseStatus::kOk);
    REQUIRE(parsed.size() == x.size());
    CHECK(std::memcmp(parsed.data(), x.data(), sizeof(float) * x.size()) == 0);
}

TEST_CASE("vector text: random input never overruns and accepted input round-trips", "[vector_text]") {
    // Random strings over the grammar's alphabet: every outcome must be a clean status, the
    // output buffer is never written past max_dim, and whatever parses re-parses identically
    // from its own printed form.
    const std::string alphabet = "[],,,.-+eE0123456789  naifINx\t";
    std::mt19937 rng(7);
    std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<int> length(0, 24);
    constexpr int kMaxDim = 4;
    int accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        std::string text = "[";
        int len = length(rng);
        for (int i = 0; i < len; i++) text += alphabet[pick(rng)];
        if (iter % 2 == 0) text += "]";
        float out[kMaxDim + 1];
        out[kMaxDim] = 12345.0f;
        ParseResult r = ParseVectorText(text.c_str(), out, kMaxDim);
        INFO("input: '" << text << "'");
        REQUIRE(out[kMaxDim] == 12345.0f);
        REQUIRE(r.dim >= 0);
        REQUIRE(r.dim <= kMaxDim);
        if (r.status == ParseStatus::kOutOfRange) REQUIRE(r.token_offset + r.token_length <= text.size());
        if (r.status != ParseStatus::kOk) continue;
        accepted++;
        REQUIRE(r.dim >= 1);
        for (int i = 0; i < r.dim; i++) REQUIRE(std::isfinite(out[i]));
        char printed[MaxVectorTextSize(kMaxDim)];
        FormatVectorText(out, r.dim, printed);
        float again[kMaxDim];
        ParseResult r2 = ParseVectorText(printed, again, kMaxDim);
        REQUIRE(r2.status == ParseStatus::kOk);
        REQUIRE(r2.dim == r.dim);
        REQUIRE(std::memcmp(again, out, sizeof(float) * r.dim) == 0);
    }
    CHECK(accepted > 100);  // the generator does reach the accepting paths
}

TEST_CASE("an out-of-range bound turns large finite numbers into kOutOfRange (halfvec)", "[vector_text]") {
    std::vector<float> out(4);
    const char* text = "[1, 65519.9, -65520, 3]";
    ParseResult r = ParseVectorText(text, out.data(), 4, 65520.0f);
    REQUIRE(r.status == ParseStatus::kOutOfRange);
    CHECK(std::string(text + r.token_offset, r.token_length) == "-65520");
    r = ParseVectorText("[1,65519.9]", out.data(), 4, 65520.0f);
    CHECK(r.status == ParseStatus::kOk);
    // Without a bound the same numbers are fine; infinities keep their own status.
    CHECK(ParseVectorText(text, out.data(), 4).status == ParseStatus::kOk);
    CHECK(ParseVectorText("[inf]", out.data(), 4, 65520.0f).status == ParseStatus::kInfinite);
}
