// distance/kernels_portable.cpp — the distance kernels for any CPU.
//
// Without -ffast-math the compiler may not reorder a float sum, so a plain `sum += ...` loop runs
// at one add per FP-latency (about 4 cycles). Eight independent accumulators break that chain and
// let the compiler use SSE2 lanes; the result differs from a strictly sequential sum only by
// float rounding, as the AVX2 kernels do.
#include "distance/kernels.h"

#include <cmath>

namespace jade::ext::kernels {

namespace {

constexpr size_t kLanes = 8;

// Sums the eight partial accumulators pairwise (a fixed order, so results are reproducible).
inline float Reduce(const float (&acc)[kLanes]) {
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

float L2SquaredPortable(const float* a, const float* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) {
            float d = a[i + j] - b[i + j];
            acc[j] += d * d;
        }
    }
    float sum = Reduce(acc);
    for (; i < n; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

float InnerProductPortable(const float* a, const float* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) acc[j] += a[i + j] * b[i + j];
    }
    float sum = Reduce(acc);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

float L1Portable(const float* a, const float* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) acc[j] += std::fabs(a[i + j] - b[i + j]);
    }
    float sum = Reduce(acc);
    for (; i < n; i++) sum += std::fabs(a[i] - b[i]);
    return sum;
}

float NormSquaredPortable(const float* a, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) acc[j] += a[i + j] * a[i + j];
    }
    float sum = Reduce(acc);
    for (; i < n; i++) sum += a[i] * a[i];
    return sum;
}

CosineSums CosineSumsPortable(const float* a, const float* b, size_t n) {
    float dot[kLanes] = {0}, na[kLanes] = {0}, nb[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) {
            dot[j] += a[i + j] * b[i + j];
            na[j] += a[i + j] * a[i + j];
            nb[j] += b[i + j] * b[i + j];
        }
    }
    CosineSums sums{Reduce(dot), Reduce(na), Reduce(nb)};
    for (; i < n; i++) {
        sums.dot += a[i] * b[i];
        sums.norm_a += a[i] * a[i];
        sums.norm_b += b[i] * b[i];
    }
    return sums;
}

}  // namespace jade::ext::kernels
