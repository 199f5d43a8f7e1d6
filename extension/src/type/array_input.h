// type/array_input.h — reading an SQL array as the elements of a vector value: what the casts
// integer[], real[], double precision[] and numeric[] -> vector / halfvec / sparsevec share.
//
// Two steps, so each type checks its own dimension limit (with its own message) in between:
// DeconstructVectorArray rejects a multi-dimensional array or one with NULLs (pgvector's messages
// and SQLSTATEs) and returns the elements; ArrayElementsToFloats converts them to float4 (numeric
// through numeric_float4, which raises 22003 beyond float4's range; double beyond it becomes ±Inf
// for the caller's element check). PG regime (ereport).
#pragma once

#include "pg/pg_headers.h"

extern "C" {
#include "utils/array.h"
}

// Returns the elements of a 1-D, NULL-free array and their count and type.
Datum* DeconstructVectorArray(ArrayType* array, int* nelems, Oid* elem_type);

// Converts n elements of type elem_type (int4, float4, float8, numeric) to floats in out[n];
// another element type is 22000 "unsupported array type".
void ArrayElementsToFloats(const Datum* elems, int n, Oid elem_type, float* out);
