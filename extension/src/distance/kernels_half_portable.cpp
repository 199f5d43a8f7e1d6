// distance/kernels_half_portable.cpp — halfvec distance kernels and conversions for any CPU.
//
// Each element is converted with the exact scalar HalfToFloat and accumulated in float, in eight
// independent lanes like the float kernels (kernels_portable.cpp), so results differ from the
// F16C kernels only by the order of float additions.
#include <cmath>

#include "distance/half.h"
#include "distance/kernels.h"

namespace jade::ext::kernels {

namespace {

constexpr size_t kLanes = 8;

// Sums the eight partial accumulators pairwise (a fixed order, so results are reproducible).
inline float Reduce(const float (&acc)[kLanes]) {
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

float HalfL2SquaredPortable(const uint16_t* a, const uint16_t* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) {
            float d = HalfToFloat(a[i + j]) - HalfToFloat(b[i + j]);
            acc[j] += d * d;
        }
    }
    float sum = Reduce(acc);
    for (; i < n; i++) {
        float d = HalfToFloat(a[i]) - HalfToFloat(b[i]);
        sum += d * d;
    }
    return sum;
}

float HalfInnerProductPortable(const uint16_t* a, const uint16_t* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) acc[j] += HalfToFloat(a[i + j]) * HalfToFloat(b[i + j]);
    }
    float sum = Reduce(acc);
    for (; i < n; i++) sum += HalfToFloat(a[i]) * HalfToFloat(b[i]);
    return sum;
}

float HalfL1Portable(const uint16_t* a, const uint16_t* b, size_t n) {
    float acc[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) acc[j] += std::fabs(HalfToFloat(a[i + j]) - HalfToFloat(b[i + j]));
    }
    float sum = Reduce(acc);
    for (; i < n; i++) sum += std::fabs(HalfToFloat(a[i]) - HalfToFloat(b[i]));
    return sum;
}

CosineSums HalfCosineSumsPortable(const uint16_t* a, const uint16_t* b, size_t n) {
    float dot[kLanes] = {0}, na[kLanes] = {0}, nb[kLanes] = {0};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (size_t j = 0; j < kLanes; j++) {
            float x = HalfToFloat(a[i + j]), y = HalfToFloat(b[i + j]);
            dot[j] += x * y;
            na[j] += x * x;
            nb[j] += y * y;
        }
    }
    CosineSums sums{Reduce(dot), Reduce(na), Reduce(nb)};
    for (; i < n; i++) {
        float x = HalfToFloat(a[i]), y = HalfToFloat(b[i]);
        sums.dot += x * y;
        sums.norm_a += x * x;
        sums.norm_b += y * y;
    }
    return sums;
}

void HalfToFloatPortable(const uint16_t* in, float* out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = HalfToFloat(in[i]);
}

void FloatToHalfPortable(const float* in, uint16_t* out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = FloatToHalf(in[i]);
}

}  // namespace jade::ext::kernels
