// distance/distance.cpp — run-time selection of the distance kernels (see distance.h).
//
// The variant is chosen once, when the library is loaded (a namespace-scope initializer), so each
// call is one indirect call and no check. The table is written only during that initialization,
// before any thread exists, and only read afterwards. __builtin_cpu_init() is called explicitly because the
// selection may run from a shared-library constructor before libgcc initialised its CPU model.
#include "distance/distance.h"

#include <cmath>

#include "distance/kernels.h"

namespace jade::ext {

namespace {

// The kernel variant every public function dispatches to.
struct KernelTable {
    float (*l2_squared)(const float*, const float*, size_t);
    float (*inner_product)(const float*, const float*, size_t);
    float (*l1)(const float*, const float*, size_t);
    float (*norm_squared)(const float*, size_t);
    kernels::CosineSums (*cosine_sums)(const float*, const float*, size_t);
    const char* name;
};

// Returns the fastest kernel table the running CPU supports.
KernelTable SelectKernels() {
    if (kernels::Avx2FmaSupported()) {
        return KernelTable{kernels::L2SquaredAvx2,   kernels::InnerProductAvx2, kernels::L1Avx2,
                           kernels::NormSquaredAvx2, kernels::CosineSumsAvx2,   "avx2-fma"};
    }
    return KernelTable{kernels::L2SquaredPortable,   kernels::InnerProductPortable, kernels::L1Portable,
                       kernels::NormSquaredPortable, kernels::CosineSumsPortable,   "portable"};
}

// Constant-initialized to the portable kernels, so a call made before dynamic initialization
// (another translation unit's static constructor) is still correct; upgraded once at load time.
KernelTable kKernels = {kernels::L2SquaredPortable,   kernels::InnerProductPortable, kernels::L1Portable,
                        kernels::NormSquaredPortable, kernels::CosineSumsPortable,   "portable"};
const bool kKernelsSelected = (kKernels = SelectKernels(), true);

}  // namespace

namespace kernels {

bool Avx2FmaSupported() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const char* ActiveKernelName() {
    return kKernels.name;
}

}  // namespace kernels

float L2SquaredDistance(const float* a, const float* b, size_t n) {
    return kKernels.l2_squared(a, b, n);
}

float InnerProduct(const float* a, const float* b, size_t n) {
    return kKernels.inner_product(a, b, n);
}

float L1Distance(const float* a, const float* b, size_t n) {
    return kKernels.l1(a, b, n);
}

float NormSquared(const float* a, size_t n) {
    return kKernels.norm_squared(a, n);
}

double CosineDistance(const float* a, const float* b, size_t n) {
    kernels::CosineSums sums = kKernels.cosine_sums(a, b, n);
    // sqrt of the product rather than product of sqrts, in double, as pgvector: fewer roundings.
    double similarity = (double)sums.dot / std::sqrt((double)sums.norm_a * (double)sums.norm_b);
    // A zero vector gives 0/0 = NaN, which passes through both comparisons (pgvector's result).
    if (similarity > 1.0) similarity = 1.0;
    if (similarity < -1.0) similarity = -1.0;
    return 1.0 - similarity;
}

}  // namespace jade::ext
