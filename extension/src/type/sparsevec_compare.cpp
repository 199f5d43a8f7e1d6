// type/sparsevec_compare.cpp — total order and hashing for `sparsevec`.
//
// Order (pgvector's): as if both were dense vectors compared element by element over the common
// dimensions (absent elements are zeros), then the smaller dimension first. The hash covers dim,
// indices and values: equal sparse vectors have identical stored bytes (no zeros are stored,
// -0 is zero), so "a = b implies hash(a) = hash(b)" holds without canonicalization.
#include "type/sparsevec.h"

extern "C" {
#include "common/hashfn.h"
}

namespace {

// Returns -1, 0 or 1 as a sorts before, equal to or after b.
int SparsevecCompare(SparseVector* a, SparseVector* b) {
    const float* ax = SPARSEVEC_VALUES(a);
    const float* bx = SPARSEVEC_VALUES(b);
    int nnz = Min(a->nnz, b->nnz);
    // At the first position where the element lists differ, the side with the smaller index has
    // a non-zero value where the other has zero: its sign decides.
    for (int i = 0; i < nnz; i++) {
        if (a->indices[i] < b->indices[i]) return ax[i] < 0 ? -1 : 1;
        if (a->indices[i] > b->indices[i]) return bx[i] < 0 ? 1 : -1;
        if (ax[i] < bx[i]) return -1;
        if (ax[i] > bx[i]) return 1;
    }
    // One list continues: its next element counts only if it lies within the other's dimensions.
    if (a->nnz < b->nnz && b->indices[nnz] < a->dim) return bx[nnz] < 0 ? 1 : -1;
    if (a->nnz > b->nnz && a->indices[nnz] < b->dim) return ax[nnz] < 0 ? -1 : 1;
    if (a->dim < b->dim) return -1;
    if (a->dim > b->dim) return 1;
    return 0;
}

// Points at the bytes the hash covers: everything after the varlena header (dim, nnz, the
// always-zero `unused`, indices, values), which is canonical for equal values.
uint32 HashInput(SparseVector* a, const unsigned char** start) {
    *start = (const unsigned char*)&a->dim;
    return (uint32)(VARSIZE(a) - offsetof(SparseVector, dim));
}

}  // namespace

#define JADE_SPARSEVEC_COMPARE(name, expr)        \
    PG_FUNCTION_INFO_V1(name);                    \
    Datum name(PG_FUNCTION_ARGS) {                \
        SparseVector* a = PG_GETARG_SPARSEVEC_P(0); \
        SparseVector* b = PG_GETARG_SPARSEVEC_P(1); \
        int cmp = SparsevecCompare(a, b);         \
        PG_FREE_IF_COPY(a, 0);                    \
        PG_FREE_IF_COPY(b, 1);                    \
        PG_RETURN_BOOL(expr);                     \
    }

extern "C" {

JADE_SPARSEVEC_COMPARE(sparsevec_lt, cmp < 0)
JADE_SPARSEVEC_COMPARE(sparsevec_le, cmp <= 0)
JADE_SPARSEVEC_COMPARE(sparsevec_eq, cmp == 0)
JADE_SPARSEVEC_COMPARE(sparsevec_ne, cmp != 0)
JADE_SPARSEVEC_COMPARE(sparsevec_ge, cmp >= 0)
JADE_SPARSEVEC_COMPARE(sparsevec_gt, cmp > 0)

PG_FUNCTION_INFO_V1(sparsevec_cmp);
PG_FUNCTION_INFO_V1(sparsevec_hash);
PG_FUNCTION_INFO_V1(sparsevec_hash_extended);

// Returns the btree comparison result (support function 1 of the btree opclass).
Datum sparsevec_cmp(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    int cmp = SparsevecCompare(a, b);
    PG_FREE_IF_COPY(a, 0);
    PG_FREE_IF_COPY(b, 1);
    PG_RETURN_INT32(cmp);
}

// Returns a 32-bit hash consistent with sparsevec_eq.
Datum sparsevec_hash(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    const unsigned char* start;
    uint32 len = HashInput(a, &start);
    Datum h = hash_any(start, (int)len);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

// Returns a seeded 64-bit hash consistent with sparsevec_hash.
Datum sparsevec_hash_extended(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    uint64 seed = (uint64)PG_GETARG_INT64(1);
    const unsigned char* start;
    uint32 len = HashInput(a, &start);
    Datum h = hash_any_extended(start, (int)len, seed);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

}  // extern "C"
