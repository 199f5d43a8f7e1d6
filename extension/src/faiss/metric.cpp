// faiss/metric.cpp — metric names, distance conversions and vector preparation (metric.h).
#include "faiss/metric.h"

#include <cmath>
#include <cstring>

#include "distance/distance.h"

namespace jade::ext::engine {

const char* MetricName(Metric metric) {
    // Names match the opclass suffixes users see in errors (vector_l2_ops, ...).
    switch (metric) {
        case Metric::L2:
            return "l2";
        case Metric::InnerProduct:
            return "inner product";
        case Metric::Cosine:
            return "cosine";
        case Metric::L1:
            return "l1";
        case Metric::Hamming:
            return "hamming";
        case Metric::Jaccard:
            return "jaccard";
    }
    return "unknown";
}

bool IsValidMetric(uint32_t value) {
    // Checks a value read from disk against the enumerators.
    return value >= static_cast<uint32_t>(Metric::L2) && value <= static_cast<uint32_t>(Metric::Jaccard);
}

double ToOrderDistance(Metric metric, float faiss_distance) {
    // FAISS gives squared L2 (clamped: rounding can make it slightly negative) and similarities.
    switch (metric) {
        case Metric::L2:
            return faiss_distance > 0.0f ? std::sqrt(static_cast<double>(faiss_distance)) : 0.0;
        case Metric::InnerProduct:
            return -static_cast<double>(faiss_distance);
        case Metric::Cosine:
            return 1.0 - static_cast<double>(faiss_distance);
        case Metric::L1:
        case Metric::Hamming:
        case Metric::Jaccard:
            return static_cast<double>(faiss_distance);
    }
    return static_cast<double>(faiss_distance);
}

double OperatorDistance(Metric metric, const float* a, const float* b, int dim) {
    // The same kernels as the SQL operators, so re-ranked results agree with ORDER BY exactly.
    size_t n = static_cast<size_t>(dim);
    switch (metric) {
        case Metric::L2:
            return std::sqrt(static_cast<double>(L2SquaredDistance(a, b, n)));
        case Metric::InnerProduct:
            return -static_cast<double>(InnerProduct(a, b, n));
        case Metric::Cosine:
            return CosineDistance(a, b, n);
        case Metric::L1:
            return static_cast<double>(L1Distance(a, b, n));
        case Metric::Hamming:
        case Metric::Jaccard:
            break;  // not float vectors: BitOperatorDistance
    }
    return std::nan("");
}

double BitOperatorDistance(Metric metric, const uint8_t* a, const uint8_t* b, int dim) {
    // The same kernels as the `bit` operators (distance/distance.h).
    size_t nbytes = (static_cast<size_t>(dim) + 7) / 8;
    if (metric == Metric::Jaccard) return JaccardDistance(a, b, nbytes);
    return static_cast<double>(HammingDistance(a, b, nbytes));
}

bool PrepareVector(Metric metric, const float* in, int dim, float* out) {
    // Cosine indexes hold unit vectors so FAISS's inner product is the cosine similarity.
    size_t n = static_cast<size_t>(dim);
    if (in != out) std::memmove(out, in, n * sizeof(float));
    if (metric != Metric::Cosine) return true;
    double norm = std::sqrt(static_cast<double>(NormSquared(in, n)));
    if (!(norm > 0.0) || !std::isfinite(norm)) return false;
    for (size_t i = 0; i < n; i++) out[i] = static_cast<float>(out[i] / norm);
    return true;
}

}  // namespace jade::ext::engine
