// distance/distance.h — the distance kernels behind the vector operators and the index AMs.
//
// C++ regime: no PostgreSQL header, no exceptions (kernels cannot fail). Each kernel picks, once
// per process, an AVX2+FMA implementation when the CPU supports it (__builtin_cpu_supports) and a
// portable one otherwise; both accumulate in float like pgvector, so results agree with pgvector
// to float rounding. n may be any size including 0; pointers need no particular alignment.
//
// Stable interface: the index access methods call these. Add functions; do not change these.
#pragma once

#include <cstddef>

namespace jade::ext {

// Returns sum((a[i]-b[i])^2): the squared Euclidean distance (sqrt it for `<->`).
float L2SquaredDistance(const float* a, const float* b, size_t n);

// Returns sum(a[i]*b[i]); `<#>` is its negation.
float InnerProduct(const float* a, const float* b, size_t n);

// Returns sum(|a[i]-b[i]|): the taxicab distance behind `<+>`.
float L1Distance(const float* a, const float* b, size_t n);

// Returns sum(a[i]^2): the squared Euclidean norm.
float NormSquared(const float* a, size_t n);

// Returns 1 - <a,b> / (|a| |b|), clamped to [0, 2]; NaN when either vector has zero norm
// (pgvector's behaviour: `<=>` against a zero vector is NaN, not an error).
double CosineDistance(const float* a, const float* b, size_t n);

}  // namespace jade::ext
