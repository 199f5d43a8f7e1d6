// type/vector_cast.cpp — casts between `vector` and arrays: integer[], real[], double precision[]
// and numeric[] to vector (ASSIGNMENT casts, as pgvector), vector to real[] (IMPLICIT).
//
// Every element is checked after conversion: a double or numeric too large for float4 becomes
// an error, never a stored Infinity, and NaN is rejected ("NaN not allowed in vector").
#include "type/vector.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
}

#include "type/array_input.h"

extern "C" {

PG_FUNCTION_INFO_V1(array_to_vector);
PG_FUNCTION_INFO_V1(vector_to_float4);

// Converts a one-dimensional array without NULLs to a vector, enforcing the target typmod.
// One C function serves the four SQL signatures; the element type is read from the array.
Datum array_to_vector(PG_FUNCTION_ARGS) {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    int nelems;
    Oid elem_type;
    Datum* elems = DeconstructVectorArray(array, &nelems, &elem_type);
    CheckDim(nelems);
    CheckExpectedDim(typmod, nelems);
    Vector* result = InitVector(nelems);
    ArrayElementsToFloats(elems, nelems, elem_type, result->x);
    pfree(elems);
    for (int i = 0; i < nelems; i++) CheckElement(result->x[i]);
    PG_RETURN_VECTOR_P(result);
}

// Converts a vector to real[] (the implicit cast lets array functions take vectors).
Datum vector_to_float4(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    Datum* datums = (Datum*)palloc(sizeof(Datum) * vec->dim);
    for (int i = 0; i < vec->dim; i++) datums[i] = Float4GetDatum(vec->x[i]);
    ArrayType* result = construct_array(datums, vec->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
    pfree(datums);
    PG_RETURN_POINTER(result);
}

}  // extern "C"
