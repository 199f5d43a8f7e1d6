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
#include <cstdint>

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

// ---- halfvec: the same distances over binary16 elements (distance/half.h), converted to float
// and accumulated in float as pgvector does; AVX2+FMA+F16C when the CPU has all three.

float HalfL2SquaredDistance(const uint16_t* a, const uint16_t* b, size_t n);
float HalfInnerProduct(const uint16_t* a, const uint16_t* b, size_t n);
float HalfL1Distance(const uint16_t* a, const uint16_t* b, size_t n);
double HalfCosineDistance(const uint16_t* a, const uint16_t* b, size_t n);

// ---- bit strings (PostgreSQL `bit`, most significant bit first, padding bits zero): POPCNT
// when the CPU has it. nbytes covers the whole strings.

// Returns the number of differing bits.
uint64_t HammingDistance(const uint8_t* a, const uint8_t* b, size_t nbytes);

// Returns 1 - |a AND b| / |a OR b|; 1 when neither string has a bit set (pgvector's definition).
double JaccardDistance(const uint8_t* a, const uint8_t* b, size_t nbytes);

}  // namespace jade::ext
