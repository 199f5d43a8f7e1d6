// type/array_input.cpp — arrays as vector elements (array_input.h).
#include "type/array_input.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
}

Datum* DeconstructVectorArray(ArrayType* array, int* nelems, Oid* elem_type) {
    if (ARR_NDIM(array) > 1) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("array must be 1-D")));
    if (ARR_HASNULL(array) && array_contains_nulls(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls")));
    *elem_type = ARR_ELEMTYPE(array);
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(*elem_type, &typlen, &typbyval, &typalign);
    Datum* elems;
    deconstruct_array(array, *elem_type, typlen, typbyval, typalign, &elems, NULL, nelems);
    return elems;
}

void ArrayElementsToFloats(const Datum* elems, int n, Oid elem_type, float* out) {
    switch (elem_type) {
        case INT4OID:
            for (int i = 0; i < n; i++) out[i] = (float)DatumGetInt32(elems[i]);
            break;
        case FLOAT4OID:
            for (int i = 0; i < n; i++) out[i] = DatumGetFloat4(elems[i]);
            break;
        case FLOAT8OID:
            for (int i = 0; i < n; i++) out[i] = (float)DatumGetFloat8(elems[i]);
            break;
        case NUMERICOID:
            for (int i = 0; i < n; i++) out[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elems[i]));
            break;
        default:
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("unsupported array type")));
    }
}
