// distance/sparse.h — distances between sparse vectors (`sparsevec`): sorted lists of
// (index, value) pairs with no zero values.
//
// C++ regime: no PostgreSQL header, no exceptions. Each function walks both lists once in index
// order (a merge) and accumulates in float in that order, which is the order of pgvector's loops,
// so the results equal pgvector's bit for bit. Indices must be strictly ascending (the type
// guarantees it); dimensions are the caller's business.
#pragma once

#include <cstdint>

namespace jade::ext {

// A borrowed view of a sparse vector's non-zero elements.
struct SparseView {
    const int32_t* indices;  // strictly ascending, 0-based
    const float* values;     // values[i] belongs to indices[i]; never 0
    int32_t nnz;
};

// Returns sum((a[i]-b[i])^2) over the union of both index sets.
float SparseL2SquaredDistance(SparseView a, SparseView b);

// Returns sum(a[i]*b[i]) over the common indices.
float SparseInnerProduct(SparseView a, SparseView b);

// Returns sum(|a[i]-b[i]|) over the union of both index sets.
float SparseL1Distance(SparseView a, SparseView b);

// Returns sum(a[i]^2), accumulated in float.
float SparseNormSquared(SparseView a);

// Returns 1 - <a,b> / (|a| |b|) clamped to [0, 2]; NaN when either vector is all zeros.
double SparseCosineDistance(SparseView a, SparseView b);

}  // namespace jade::ext
