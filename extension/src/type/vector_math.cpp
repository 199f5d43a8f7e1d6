// type/vector_math.cpp — element-wise arithmetic and structural functions on `vector`:
// + - * (vector_add/sub/mul), || (vector_concat), subvector, vector_dims, binary_quantize.
//
// Results must stay finite (no stored vector holds NaN or ±Infinity): an element that overflows
// raises 22003 "value out of range: overflow", a product that underflows to zero from nonzero
// factors raises 22003 "value out of range: underflow", as float4 arithmetic and pgvector do.
#include "type/vector.h"

extern "C" {
#include "utils/float.h"
#include "utils/varbit.h"
}

namespace {

// Raises 22003 if any element of v overflowed to ±Infinity.
void CheckOverflow(const Vector* v) {
    for (int i = 0; i < v->dim; i++) {
        if (isinf(v->x[i])) float_overflow_error();
    }
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(vector_add);
PG_FUNCTION_INFO_V1(vector_sub);
PG_FUNCTION_INFO_V1(vector_mul);
PG_FUNCTION_INFO_V1(vector_concat);
PG_FUNCTION_INFO_V1(subvector);
PG_FUNCTION_INFO_V1(vector_dims);
PG_FUNCTION_INFO_V1(binary_quantize);

// Returns a + b element-wise (operator +; also the sum(vector) transition function).
Datum vector_add(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    Vector* result = InitVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = a->x[i] + b->x[i];
    CheckOverflow(result);
    PG_RETURN_VECTOR_P(result);
}

// Returns a - b element-wise (operator -).
Datum vector_sub(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    Vector* result = InitVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = a->x[i] - b->x[i];
    CheckOverflow(result);
    PG_RETURN_VECTOR_P(result);
}

// Returns a * b element-wise (operator *).
Datum vector_mul(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    Vector* result = InitVector(a->dim);
    for (int i = 0; i < a->dim; i++) result->x[i] = a->x[i] * b->x[i];
    CheckOverflow(result);
    for (int i = 0; i < a->dim; i++) {
        if (result->x[i] == 0 && !(a->x[i] == 0 || b->x[i] == 0)) float_underflow_error();
    }
    PG_RETURN_VECTOR_P(result);
}

// Returns a followed by b (operator ||).
Datum vector_concat(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    int dim = a->dim + b->dim;
    CheckDim(dim);
    Vector* result = InitVector(dim);
    memcpy(result->x, a->x, sizeof(float) * a->dim);
    memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);
    PG_RETURN_VECTOR_P(result);
}

// Returns count elements starting at 1-based position start, clipped like substring();
// an empty result is an error because a vector has at least one element.
Datum subvector(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    int32 start = PG_GETARG_INT32(1);
    int32 count = PG_GETARG_INT32(2);
    if (count < 1) CheckDim(0);
    // end = start + count without int32 overflow: both a->dim and count are positive here.
    int32 end = (start > a->dim - count) ? a->dim + 1 : start + count;
    if (start < 1)
        start = 1;
    else if (start > a->dim)
        CheckDim(0);
    int dim = end - start;
    CheckDim(dim);
    Vector* result = InitVector(dim);
    memcpy(result->x, a->x + (start - 1), sizeof(float) * dim);
    PG_RETURN_VECTOR_P(result);
}

// Returns the number of dimensions.
Datum vector_dims(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    PG_RETURN_INT32(a->dim);
}

// Returns bit(dim) with bit i set when element i is positive (pgvector's binary quantization).
Datum binary_quantize(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    VarBit* result = (VarBit*)palloc0(VARBITTOTALLEN(a->dim));
    SET_VARSIZE(result, VARBITTOTALLEN(a->dim));
    VARBITLEN(result) = a->dim;
    bits8* bits = VARBITS(result);
    for (int i = 0; i < a->dim; i++) {
        if (a->x[i] > 0) bits[i / 8] |= (bits8)(1 << (7 - (i % 8)));
    }
    PG_RETURN_VARBIT_P(result);
}

}  // extern "C"
