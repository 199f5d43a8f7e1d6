// type/halfvec.h — the `halfvec` type's layout (half-precision vectors) and the helpers every
// PG-regime file uses to read, build and validate them.
//
// The layout is pgvector's, byte for byte (dump/restore and binary COPY move data unchanged):
//
//   int32  vl_len_   varlena header (4-byte form; SET_VARSIZE / VARSIZE only)
//   int16  dim       number of elements, 1..HALFVEC_MAX_DIM
//   int16  unused    always zero
//   uint16 x[dim]    IEEE 754 binary16 bit patterns (distance/half.h), never NaN or ±Infinity
//
// Validation helpers ereport and must only be called where no C++ object with a destructor is
// alive; messages and SQLSTATEs are pgvector's.
#pragma once

#include "pg/pg_headers.h"

#include <cmath>
#include <cstddef>

#include "distance/half.h"

#define HALFVEC_MAX_DIM 16000

struct HalfVector {
    int32 vl_len_;  // varlena header (do not touch directly!)
    int16 dim;      // number of dimensions
    int16 unused;   // reserved for future use, always zero
    uint16 x[FLEXIBLE_ARRAY_MEMBER];
};

#define HALFVEC_SIZE(_dim) (offsetof(HalfVector, x) + sizeof(uint16) * (_dim))
#define DatumGetHalfVector(x) ((HalfVector*)PG_DETOAST_DATUM(x))
#define PG_GETARG_HALFVEC_P(x) DatumGetHalfVector(PG_GETARG_DATUM(x))
#define PG_RETURN_HALFVEC_P(x) PG_RETURN_POINTER(x)

// Allocates a zero-filled halfvec of dim elements in CurrentMemoryContext (dim already checked).
static inline HalfVector* InitHalfVector(int dim) {
    Size size = HALFVEC_SIZE(dim);
    HalfVector* result = (HalfVector*)palloc0(size);
    SET_VARSIZE(result, size);
    result->dim = (int16)dim;
    return result;
}

// Rejects a dimension count outside 1..HALFVEC_MAX_DIM.
static inline void HalfvecCheckDim(int dim) {
    if (dim < 1) ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("halfvec must have at least 1 dimension")));
    if (dim > HALFVEC_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("halfvec cannot have more than %d dimensions", HALFVEC_MAX_DIM)));
}

// Rejects two operands of different dimension counts.
static inline void HalfvecCheckDims(const HalfVector* a, const HalfVector* b) {
    if (a->dim != b->dim)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_EXCEPTION), errmsg("different halfvec dimensions %d and %d", a->dim, b->dim)));
}

// Rejects NaN and ±Infinity elements.
static inline void HalfvecCheckElement(uint16 value) {
    if (jade::ext::HalfIsNan(value))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in halfvec")));
    if (jade::ext::HalfIsInf(value))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in halfvec")));
}

// Converts a float to half, raising 22003 when a finite value overflows the half range
// ("\"70000\" is out of range for type halfvec", pgvector's message). NaN and infinite inputs
// convert unchanged; HalfvecCheckElement rejects them.
uint16 FloatToHalfChecked(float value);
