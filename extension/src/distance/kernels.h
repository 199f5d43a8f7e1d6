// distance/kernels.h — the individual kernel implementations behind distance.h, exposed so unit
// tests and benchmarks can check and time each variant directly. Production code calls
// distance.h, which dispatches to the best variant the CPU supports.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jade::ext::kernels {

// Three sums a cosine distance needs, computed in one pass over both vectors.
struct CosineSums {
    float dot;
    float norm_a;
    float norm_b;
};

// Portable variants: several independent float accumulators (so the loop is not one long
// dependency chain), valid on any CPU.
float L2SquaredPortable(const float* a, const float* b, size_t n);
float InnerProductPortable(const float* a, const float* b, size_t n);
float L1Portable(const float* a, const float* b, size_t n);
float NormSquaredPortable(const float* a, size_t n);
CosineSums CosineSumsPortable(const float* a, const float* b, size_t n);

// AVX2+FMA variants: compiled for that target only; call only when Avx2FmaSupported().
float L2SquaredAvx2(const float* a, const float* b, size_t n);
float InnerProductAvx2(const float* a, const float* b, size_t n);
float L1Avx2(const float* a, const float* b, size_t n);
float NormSquaredAvx2(const float* a, size_t n);
CosineSums CosineSumsAvx2(const float* a, const float* b, size_t n);

// halfvec variants: elements are binary16 bit patterns (distance/half.h).
float HalfL2SquaredPortable(const uint16_t* a, const uint16_t* b, size_t n);
float HalfInnerProductPortable(const uint16_t* a, const uint16_t* b, size_t n);
float HalfL1Portable(const uint16_t* a, const uint16_t* b, size_t n);
CosineSums HalfCosineSumsPortable(const uint16_t* a, const uint16_t* b, size_t n);
void HalfToFloatPortable(const uint16_t* in, float* out, size_t n);
void FloatToHalfPortable(const float* in, uint16_t* out, size_t n);

// AVX2+FMA+F16C variants: call only when F16cSupported().
float HalfL2SquaredF16c(const uint16_t* a, const uint16_t* b, size_t n);
float HalfInnerProductF16c(const uint16_t* a, const uint16_t* b, size_t n);
float HalfL1F16c(const uint16_t* a, const uint16_t* b, size_t n);
CosineSums HalfCosineSumsF16c(const uint16_t* a, const uint16_t* b, size_t n);
void HalfToFloatF16c(const uint16_t* in, float* out, size_t n);
void FloatToHalfF16c(const float* in, uint16_t* out, size_t n);

// Bit-string counts: differing bits, and the three population counts a Jaccard distance needs.
struct JaccardCounts {
    uint64_t both;    // |a AND b|
    uint64_t a;       // |a|
    uint64_t b;       // |b|
};
uint64_t HammingPortable(const uint8_t* a, const uint8_t* b, size_t nbytes);
JaccardCounts JaccardCountsPortable(const uint8_t* a, const uint8_t* b, size_t nbytes);
// POPCNT variants: call only when PopcntSupported().
uint64_t HammingPopcnt(const uint8_t* a, const uint8_t* b, size_t nbytes);
JaccardCounts JaccardCountsPopcnt(const uint8_t* a, const uint8_t* b, size_t nbytes);

// Returns true when the running CPU executes AVX2 and FMA instructions.
bool Avx2FmaSupported();

// Returns true when the running CPU executes AVX2, FMA and F16C instructions.
bool F16cSupported();

// Returns true when the running CPU has the POPCNT instruction.
bool PopcntSupported();

// Returns the name of the variant distance.h dispatches to ("avx2-fma" or "portable").
const char* ActiveKernelName();

// The same for the halfvec kernels ("avx2-fma-f16c" or "portable") and the bit kernels
// ("popcnt" or "portable").
const char* ActiveHalfKernelName();
const char* ActiveBitKernelName();

}  // namespace jade::ext::kernels
