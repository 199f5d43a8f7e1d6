// Micro-benchmark of the extension's distance kernels (distance/distance.h) at typical embedding
// sizes, against a plain scalar loop (what a naive implementation or pgvector without SIMD does)
// and FAISS's fvec_L2sqr / fvec_inner_product from the FAISS build we link (AVX2 or Debian's
// generic one, whichever jade::faiss resolved to).
//
// Run: build/bench/micro_extension --benchmark_filter=Distance
// Each iteration computes one distance between two vectors that stay in L1/L2 cache, so the
// numbers are compute throughput, the cost per candidate in a heap rescoring loop.
#include <benchmark/benchmark.h>

#include <faiss/utils/distances.h>

#include <random>
#include <vector>

#include "distance/distance.h"
#include "distance/kernels.h"

namespace {

// Returns two random vectors of length n.
std::pair<std::vector<float>, std::vector<float>> MakeVectors(size_t n) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> a(n), b(n);
    for (auto& x : a) x = dist(rng);
    for (auto& x : b) x = dist(rng);
    return {a, b};
}

// The naive loop: one float accumulator, sequential adds (no reassociation without -ffast-math).
float PlainL2Squared(const float* a, const float* b, size_t n) {
    float sum = 0;
    for (size_t i = 0; i < n; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

float PlainInnerProduct(const float* a, const float* b, size_t n) {
    float sum = 0;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

template <float (*Fn)(const float*, const float*, size_t)>
void BM_Distance(benchmark::State& state) {
    size_t n = static_cast<size_t>(state.range(0));
    auto [a, b] = MakeVectors(n);
    for (auto _ : state) {
        benchmark::DoNotOptimize(a.data());
        benchmark::DoNotOptimize(b.data());
        float d = Fn(a.data(), b.data(), n);
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

void BM_CosineDistance(benchmark::State& state) {
    size_t n = static_cast<size_t>(state.range(0));
    auto [a, b] = MakeVectors(n);
    for (auto _ : state) {
        benchmark::DoNotOptimize(a.data());
        double d = jade::ext::CosineDistance(a.data(), b.data(), n);
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

// Records in the benchmark header which variant distance.h dispatches to on this CPU.
const bool kContextAdded = [] {
    benchmark::AddCustomContext("jade_distance_kernels",
                                jade::ext::kernels::Avx2FmaSupported() ? "avx2-fma" : "portable");
    return true;
}();

#define JADE_DISTANCE_SIZES Arg(128)->Arg(768)->Arg(1536)

BENCHMARK_TEMPLATE(BM_Distance, jade::ext::L2SquaredDistance)->Name("DistanceL2/jade")->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, jade::ext::kernels::L2SquaredPortable)
    ->Name("DistanceL2/jade_portable")
    ->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, PlainL2Squared)->Name("DistanceL2/plain_loop")->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, faiss::fvec_L2sqr)->Name("DistanceL2/faiss_fvec_L2sqr")->JADE_DISTANCE_SIZES;

BENCHMARK_TEMPLATE(BM_Distance, jade::ext::InnerProduct)->Name("DistanceIP/jade")->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, jade::ext::kernels::InnerProductPortable)
    ->Name("DistanceIP/jade_portable")
    ->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, PlainInnerProduct)->Name("DistanceIP/plain_loop")->JADE_DISTANCE_SIZES;
BENCHMARK_TEMPLATE(BM_Distance, faiss::fvec_inner_product)
    ->Name("DistanceIP/faiss_fvec_inner_product")
    ->JADE_DISTANCE_SIZES;

BENCHMARK_TEMPLATE(BM_Distance, jade::ext::L1Distance)->Name("DistanceL1/jade")->JADE_DISTANCE_SIZES;
BENCHMARK(BM_CosineDistance)->Name("DistanceCosine/jade")->JADE_DISTANCE_SIZES;

}  // namespace
