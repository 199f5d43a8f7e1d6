// type/halfvec_cast.cpp — casts between `halfvec` and `vector` and arrays: integer[], real[],
// double precision[], numeric[] and vector to halfvec; halfvec to vector and real[] (pgvector's
// set and contexts, extension/sql/24_halfvec_casts.sql).
//
// Every value is rounded to the nearest half; a finite value beyond the half range is an error
// naming it ("\"70000\" is out of range for type halfvec", 22003), never a stored infinity.
#include "type/halfvec.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
}

#include "type/array_input.h"
#include "type/dense_text.h"
#include "type/vector.h"

uint16 FloatToHalfChecked(float value) {
    uint16 h = jade::ext::FloatToHalf(value);
    if (jade::ext::HalfIsInf(h) && !std::isinf(value)) {
        char buf[32];
        buf[PgFloatText(value, buf)] = '\0';
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                        errmsg("\"%s\" is out of range for type halfvec", buf)));
    }
    return h;
}

extern "C" {

PG_FUNCTION_INFO_V1(array_to_halfvec);
PG_FUNCTION_INFO_V1(halfvec_to_float4);
PG_FUNCTION_INFO_V1(vector_to_halfvec);
PG_FUNCTION_INFO_V1(halfvec_to_vector);

// Converts a one-dimensional array without NULLs to a halfvec, enforcing the target typmod.
// One C function serves the four SQL signatures; the element type is read from the array.
Datum array_to_halfvec(PG_FUNCTION_ARGS) {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    int nelems;
    Oid elem_type;
    Datum* elems = DeconstructVectorArray(array, &nelems, &elem_type);
    HalfvecCheckDim(nelems);
    CheckExpectedDim(typmod, nelems);
    float* x = (float*)palloc(sizeof(float) * nelems);
    ArrayElementsToFloats(elems, nelems, elem_type, x);
    pfree(elems);
    HalfVector* result = InitHalfVector(nelems);
    for (int i = 0; i < nelems; i++) result->x[i] = FloatToHalfChecked(x[i]);
    pfree(x);
    for (int i = 0; i < nelems; i++) HalfvecCheckElement(result->x[i]);
    PG_RETURN_HALFVEC_P(result);
}

// Converts a halfvec to real[].
Datum halfvec_to_float4(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    Datum* datums = (Datum*)palloc(sizeof(Datum) * vec->dim);
    for (int i = 0; i < vec->dim; i++) datums[i] = Float4GetDatum(jade::ext::HalfToFloat(vec->x[i]));
    ArrayType* result = construct_array(datums, vec->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
    pfree(datums);
    PG_RETURN_POINTER(result);
}

// Converts a vector to halfvec, rounding each element (an IMPLICIT cast, as in pgvector).
Datum vector_to_halfvec(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    HalfvecCheckDim(vec->dim);
    CheckExpectedDim(typmod, vec->dim);
    HalfVector* result = InitHalfVector(vec->dim);
    for (int i = 0; i < vec->dim; i++) result->x[i] = FloatToHalfChecked(vec->x[i]);
    PG_RETURN_HALFVEC_P(result);
}

// Converts a halfvec to vector (exact: every half is a float).
Datum halfvec_to_vector(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    CheckDim(vec->dim);
    CheckExpectedDim(typmod, vec->dim);
    Vector* result = InitVector(vec->dim);
    jade::ext::HalfToFloatArray(vec->x, result->x, vec->dim);
    PG_RETURN_VECTOR_P(result);
}

}  // extern "C"
