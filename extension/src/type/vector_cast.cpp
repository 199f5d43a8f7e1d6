// type/vector_cast.cpp — casts between `vector` and arrays: integer[], real[], double precision[]
// and numeric[] to vector (ASSIGNMENT casts, as pgvector), vector to real[] (IMPLICIT).
//
// Every element is checked after conversion: a double or numeric too large for float4 becomes
// an error, never a stored Infinity, and NaN is rejected ("NaN not allowed in vector").
#include "type/vector.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
}

extern "C" {

PG_FUNCTION_INFO_V1(array_to_vector);
PG_FUNCTION_INFO_V1(vector_to_float4);

// Converts a one-dimensional array without NULLs to a vector, enforcing the target typmod.
// One C function serves the four SQL signatures; the element type is read from the array.
Datum array_to_vector(PG_FUNCTION_ARGS) {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(0);
    int32 typmod = PG_GETARG_INT32(1);

    if (ARR_NDIM(array) > 1) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("array must be 1-D")));
    if (ARR_HASNULL(array) && array_contains_nulls(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls")));

    Oid elem_type = ARR_ELEMTYPE(array);
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
    Datum* elems;
    int nelems;
    deconstruct_array(array, elem_type, typlen, typbyval, typalign, &elems, NULL, &nelems);

    CheckDim(nelems);
    CheckExpectedDim(typmod, nelems);
    Vector* result = InitVector(nelems);
    switch (elem_type) {
        case INT4OID:
            for (int i = 0; i < nelems; i++) result->x[i] = (float)DatumGetInt32(elems[i]);
            break;
        case FLOAT4OID:
            for (int i = 0; i < nelems; i++) result->x[i] = DatumGetFloat4(elems[i]);
            break;
        case FLOAT8OID:
            // Out-of-range doubles become ±Infinity here and are rejected by CheckElement below.
            for (int i = 0; i < nelems; i++) result->x[i] = (float)DatumGetFloat8(elems[i]);
            break;
        case NUMERICOID:
            // numeric_float4 raises 22003 itself for values beyond float4's range.
            for (int i = 0; i < nelems; i++)
                result->x[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elems[i]));
            break;
        default:
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("unsupported array type")));
    }
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
