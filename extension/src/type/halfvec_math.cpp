// type/halfvec_math.cpp — element-wise arithmetic and structural functions on `halfvec`:
// + - * (halfvec_add/sub/mul), || (halfvec_concat), subvector, vector_dims, binary_quantize.
//
// Arithmetic is done in float and the result rounded to half, as pgvector does on x86 (where it
// has no native _Float16 arithmetic), so results equal pgvector's bit for bit. A result that overflows to infinity raises 22003 "value out of range: overflow";
// a product that underflows to zero from non-zero factors raises "... underflow".
#include "type/halfvec.h"

extern "C" {
#include "utils/float.h"
#include "utils/varbit.h"
}

namespace {

using jade::ext::FloatToHalf;
using jade::ext::HalfIsInf;
using jade::ext::HalfIsZero;
using jade::ext::HalfToFloat;

// Raises 22003 if any element overflowed to ±Infinity.
void CheckOverflow(const HalfVector* v) {
    for (int i = 0; i < v->dim; i++) {
        if (HalfIsInf(v->x[i])) float_overflow_error();
    }
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(halfvec_add);
PG_FUNCTION_INFO_V1(halfvec_sub);
PG_FUNCTION_INFO_V1(halfvec_mul);
PG_FUNCTION_INFO_V1(halfvec_concat);
PG_FUNCTION_INFO_V1(halfvec_subvector);
PG_FUNCTION_INFO_V1(halfvec_vector_dims);
PG_FUNCTION_INFO_V1(halfvec_binary_quantize);

// Returns a + b element-wise (operator +; also the sum(halfvec) transition function).
Datum halfvec_add(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    HalfVector* result = InitHalfVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = FloatToHalf(HalfToFloat(a->x[i]) + HalfToFloat(b->x[i]));
    CheckOverflow(result);
    PG_RETURN_HALFVEC_P(result);
}

// Returns a - b element-wise (operator -).
Datum halfvec_sub(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    HalfVector* result = InitHalfVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = FloatToHalf(HalfToFloat(a->x[i]) - HalfToFloat(b->x[i]));
    CheckOverflow(result);
    PG_RETURN_HALFVEC_P(result);
}

// Returns a * b element-wise (operator *).
Datum halfvec_mul(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    HalfVector* result = InitHalfVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = FloatToHalf(HalfToFloat(a->x[i]) * HalfToFloat(b->x[i]));
    CheckOverflow(result);
    for (int i = 0; i < a->dim; i++) {
        if (HalfIsZero(result->x[i]) && !(HalfIsZero(a->x[i]) || HalfIsZero(b->x[i]))) float_underflow_error();
    }
    PG_RETURN_HALFVEC_P(result);
}

// Returns a followed by b (operator ||).
Datum halfvec_concat(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    int dim = a->dim + b->dim;
    HalfvecCheckDim(dim);
    HalfVector* result = InitHalfVector(dim);
    memcpy(result->x, a->x, sizeof(uint16) * a->dim);
    memcpy(result->x + a->dim, b->x, sizeof(uint16) * b->dim);
    PG_RETURN_HALFVEC_P(result);
}

// Returns count elements starting at 1-based position start, clipped like substring()
// (SQL: subvector(halfvec, int, int)); an empty result is an error.
Datum halfvec_subvector(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    int32 start = PG_GETARG_INT32(1);
    int32 count = PG_GETARG_INT32(2);
    if (count < 1) HalfvecCheckDim(0);
    // end = start + count without int32 overflow: both a->dim and count are positive here.
    int32 end = (start > a->dim - count) ? a->dim + 1 : start + count;
    if (start < 1)
        start = 1;
    else if (start > a->dim)
        HalfvecCheckDim(0);
    int dim = end - start;
    HalfvecCheckDim(dim);
    HalfVector* result = InitHalfVector(dim);
    memcpy(result->x, a->x + (start - 1), sizeof(uint16) * dim);
    PG_RETURN_HALFVEC_P(result);
}

// Returns the number of dimensions (SQL: vector_dims(halfvec)).
Datum halfvec_vector_dims(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    PG_RETURN_INT32(a->dim);
}

// Returns bit(dim) with bit i set when element i is positive (SQL: binary_quantize(halfvec)).
Datum halfvec_binary_quantize(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    VarBit* result = (VarBit*)palloc0(VARBITTOTALLEN(a->dim));
    SET_VARSIZE(result, VARBITTOTALLEN(a->dim));
    VARBITLEN(result) = a->dim;
    bits8* bits = VARBITS(result);
    for (int i = 0; i < a->dim; i++) {
        // Positive: sign bit clear and not zero (no NaN is ever stored).
        if ((a->x[i] & 0x8000) == 0 && !HalfIsZero(a->x[i])) bits[i / 8] |= (bits8)(1 << (7 - (i % 8)));
    }
    PG_RETURN_VARBIT_P(result);
}

}  // extern "C"
