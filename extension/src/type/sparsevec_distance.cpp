// type/sparsevec_distance.cpp — distance functions and operators on `sparsevec`, plus its norm and
// normalization. The merges over both index lists are distance/sparse.h's (float accumulation in
// index order: pgvector's results bit for bit). SQL names: l2_distance(sparsevec, sparsevec) is
// the C function sparsevec_l2_distance, and so on (extension/sql/26_sparsevec_functions.sql).
#include "type/sparsevec.h"

extern "C" {
#include "utils/float.h"
}

extern "C" {

PG_FUNCTION_INFO_V1(sparsevec_l2_distance);
PG_FUNCTION_INFO_V1(sparsevec_l2_squared_distance);
PG_FUNCTION_INFO_V1(sparsevec_inner_product);
PG_FUNCTION_INFO_V1(sparsevec_negative_inner_product);
PG_FUNCTION_INFO_V1(sparsevec_cosine_distance);
PG_FUNCTION_INFO_V1(sparsevec_l1_distance);
PG_FUNCTION_INFO_V1(sparsevec_l2_norm);
PG_FUNCTION_INFO_V1(sparsevec_l2_normalize);

// Returns the Euclidean distance (operator <->).
Datum sparsevec_l2_distance(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8(sqrt((double)jade::ext::SparseL2SquaredDistance(SparseViewOf(a), SparseViewOf(b))));
}

// Returns the squared Euclidean distance (what the L2 index opclasses order by).
Datum sparsevec_l2_squared_distance(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::SparseL2SquaredDistance(SparseViewOf(a), SparseViewOf(b)));
}

// Returns the inner product.
Datum sparsevec_inner_product(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::SparseInnerProduct(SparseViewOf(a), SparseViewOf(b)));
}

// Returns the negated inner product (operator <#>).
Datum sparsevec_negative_inner_product(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8(-(double)jade::ext::SparseInnerProduct(SparseViewOf(a), SparseViewOf(b)));
}

// Returns 1 - cosine similarity (operator <=>); NaN when either vector is all zeros.
Datum sparsevec_cosine_distance(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8(jade::ext::SparseCosineDistance(SparseViewOf(a), SparseViewOf(b)));
}

// Returns the taxicab distance (operator <+>).
Datum sparsevec_l1_distance(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    SparseVector* b = PG_GETARG_SPARSEVEC_P(1);
    SparsevecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::SparseL1Distance(SparseViewOf(a), SparseViewOf(b)));
}

// Returns the Euclidean norm, accumulated in double (SQL: l2_norm(sparsevec)).
Datum sparsevec_l2_norm(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    const float* ax = SPARSEVEC_VALUES(a);
    double norm = 0.0;
    for (int i = 0; i < a->nnz; i++) norm += (double)ax[i] * (double)ax[i];
    PG_RETURN_FLOAT8(sqrt(norm));
}

// Returns a scaled to unit length (SQL: l2_normalize(sparsevec)); the zero vector unchanged.
// Elements that underflow to zero are dropped, so the result keeps the no-zeros invariant.
Datum sparsevec_l2_normalize(PG_FUNCTION_ARGS) {
    SparseVector* a = PG_GETARG_SPARSEVEC_P(0);
    const float* ax = SPARSEVEC_VALUES(a);
    double norm = 0.0;
    for (int i = 0; i < a->nnz; i++) norm += (double)ax[i] * (double)ax[i];
    norm = sqrt(norm);
    if (!(norm > 0)) {
        SparseVector* zero = InitSparseVector(a->dim, a->nnz);
        memcpy(zero->indices, a->indices, sizeof(int32) * a->nnz);
        memcpy(SPARSEVEC_VALUES(zero), ax, sizeof(float) * a->nnz);
        PG_RETURN_SPARSEVEC_P(zero);
    }
    float* scaled = (float*)palloc(sizeof(float) * Max(a->nnz, 1));
    int kept = 0;
    for (int i = 0; i < a->nnz; i++) {
        scaled[i] = (float)(ax[i] / norm);
        if (isinf(scaled[i])) float_overflow_error();
        if (scaled[i] != 0) kept++;
    }
    SparseVector* result = InitSparseVector(a->dim, kept);
    float* rx = SPARSEVEC_VALUES(result);
    for (int i = 0, j = 0; i < a->nnz; i++) {
        if (scaled[i] == 0) continue;
        result->indices[j] = a->indices[i];
        rx[j++] = scaled[i];
    }
    pfree(scaled);
    PG_RETURN_SPARSEVEC_P(result);
}

}  // extern "C"
