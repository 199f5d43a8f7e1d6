// distance/sparse.cpp — sparse vector distances (sparse.h).
#include "distance/sparse.h"

#include <cmath>

namespace jade::ext {

namespace {

// Walks the union of both index sets in ascending order and calls both(x, y) for a common index,
// only_a(x) / only_b(y) for an index present in one list.
template <class Both, class OnlyA, class OnlyB>
inline void MergeWalk(SparseView a, SparseView b, Both both, OnlyA only_a, OnlyB only_b) {
    int32_t i = 0, j = 0;
    while (i < a.nnz && j < b.nnz) {
        if (a.indices[i] == b.indices[j]) {
            both(a.values[i++], b.values[j++]);
        } else if (a.indices[i] < b.indices[j]) {
            only_a(a.values[i++]);
        } else {
            only_b(b.values[j++]);
        }
    }
    for (; i < a.nnz; i++) only_a(a.values[i]);
    for (; j < b.nnz; j++) only_b(b.values[j]);
}

}  // namespace

float SparseL2SquaredDistance(SparseView a, SparseView b) {
    float sum = 0.0f;
    MergeWalk(
        a, b,
        [&](float x, float y) {
            float d = x - y;
            sum += d * d;
        },
        [&](float x) { sum += x * x; }, [&](float y) { sum += y * y; });
    return sum;
}

float SparseInnerProduct(SparseView a, SparseView b) {
    // Only common indices contribute; the walk skips the rest cheaply.
    float sum = 0.0f;
    int32_t i = 0, j = 0;
    while (i < a.nnz && j < b.nnz) {
        if (a.indices[i] == b.indices[j]) {
            sum += a.values[i++] * b.values[j++];
        } else if (a.indices[i] < b.indices[j]) {
            i++;
        } else {
            j++;
        }
    }
    return sum;
}

float SparseL1Distance(SparseView a, SparseView b) {
    float sum = 0.0f;
    MergeWalk(
        a, b, [&](float x, float y) { sum += std::fabs(x - y); }, [&](float x) { sum += std::fabs(x); },
        [&](float y) { sum += std::fabs(y); });
    return sum;
}

float SparseNormSquared(SparseView a) {
    float sum = 0.0f;
    for (int32_t i = 0; i < a.nnz; i++) sum += a.values[i] * a.values[i];
    return sum;
}

double SparseCosineDistance(SparseView a, SparseView b) {
    // pgvector's formula: the product of the squared norms under one sqrt, in double.
    double similarity = static_cast<double>(SparseInnerProduct(a, b));
    similarity /= std::sqrt(static_cast<double>(SparseNormSquared(a)) * static_cast<double>(SparseNormSquared(b)));
    if (similarity > 1.0) similarity = 1.0;
    if (similarity < -1.0) similarity = -1.0;
    return 1.0 - similarity;
}

}  // namespace jade::ext
