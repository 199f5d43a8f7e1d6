// Unit tests for distance/: every kernel variant (portable, AVX2+FMA when the CPU has it, and
// the dispatched public API) against a scalar double-precision reference, on many lengths
// including odd ones and lengths around the 8- and 32-element SIMD steps.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "distance/distance.h"
#include "distance/kernels.h"

namespace k = jade::ext::kernels;

namespace {

struct Reference {
    double l2_squared = 0, inner = 0, l1 = 0, norm_a = 0, norm_b = 0;
};

// Computes every distance in double, in index order: the ground truth.
Reference ComputeReference(const std::vector<float>& a, const std::vector<float>& b) {
    Reference r;
    for (size_t i = 0; i < a.size(); i++) {
        double x = a[i], y = b[i];
        r.l2_squared += (x - y) * (x - y);
        r.inner += x * y;
        r.l1 += std::fabs(x - y);
        r.norm_a += x * x;
        r.norm_b += y * y;
    }
    return r;
}

// A float-accumulated sum of n terms of magnitude up to `scale` is within n * eps * scale.
double Tolerance(size_t n, double scale) {
    return 1e-6 + 4.0 * n * std::numeric_limits<float>::epsilon() * scale;
}

std::vector<size_t> TestLengths() {
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 70; n++) lengths.push_back(n);
    for (size_t n : {95, 96, 97, 127, 128, 129, 255, 257, 768, 1001, 1536, 4099, 16000}) lengths.push_back(n);
    return lengths;
}

struct Variant {
    const char* name;
    float (*l2)(const float*, const float*, size_t);
    float (*ip)(const float*, const float*, size_t);
    float (*l1)(const float*, const float*, size_t);
    float (*norm)(const float*, size_t);
    k::CosineSums (*cos)(const float*, const float*, size_t);
};

std::vector<Variant> Variants() {
    std::vector<Variant> v = {{"portable", k::L2SquaredPortable, k::InnerProductPortable, k::L1Portable,
                               k::NormSquaredPortable, k::CosineSumsPortable}};
    if (k::Avx2FmaSupported())
        v.push_back(
            {"avx2-fma", k::L2SquaredAvx2, k::InnerProductAvx2, k::L1Avx2, k::NormSquaredAvx2, k::CosineSumsAvx2});
    return v;
}

}  // namespace

TEST_CASE("distance kernels match a double-precision reference", "[distance]") {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    std::printf("distance kernels: dispatch uses %s\n", k::ActiveKernelName());
    for (const Variant& variant : Variants()) {
        for (size_t n : TestLengths()) {
            // Extra trailing elements make an over-read change the result (masked tails).
            std::vector<float> a(n + 8), b(n + 8);
            for (auto& x : a) x = dist(rng);
            for (auto& x : b) x = dist(rng);
            std::vector<float> a_exact(a.begin(), a.begin() + n), b_exact(b.begin(), b.begin() + n);
            Reference ref = ComputeReference(a_exact, b_exact);
            INFO("variant " << variant.name << " n=" << n);
            CHECK(std::fabs(variant.l2(a.data(), b.data(), n) - ref.l2_squared) <= Tolerance(n, 16));
            CHECK(std::fabs(variant.ip(a.data(), b.data(), n) - ref.inner) <= Tolerance(n, 4));
            CHECK(std::fabs(variant.l1(a.data(), b.data(), n) - ref.l1) <= Tolerance(n, 4));
            CHECK(std::fabs(variant.norm(a.data(), n) - ref.norm_a) <= Tolerance(n, 4));
            k::CosineSums sums = variant.cos(a.data(), b.data(), n);
            CHECK(std::fabs(sums.dot - ref.inner) <= Tolerance(n, 4));
            CHECK(std::fabs(sums.norm_a - ref.norm_a) <= Tolerance(n, 4));
            CHECK(std::fabs(sums.norm_b - ref.norm_b) <= Tolerance(n, 4));
        }
    }
}

TEST_CASE("distance kernels are exact on small integers, whatever the summation order", "[distance]") {
    for (const Variant& variant : Variants()) {
        for (size_t n : TestLengths()) {
            std::vector<float> a(n), b(n);
            for (size_t i = 0; i < n; i++) {
                a[i] = static_cast<float>(static_cast<int>(i % 11) - 5);
                b[i] = static_cast<float>(static_cast<int>(i % 13) - 6);
            }
            Reference ref = ComputeReference(a, b);
            INFO("variant " << variant.name << " n=" << n);
            CHECK(variant.l2(a.data(), b.data(), n) == ref.l2_squared);
            CHECK(variant.ip(a.data(), b.data(), n) == ref.inner);
            CHECK(variant.l1(a.data(), b.data(), n) == ref.l1);
            CHECK(variant.norm(a.data(), n) == ref.norm_a);
        }
    }
}

TEST_CASE("public distance API", "[distance]") {
    const float zero[3] = {0, 0, 0};
    const float a[3] = {1, 2, 3};
    const float b[3] = {4, 5, 6};
    const float c[2] = {3, 4};
    const float d[2] = {4, 3};
    CHECK(jade::ext::L2SquaredDistance(a, b, 3) == 27.0f);
    CHECK(jade::ext::InnerProduct(a, b, 3) == 32.0f);
    CHECK(jade::ext::L1Distance(a, b, 3) == 9.0f);
    CHECK(jade::ext::NormSquared(a, 3) == 14.0f);
    CHECK(jade::ext::CosineDistance(c, d, 2) == Approx(1.0 - 24.0 / 25.0).margin(1e-12));
    CHECK(jade::ext::CosineDistance(a, a, 3) == Approx(0.0).margin(1e-7));
    // Results are clamped to [0, 2] even when rounding pushes the similarity past ±1.
    float na[3] = {-1, -2, -3};
    double opposite = jade::ext::CosineDistance(a, na, 3);
    CHECK(opposite <= 2.0);
    CHECK(opposite == Approx(2.0).margin(1e-7));
    // Zero vectors give NaN (pgvector's documented behaviour), not an error or 0.
    CHECK(std::isnan(jade::ext::CosineDistance(zero, a, 3)));
    CHECK(std::isnan(jade::ext::CosineDistance(zero, zero, 3)));
    // Empty input is well defined.
    CHECK(jade::ext::L2SquaredDistance(a, b, 0) == 0.0f);
}

TEST_CASE("distance kernels accumulate like pgvector on large magnitudes", "[distance]") {
    // float accumulation overflows to +inf where a double reference would not: the type layer
    // relies on this to match pgvector exactly, so pin it down.
    std::vector<float> big(64, 3e37f), neg(64, -3e37f);
    CHECK(std::isinf(jade::ext::L2SquaredDistance(big.data(), neg.data(), 64)));
    CHECK(std::isinf(jade::ext::InnerProduct(big.data(), big.data(), 64)));
}
