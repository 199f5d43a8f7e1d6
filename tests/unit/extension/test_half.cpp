// Unit tests for distance/half.h and the halfvec kernels: the scalar conversions against the
// F16C instructions (every half, a wide sample of floats, the rounding edge cases), and every
// halfvec kernel variant against a double-precision reference.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "distance/distance.h"
#include "distance/half.h"
#include "distance/kernels.h"

namespace k = jade::ext::kernels;
using jade::ext::FloatToHalf;
using jade::ext::Half;
using jade::ext::HalfToFloat;

namespace {

uint32_t Bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    return u;
}

float FromBits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
}

}  // namespace

TEST_CASE("half conversions: known values and rounding edges", "[half]") {
    CHECK(FloatToHalf(0.0f) == 0x0000);
    CHECK(FloatToHalf(-0.0f) == 0x8000);
    CHECK(FloatToHalf(1.0f) == 0x3C00);
    CHECK(FloatToHalf(-2.0f) == 0xC000);
    CHECK(FloatToHalf(65504.0f) == 0x7BFF);
    // [65504, 65520) rounds down to the largest half; 65520 is a tie that rounds to infinity.
    CHECK(FloatToHalf(65519.99f) == 0x7BFF);
    CHECK(FloatToHalf(jade::ext::kHalfOverflowAt) == 0x7C00);
    CHECK(FloatToHalf(-1e10f) == 0xFC00);
    CHECK(FloatToHalf(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(jade::ext::HalfIsNan(FloatToHalf(std::nanf(""))));
    // Smallest subnormal 2^-24; 2^-25 is a tie that rounds to even (zero); just above rounds up.
    CHECK(FloatToHalf(std::ldexp(1.0f, -24)) == 0x0001);
    CHECK(FloatToHalf(std::ldexp(1.0f, -25)) == 0x0000);
    CHECK(FloatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
    CHECK(FloatToHalf(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1).
    CHECK(FloatToHalf(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);
    CHECK(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);
    CHECK(HalfToFloat(0x3555) == Approx(0.333251953125).epsilon(0));
    CHECK(HalfToFloat(0x0001) == std::ldexp(1.0f, -24));
    CHECK(HalfToFloat(0x7BFF) == 65504.0f);
    CHECK(std::isinf(HalfToFloat(0x7C00)));
    CHECK(std::isnan(HalfToFloat(0x7E00)));
    CHECK(std::signbit(HalfToFloat(0x8000)));
}

TEST_CASE("every half round-trips through float, and matches F16C", "[half]") {
    bool f16c = k::F16cSupported();
    std::vector<Half> all(65536);
    for (uint32_t h = 0; h < 65536; h++) all[h] = static_cast<Half>(h);
    std::vector<float> viaF16c(65536);
    if (f16c) k::HalfToFloatF16c(all.data(), viaF16c.data(), all.size());
    for (uint32_t h = 0; h < 65536; h++) {
        float f = HalfToFloat(static_cast<Half>(h));
        if (jade::ext::HalfIsNan(static_cast<Half>(h))) {
            CHECK(std::isnan(f));
            continue;
        }
        INFO("half 0x" << std::hex << h);
        CHECK(FloatToHalf(f) == h);
        if (f16c) CHECK(Bits(viaF16c[h]) == Bits(f));
    }
}

TEST_CASE("float to half matches F16C on a wide sample of floats", "[half]") {
    if (!k::F16cSupported()) {
        WARN("CPU without F16C: the portable conversion is only checked against known values");
        return;
    }
    // Every 97th bit pattern (44 million floats) plus all patterns near the rounding edges.
    std::vector<float> in;
    std::vector<Half> expected;
    auto check_batch = [&]() {
        expected.resize(in.size());
        k::FloatToHalfF16c(in.data(), expected.data(), in.size());
        size_t mismatches = 0;
        for (size_t i = 0; i < in.size(); i++) {
            if (std::isnan(in[i])) continue;  // payload handling differs only for NaN, never stored
            if (FloatToHalf(in[i]) != expected[i] && mismatches++ < 5) {
                INFO("float bits 0x" << std::hex << Bits(in[i]));
                CHECK(FloatToHalf(in[i]) == expected[i]);
            }
        }
        CHECK(mismatches == 0);
        in.clear();
    };
    for (uint64_t u = 0; u <= 0xFFFFFFFFull; u += 97) {
        in.push_back(FromBits(static_cast<uint32_t>(u)));
        if (in.size() == (1u << 20)) check_batch();
    }
    for (uint32_t base : {0x33000000u, 0x38800000u, 0x477FF000u, 0x3F801000u}) {
        for (uint32_t d = 0; d < 4096; d++) {
            in.push_back(FromBits(base - 2048 + d));
            in.push_back(FromBits((base - 2048 + d) | 0x80000000u));
        }
    }
    check_batch();
}

TEST_CASE("half array conversions agree with the scalar ones at every length", "[half]") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-70000.0f, 70000.0f);
    for (size_t n = 0; n <= 40; n++) {
        std::vector<float> in(n);
        for (auto& x : in) x = dist(rng);
        std::vector<Half> h(n + 4, 0xABCD);
        jade::ext::FloatToHalfArray(in.data(), h.data(), n);
        for (size_t i = 0; i < n; i++) CHECK(h[i] == FloatToHalf(in[i]));
        CHECK(h[n] == 0xABCD);  // no write past the end
        std::vector<float> back(n + 4, -1.0f);
        jade::ext::HalfToFloatArray(h.data(), back.data(), n);
        for (size_t i = 0; i < n; i++) CHECK(Bits(back[i]) == Bits(HalfToFloat(h[i])));
        CHECK(back[n] == -1.0f);
    }
}

namespace {

struct HalfVariant {
    const char* name;
    float (*l2)(const uint16_t*, const uint16_t*, size_t);
    float (*ip)(const uint16_t*, const uint16_t*, size_t);
    float (*l1)(const uint16_t*, const uint16_t*, size_t);
    k::CosineSums (*cos)(const uint16_t*, const uint16_t*, size_t);
};

std::vector<HalfVariant> HalfVariants() {
    std::vector<HalfVariant> v = {
        {"portable", k::HalfL2SquaredPortable, k::HalfInnerProductPortable, k::HalfL1Portable, k::HalfCosineSumsPortable}};
    if (k::F16cSupported())
        v.push_back({"f16c", k::HalfL2SquaredF16c, k::HalfInnerProductF16c, k::HalfL1F16c, k::HalfCosineSumsF16c});
    return v;
}

}  // namespace

TEST_CASE("halfvec kernels match a double-precision reference", "[half]") {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    std::printf("halfvec kernels: dispatch uses %s; bit kernels: %s\n", k::ActiveHalfKernelName(),
                k::ActiveBitKernelName());
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 70; n++) lengths.push_back(n);
    for (size_t n : {127, 128, 129, 1001, 1536, 3072, 16000}) lengths.push_back(n);
    for (const HalfVariant& variant : HalfVariants()) {
        for (size_t n : lengths) {
            // Extra trailing elements would change the result if a tail read too far.
            std::vector<Half> a(n + 8), b(n + 8);
            for (auto& x : a) x = FloatToHalf(dist(rng));
            for (auto& x : b) x = FloatToHalf(dist(rng));
            double l2 = 0, ip = 0, l1 = 0, na = 0, nb = 0;
            for (size_t i = 0; i < n; i++) {
                double x = HalfToFloat(a[i]), y = HalfToFloat(b[i]);
                l2 += (x - y) * (x - y);
                ip += x * y;
                l1 += std::fabs(x - y);
                na += x * x;
                nb += y * y;
            }
            double tol = 1e-6 + 4.0 * n * std::numeric_limits<float>::epsilon() * 16;
            INFO("variant " << variant.name << " n=" << n);
            CHECK(std::fabs(variant.l2(a.data(), b.data(), n) - l2) <= tol);
            CHECK(std::fabs(variant.ip(a.data(), b.data(), n) - ip) <= tol);
            CHECK(std::fabs(variant.l1(a.data(), b.data(), n) - l1) <= tol);
            k::CosineSums s = variant.cos(a.data(), b.data(), n);
            CHECK(std::fabs(s.dot - ip) <= tol);
            CHECK(std::fabs(s.norm_a - na) <= tol);
            CHECK(std::fabs(s.norm_b - nb) <= tol);
        }
    }
}

TEST_CASE("public halfvec distance API", "[half]") {
    Half a[3] = {FloatToHalf(1), FloatToHalf(2), FloatToHalf(3)};
    Half b[3] = {FloatToHalf(4), FloatToHalf(5), FloatToHalf(6)};
    Half zero[3] = {0, 0, 0};
    CHECK(jade::ext::HalfL2SquaredDistance(a, b, 3) == 27.0f);
    CHECK(jade::ext::HalfInnerProduct(a, b, 3) == 32.0f);
    CHECK(jade::ext::HalfL1Distance(a, b, 3) == 9.0f);
    CHECK(jade::ext::HalfCosineDistance(a, b, 3) == Approx(1.0 - 32.0 / std::sqrt(14.0 * 77.0)).margin(1e-7));
    CHECK(std::isnan(jade::ext::HalfCosineDistance(zero, a, 3)));
}
