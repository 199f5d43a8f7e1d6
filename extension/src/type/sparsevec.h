// type/sparsevec.h — the `sparsevec` type's layout (sparse vectors) and the helpers every
// PG-regime file uses to read, build and validate them.
//
// The layout is pgvector's, byte for byte:
//
//   int32 vl_len_       varlena header
//   int32 dim           number of dimensions, 1..SPARSEVEC_MAX_DIM
//   int32 nnz           number of stored (non-zero) elements, 0..min(dim, SPARSEVEC_MAX_NNZ)
//   int32 unused        always zero
//   int32 indices[nnz]  0-based, strictly ascending
//   float values[nnz]   never 0, NaN or ±Infinity
//
// Validation helpers ereport (pgvector's messages and SQLSTATEs) and must only be called where
// no C++ object with a destructor is alive.
#pragma once

#include "pg/pg_headers.h"

#include <cmath>
#include <cstddef>

#include "distance/sparse.h"

#define SPARSEVEC_MAX_DIM 1000000000
#define SPARSEVEC_MAX_NNZ 16000

struct SparseVector {
    int32 vl_len_;  // varlena header (do not touch directly!)
    int32 dim;      // number of dimensions
    int32 nnz;      // number of non-zero elements
    int32 unused;   // reserved for future use, always zero
    int32 indices[FLEXIBLE_ARRAY_MEMBER];
};

#define DatumGetSparseVector(x) ((SparseVector*)PG_DETOAST_DATUM(x))
#define PG_GETARG_SPARSEVEC_P(x) DatumGetSparseVector(PG_GETARG_DATUM(x))
#define PG_RETURN_SPARSEVEC_P(x) PG_RETURN_POINTER(x)

static inline Size SPARSEVEC_SIZE(int nnz) {
    return offsetof(SparseVector, indices) + (sizeof(int32) + sizeof(float)) * (Size)nnz;
}

// The values array, which follows the indices.
static inline float* SPARSEVEC_VALUES(SparseVector* v) {
    return (float*)((char*)v + offsetof(SparseVector, indices) + sizeof(int32) * (Size)v->nnz);
}

// A view for the distance kernels (distance/sparse.h).
static inline jade::ext::SparseView SparseViewOf(SparseVector* v) {
    return jade::ext::SparseView{v->indices, SPARSEVEC_VALUES(v), v->nnz};
}

// Allocates a zero-filled sparse vector (dim and nnz already checked).
static inline SparseVector* InitSparseVector(int dim, int nnz) {
    Size size = SPARSEVEC_SIZE(nnz);
    SparseVector* result = (SparseVector*)palloc0(size);
    SET_VARSIZE(result, size);
    result->dim = dim;
    result->nnz = nnz;
    return result;
}

// Rejects a dimension count outside 1..SPARSEVEC_MAX_DIM.
static inline void SparsevecCheckDim(int64 dim) {
    if (dim < 1)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec must have at least 1 dimension")));
    if (dim > SPARSEVEC_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("sparsevec cannot have more than %d dimensions", SPARSEVEC_MAX_DIM)));
}

// Rejects a non-zero count that is negative, above the limit or above the dimension.
static inline void SparsevecCheckNnz(int nnz, int dim) {
    if (nnz < 0)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec cannot have negative number of elements")));
    if (nnz > SPARSEVEC_MAX_NNZ)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("sparsevec cannot have more than %d non-zero elements", SPARSEVEC_MAX_NNZ)));
    if (nnz > dim)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("sparsevec cannot have more elements than dimensions")));
}

// Rejects indices[i] outside 0..dim-1, or not above indices[i-1].
static inline void SparsevecCheckIndex(const int32* indices, int i, int dim) {
    int32 index = indices[i];
    if (index < 0 || index >= dim)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec index out of bounds")));
    if (i > 0) {
        if (index < indices[i - 1])
            ereport(ERROR,
                    (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must be in ascending order")));
        if (index == indices[i - 1])
            ereport(ERROR,
                    (errcode(ERRCODE_DATA_EXCEPTION), errmsg("sparsevec indices must not contain duplicates")));
    }
}

// Rejects NaN and ±Infinity values.
static inline void SparsevecCheckElement(float value) {
    if (std::isnan(value)) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in sparsevec")));
    if (std::isinf(value))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in sparsevec")));
}

// Rejects two operands of different dimension counts.
static inline void SparsevecCheckDims(const SparseVector* a, const SparseVector* b) {
    if (a->dim != b->dim)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("different sparsevec dimensions %d and %d", a->dim, b->dim)));
}
