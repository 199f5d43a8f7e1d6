// type/sparsevec_cast.cpp — casts between `sparsevec` and `vector`, `halfvec` and arrays
// (pgvector's set and contexts, extension/sql/27_sparsevec_casts.sql): dense to sparse keeps the
// non-zero elements, sparse to dense fills the absent ones with zeros.
#include "type/sparsevec.h"

extern "C" {
#include "utils/array.h"
}

#include "type/array_input.h"
#include "type/halfvec.h"
#include "type/vector.h"

namespace {

// Builds a sparsevec from dim dense floats (non-zero ones kept), enforcing the typmod.
SparseVector* SparseFromDense(const float* x, int dim, int32 typmod) {
    SparsevecCheckDim(dim);
    CheckExpectedDim(typmod, dim);
    int nnz = 0;
    for (int i = 0; i < dim; i++) nnz += x[i] != 0;
    SparsevecCheckNnz(nnz, dim);
    SparseVector* result = InitSparseVector(dim, nnz);
    float* values = SPARSEVEC_VALUES(result);
    for (int i = 0, j = 0; i < dim; i++) {
        if (x[i] == 0) continue;
        result->indices[j] = i;
        values[j++] = x[i];
    }
    return result;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(vector_to_sparsevec);
PG_FUNCTION_INFO_V1(sparsevec_to_vector);
PG_FUNCTION_INFO_V1(halfvec_to_sparsevec);
PG_FUNCTION_INFO_V1(sparsevec_to_halfvec);
PG_FUNCTION_INFO_V1(array_to_sparsevec);

// Converts a vector to sparsevec (IMPLICIT, as in pgvector).
Datum vector_to_sparsevec(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    PG_RETURN_SPARSEVEC_P(SparseFromDense(vec->x, vec->dim, PG_GETARG_INT32(1)));
}

// Converts a sparsevec to vector; more than 16,000 dimensions cannot be dense.
Datum sparsevec_to_vector(PG_FUNCTION_ARGS) {
    SparseVector* svec = PG_GETARG_SPARSEVEC_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    CheckDim(svec->dim);
    CheckExpectedDim(typmod, svec->dim);
    Vector* result = InitVector(svec->dim);
    const float* values = SPARSEVEC_VALUES(svec);
    for (int i = 0; i < svec->nnz; i++) result->x[svec->indices[i]] = values[i];
    PG_RETURN_VECTOR_P(result);
}

// Converts a halfvec to sparsevec (IMPLICIT, as in pgvector).
Datum halfvec_to_sparsevec(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    float* x = (float*)palloc(sizeof(float) * vec->dim);
    jade::ext::HalfToFloatArray(vec->x, x, vec->dim);
    SparseVector* result = SparseFromDense(x, vec->dim, PG_GETARG_INT32(1));
    pfree(x);
    PG_RETURN_SPARSEVEC_P(result);
}

// Converts a sparsevec to halfvec, rounding each value to half.
Datum sparsevec_to_halfvec(PG_FUNCTION_ARGS) {
    SparseVector* svec = PG_GETARG_SPARSEVEC_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    HalfvecCheckDim(svec->dim);
    CheckExpectedDim(typmod, svec->dim);
    HalfVector* result = InitHalfVector(svec->dim);
    const float* values = SPARSEVEC_VALUES(svec);
    for (int i = 0; i < svec->nnz; i++) result->x[svec->indices[i]] = FloatToHalfChecked(values[i]);
    PG_RETURN_HALFVEC_P(result);
}

// Converts a one-dimensional array without NULLs to a sparsevec (its non-zero elements).
Datum array_to_sparsevec(PG_FUNCTION_ARGS) {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(0);
    int32 typmod = PG_GETARG_INT32(1);

    int nelems;
    Oid elem_type;
    Datum* elems = DeconstructVectorArray(array, &nelems, &elem_type);
    SparsevecCheckDim(nelems);
    CheckExpectedDim(typmod, nelems);
    // Converted first (numeric_float4 raises 22003 itself; double beyond float becomes ±Inf and
    // is rejected below), then the non-zero ones kept.
    float* x = (float*)palloc(sizeof(float) * nelems);
    ArrayElementsToFloats(elems, nelems, elem_type, x);
    pfree(elems);
    // pgvector counts a NaN as non-zero and rejects it when checking the kept elements; the
    // non-zero limit is checked first.
    int nnz = 0;
    for (int i = 0; i < nelems; i++) nnz += !(x[i] == 0);
    SparsevecCheckNnz(nnz, nelems);
    SparseVector* result = InitSparseVector(nelems, nnz);
    float* values = SPARSEVEC_VALUES(result);
    for (int i = 0, j = 0; i < nelems; i++) {
        if (x[i] == 0) continue;
        result->indices[j] = i;
        values[j++] = x[i];
    }
    pfree(x);
    for (int i = 0; i < nnz; i++) SparsevecCheckElement(values[i]);
    PG_RETURN_SPARSEVEC_P(result);
}

}  // extern "C"
