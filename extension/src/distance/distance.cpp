// distance/distance.cpp — run-time selection of the distance kernels (see distance.h).
//
// The variant is chosen once, when the library is loaded (a namespace-scope initializer), so each
// call is one indirect call and no check. The table is written only during that initialization,
// before any thread exists, and only read afterwards. __builtin_cpu_init() is called explicitly because the
// selection may run from a shared-library constructor before libgcc initialised its CPU model.
#include "distance/distance.h"

#include <cmath>

#include "distance/half.h"
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

// The halfvec kernels: AVX2+FMA+F16C, or the portable conversions.
struct HalfKernelTable {
    float (*l2_squared)(const uint16_t*, const uint16_t*, size_t);
    float (*inner_product)(const uint16_t*, const uint16_t*, size_t);
    float (*l1)(const uint16_t*, const uint16_t*, size_t);
    kernels::CosineSums (*cosine_sums)(const uint16_t*, const uint16_t*, size_t);
    void (*to_float)(const uint16_t*, float*, size_t);
    void (*from_float)(const float*, uint16_t*, size_t);
    const char* name;
};

constexpr HalfKernelTable kHalfPortable = {
    kernels::HalfL2SquaredPortable,  kernels::HalfInnerProductPortable, kernels::HalfL1Portable,
    kernels::HalfCosineSumsPortable, kernels::HalfToFloatPortable,      kernels::FloatToHalfPortable,
    "portable"};

// Returns the fastest halfvec kernel table the running CPU supports.
HalfKernelTable SelectHalfKernels() {
    if (kernels::F16cSupported()) {
        return HalfKernelTable{kernels::HalfL2SquaredF16c,  kernels::HalfInnerProductF16c, kernels::HalfL1F16c,
                               kernels::HalfCosineSumsF16c, kernels::HalfToFloatF16c,      kernels::FloatToHalfF16c,
                               "avx2-fma-f16c"};
    }
    return kHalfPortable;
}

HalfKernelTable kHalfKernels = kHalfPortable;
const bool kHalfKernelsSelected = (kHalfKernels = SelectHalfKernels(), true);

// The bit-string kernels: POPCNT, or the portable population count.
struct BitKernelTable {
    uint64_t (*hamming)(const uint8_t*, const uint8_t*, size_t);
    kernels::JaccardCounts (*jaccard)(const uint8_t*, const uint8_t*, size_t);
    const char* name;
};

constexpr BitKernelTable kBitPortable = {kernels::HammingPortable, kernels::JaccardCountsPortable, "portable"};

// Returns the fastest bit kernel table the running CPU supports.
BitKernelTable SelectBitKernels() {
    if (kernels::PopcntSupported())
        return BitKernelTable{kernels::HammingPopcnt, kernels::JaccardCountsPopcnt, "popcnt"};
    return kBitPortable;
}

BitKernelTable kBitKernels = kBitPortable;
const bool kBitKernelsSelected = (kBitKernels = SelectBitKernels(), true);

// Turns the three cosine sums into 1 - similarity, as pgvector: the sqrt of the product rather
// than the product of square roots, in double (fewer roundings); a zero vector gives 0/0 = NaN,
// which passes through both clamps (pgvector's result).
double CosineFromSums(const kernels::CosineSums& sums) {
    double similarity = (double)sums.dot / std::sqrt((double)sums.norm_a * (double)sums.norm_b);
    if (similarity > 1.0) similarity = 1.0;
    if (similarity < -1.0) similarity = -1.0;
    return 1.0 - similarity;
}

}  // namespace

namespace kernels {

bool Avx2FmaSupported() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const char* ActiveKernelName() {
    return kKernels.name;
}

bool F16cSupported() {
    __builtin_cpu_init();
    return Avx2FmaSupported() && __builtin_cpu_supports("f16c");
}

bool PopcntSupported() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt");
}

const char* ActiveHalfKernelName() {
    return kHalfKernels.name;
}

const char* ActiveBitKernelName() {
    return kBitKernels.name;
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
    return CosineFromSums(kKernels.cosine_sums(a, b, n));
}

float HalfL2SquaredDistance(const uint16_t* a, const uint16_t* b, size_t n) {
    return kHalfKernels.l2_squared(a, b, n);
}

float HalfInnerProduct(const uint16_t* a, const uint16_t* b, size_t n) {
    return kHalfKernels.inner_product(a, b, n);
}

float HalfL1Distance(const uint16_t* a, const uint16_t* b, size_t n) {
    return kHalfKernels.l1(a, b, n);
}

double HalfCosineDistance(const uint16_t* a, const uint16_t* b, size_t n) {
    return CosineFromSums(kHalfKernels.cosine_sums(a, b, n));
}

void HalfToFloatArray(const Half* in, float* out, size_t n) {
    kHalfKernels.to_float(in, out, n);
}

void FloatToHalfArray(const float* in, Half* out, size_t n) {
    kHalfKernels.from_float(in, out, n);
}

uint64_t HammingDistance(const uint8_t* a, const uint8_t* b, size_t nbytes) {
    return kBitKernels.hamming(a, b, nbytes);
}

double JaccardDistance(const uint8_t* a, const uint8_t* b, size_t nbytes) {
    kernels::JaccardCounts c = kBitKernels.jaccard(a, b, nbytes);
    if (c.both == 0) return 1.0;
    return 1.0 - (static_cast<double>(c.both) / static_cast<double>(c.a + c.b - c.both));
}

}  // namespace jade::ext
