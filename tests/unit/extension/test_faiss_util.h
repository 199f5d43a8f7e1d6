// Shared helpers of the FAISS engine unit tests (test_faiss_*.cpp): seeded data sets, exact
// ground truth with the engine's own operator distances, recall, and an interrupt-probe guard.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "common/interrupt.h"
#include "faiss/metric.h"

namespace jade::ext::engine::testing {

// n vectors drawn around `clusters` Gaussian centres (like real embeddings: clustered).
inline std::vector<float> Clustered(int64_t n, int dim, int clusters, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> centre(0.0f, 1.0f);
    std::normal_distribution<float> noise(0.0f, 0.25f);
    std::vector<float> c(static_cast<size_t>(clusters) * dim);
    for (float& v : c) v = centre(rng);
    std::vector<float> x(static_cast<size_t>(n) * dim);
    std::uniform_int_distribution<int> pick(0, clusters - 1);
    for (int64_t i = 0; i < n; i++) {
        int cl = pick(rng);
        for (int j = 0; j < dim; j++) x[i * dim + j] = c[static_cast<size_t>(cl) * dim + j] + noise(rng);
    }
    return x;
}

// Exact k nearest indices of q in x[n*dim] by the SQL operator distance.
inline std::vector<int64_t> ExactKnn(Metric metric, const std::vector<float>& x, int dim, const float* q, int64_t k) {
    int64_t n = static_cast<int64_t>(x.size()) / dim;
    std::vector<std::pair<double, int64_t>> d(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) d[i] = {OperatorDistance(metric, q, x.data() + i * dim, dim), i};
    k = std::min(k, n);
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    std::vector<int64_t> out(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; i++) out[i] = d[i].second;
    return out;
}

// |found ∩ truth| / |truth|.
inline double Recall(const std::vector<int64_t>& truth, const int64_t* found, int64_t nfound) {
    std::set<int64_t> t(truth.begin(), truth.end());
    int64_t hit = 0;
    for (int64_t i = 0; i < nfound; i++) hit += t.count(found[i]);
    return truth.empty() ? 1.0 : static_cast<double>(hit) / static_cast<double>(truth.size());
}

// Installs an interrupt probe for the test's scope and removes it afterwards.
struct ProbeGuard {
    explicit ProbeGuard(InterruptProbe p) { SetInterruptProbe(p); }
    ~ProbeGuard() { SetInterruptProbe(nullptr); }
};

}  // namespace jade::ext::engine::testing
