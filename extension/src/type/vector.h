// type/vector.h — the `vector` type's on-disk/in-memory layout and the helpers every PG-regime
// file uses to read, build and validate vectors (type functions, index access methods).
//
// The layout is pgvector's, byte for byte, so a dump/restore or a binary COPY moves data between
// pgvector and jadevector unchanged:
//
//   int32 vl_len_   varlena header (4-byte form; use SET_VARSIZE / VARSIZE, never touch directly)
//   int16 dim       number of elements, 1..VECTOR_MAX_DIM
//   int16 unused    always zero (reserved, as in pgvector)
//   float x[dim]    the elements, native float4, never NaN or ±Infinity
//
// Values arrive detoasted through DatumGetVector / PG_GETARG_VECTOR_P (storage is `extended`, so
// large vectors may be compressed or stored out of line). All validation helpers ereport and
// therefore must only be called where no C++ object with a destructor is alive.
#pragma once

#include "pg/pg_headers.h"

#include <cmath>
#include <cstddef>

#define VECTOR_MAX_DIM 16000

struct Vector {
    int32 vl_len_;  // varlena header (do not touch directly!)
    int16 dim;      // number of dimensions
    int16 unused;   // reserved for future use, always zero
    float x[FLEXIBLE_ARRAY_MEMBER];
};

#define VECTOR_SIZE(_dim) (offsetof(Vector, x) + sizeof(float) * (_dim))
#define DatumGetVector(x) ((Vector*)PG_DETOAST_DATUM(x))
#define PG_GETARG_VECTOR_P(x) DatumGetVector(PG_GETARG_DATUM(x))
#define PG_RETURN_VECTOR_P(x) PG_RETURN_POINTER(x)

// Allocates a zero-filled vector of dim elements in CurrentMemoryContext (dim already checked).
static inline Vector* InitVector(int dim) {
    Size size = VECTOR_SIZE(dim);
    Vector* result = (Vector*)palloc0(size);
    SET_VARSIZE(result, size);
    result->dim = (int16)dim;
    return result;
}

// Rejects a dimension count outside 1..VECTOR_MAX_DIM with pgvector's messages and SQLSTATEs.
static inline void CheckDim(int dim) {
    if (dim < 1) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("vector must have at least 1 dimension")));
    if (dim > VECTOR_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
}

// Rejects a vector whose dimension count differs from the column's typmod (-1 = unconstrained).
static inline void CheckExpectedDim(int32 typmod, int dim) {
    if (typmod != -1 && typmod != dim)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected %d dimensions, not %d", typmod, dim)));
}

// Rejects two operands of different dimension counts (binary operators, distances, aggregates).
static inline void CheckDims(const Vector* a, const Vector* b) {
    if (a->dim != b->dim)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_EXCEPTION), errmsg("different vector dimensions %d and %d", a->dim, b->dim)));
}

// Rejects NaN and ±Infinity elements, which no stored vector may contain.
static inline void CheckElement(float value) {
    if (std::isnan(value)) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in vector")));
    if (std::isinf(value))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in vector")));
}
