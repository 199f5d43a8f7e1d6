// distance/kernels_half_f16c.cpp — halfvec distance kernels with AVX2+FMA+F16C.
//
// VCVTPH2PS widens eight halves to eight floats per instruction; the arithmetic is then the float
// kernels' (kernels_avx2.cpp): four 8-lane accumulators over 32 elements per step, then 8-element
// steps, then a tail copied into a zero-padded 8-element buffer, so odd lengths never read past
// either array. Only these functions are compiled for the extensions (function-level target
// attribute); distance.cpp calls them only when __builtin_cpu_supports says all three exist.
#include <immintrin.h>

#include <cstring>

#include "distance/kernels.h"

#define JADE_F16C __attribute__((target("avx2,fma,f16c")))

namespace jade::ext::kernels {

namespace {

// Returns the sum of the eight lanes of v.
JADE_F16C inline float HorizontalSum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 shuf = _mm_movehdup_ps(lo);
    __m128 sums = _mm_add_ps(lo, shuf);
    shuf = _mm_movehl_ps(shuf, sums);
    sums = _mm_add_ss(sums, shuf);
    return _mm_cvtss_f32(sums);
}

// Widens eight halves at p to floats.
JADE_F16C inline __m256 Load8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Widens the last `rest` (1..7) halves at p to floats, the other lanes zero.
JADE_F16C inline __m256 LoadTail(const uint16_t* p, size_t rest) {
    alignas(16) uint16_t buf[8] = {0};
    std::memcpy(buf, p, rest * sizeof(uint16_t));
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(buf)));
}

// Clears the sign bit of every lane.
JADE_F16C inline __m256 Abs(__m256 v) {
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

}  // namespace

JADE_F16C float HalfL2SquaredF16c(const uint16_t* a, const uint16_t* b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(Load8(a + i), Load8(b + i));
        __m256 d1 = _mm256_sub_ps(Load8(a + i + 8), Load8(b + i + 8));
        __m256 d2 = _mm256_sub_ps(Load8(a + i + 16), Load8(b + i + 16));
        __m256 d3 = _mm256_sub_ps(Load8(a + i + 24), Load8(b + i + 24));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        acc2 = _mm256_fmadd_ps(d2, d2, acc2);
        acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(Load8(a + i), Load8(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    if (i < n) {
        __m256 d = _mm256_sub_ps(LoadTail(a + i, n - i), LoadTail(b + i, n - i));
        acc1 = _mm256_fmadd_ps(d, d, acc1);
    }
    return HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

JADE_F16C float HalfInnerProductF16c(const uint16_t* a, const uint16_t* b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(Load8(a + i), Load8(b + i), acc0);
        acc1 = _mm256_fmadd_ps(Load8(a + i + 8), Load8(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(Load8(a + i + 16), Load8(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(Load8(a + i + 24), Load8(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(Load8(a + i), Load8(b + i), acc0);
    if (i < n) acc1 = _mm256_fmadd_ps(LoadTail(a + i, n - i), LoadTail(b + i, n - i), acc1);
    return HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

JADE_F16C float HalfL1F16c(const uint16_t* a, const uint16_t* b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_add_ps(acc0, Abs(_mm256_sub_ps(Load8(a + i), Load8(b + i))));
        acc1 = _mm256_add_ps(acc1, Abs(_mm256_sub_ps(Load8(a + i + 8), Load8(b + i + 8))));
        acc2 = _mm256_add_ps(acc2, Abs(_mm256_sub_ps(Load8(a + i + 16), Load8(b + i + 16))));
        acc3 = _mm256_add_ps(acc3, Abs(_mm256_sub_ps(Load8(a + i + 24), Load8(b + i + 24))));
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_add_ps(acc0, Abs(_mm256_sub_ps(Load8(a + i), Load8(b + i))));
    if (i < n) acc1 = _mm256_add_ps(acc1, Abs(_mm256_sub_ps(LoadTail(a + i, n - i), LoadTail(b + i, n - i))));
    return HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

JADE_F16C CosineSums HalfCosineSumsF16c(const uint16_t* a, const uint16_t* b, size_t n) {
    // Two accumulators per sum: three sums already give six independent FMA chains.
    __m256 dot0 = _mm256_setzero_ps(), dot1 = _mm256_setzero_ps();
    __m256 na0 = _mm256_setzero_ps(), na1 = _mm256_setzero_ps();
    __m256 nb0 = _mm256_setzero_ps(), nb1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 va0 = Load8(a + i), vb0 = Load8(b + i);
        __m256 va1 = Load8(a + i + 8), vb1 = Load8(b + i + 8);
        dot0 = _mm256_fmadd_ps(va0, vb0, dot0);
        na0 = _mm256_fmadd_ps(va0, va0, na0);
        nb0 = _mm256_fmadd_ps(vb0, vb0, nb0);
        dot1 = _mm256_fmadd_ps(va1, vb1, dot1);
        na1 = _mm256_fmadd_ps(va1, va1, na1);
        nb1 = _mm256_fmadd_ps(vb1, vb1, nb1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 va = Load8(a + i), vb = Load8(b + i);
        dot0 = _mm256_fmadd_ps(va, vb, dot0);
        na0 = _mm256_fmadd_ps(va, va, na0);
        nb0 = _mm256_fmadd_ps(vb, vb, nb0);
    }
    if (i < n) {
        __m256 va = LoadTail(a + i, n - i), vb = LoadTail(b + i, n - i);
        dot1 = _mm256_fmadd_ps(va, vb, dot1);
        na1 = _mm256_fmadd_ps(va, va, na1);
        nb1 = _mm256_fmadd_ps(vb, vb, nb1);
    }
    return CosineSums{HorizontalSum(_mm256_add_ps(dot0, dot1)), HorizontalSum(_mm256_add_ps(na0, na1)),
                      HorizontalSum(_mm256_add_ps(nb0, nb1))};
}

JADE_F16C void HalfToFloatF16c(const uint16_t* in, float* out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Load8(in + i));
    if (i < n) {
        alignas(32) float buf[8];
        _mm256_store_ps(buf, LoadTail(in + i, n - i));
        std::memcpy(out + i, buf, (n - i) * sizeof(float));
    }
}

JADE_F16C void FloatToHalfF16c(const float* in, uint16_t* out, size_t n) {
    // Rounding mode 0: round to nearest, ties to even (FloatToHalf's rounding).
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), 0));
    if (i < n) {
        alignas(32) float buf[8] = {0};
        std::memcpy(buf, in + i, (n - i) * sizeof(float));
        alignas(16) uint16_t h[8];
        _mm_store_si128(reinterpret_cast<__m128i*>(h), _mm256_cvtps_ph(_mm256_load_ps(buf), 0));
        std::memcpy(out + i, h, (n - i) * sizeof(uint16_t));
    }
}

}  // namespace jade::ext::kernels
