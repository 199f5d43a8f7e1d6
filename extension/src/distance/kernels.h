// distance/kernels.h — the individual kernel implementations behind distance.h, exposed so unit
// tests and benchmarks can check and time each variant directly. Production code calls
// distance.h, which dispatches to the best variant the CPU supports.
#pragma once

#include <cstddef>

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

// Returns true when the running CPU executes AVX2 and FMA instructions.
bool Avx2FmaSupported();

// Returns the name of the variant distance.h dispatches to ("avx2-fma" or "portable").
const char* ActiveKernelName();

}  // namespace jade::ext::kernels
