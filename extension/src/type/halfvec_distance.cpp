// type/halfvec_distance.cpp — distance functions and operators on `halfvec`, plus its norm and
// normalization.
//
// The arithmetic is distance/'s halfvec kernels (F16C widening when the CPU has it), which
// accumulate in float exactly as the `vector` kernels do; results are converted to double as
// pgvector does. SQL names: l2_distance(halfvec, halfvec) is the C function halfvec_l2_distance,
// and so on (extension/sql/23_halfvec_functions.sql).
#include "type/halfvec.h"

extern "C" {
#include "utils/float.h"
}

#include "distance/distance.h"

extern "C" {

PG_FUNCTION_INFO_V1(halfvec_l2_distance);
PG_FUNCTION_INFO_V1(halfvec_l2_squared_distance);
PG_FUNCTION_INFO_V1(halfvec_inner_product);
PG_FUNCTION_INFO_V1(halfvec_negative_inner_product);
PG_FUNCTION_INFO_V1(halfvec_cosine_distance);
PG_FUNCTION_INFO_V1(halfvec_spherical_distance);
PG_FUNCTION_INFO_V1(halfvec_l1_distance);
PG_FUNCTION_INFO_V1(halfvec_l2_norm);
PG_FUNCTION_INFO_V1(halfvec_l2_normalize);

// Returns the Euclidean distance (operator <->).
Datum halfvec_l2_distance(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8(sqrt((double)jade::ext::HalfL2SquaredDistance(a->x, b->x, a->dim)));
}

// Returns the squared Euclidean distance (what the L2 index opclasses order by).
Datum halfvec_l2_squared_distance(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::HalfL2SquaredDistance(a->x, b->x, a->dim));
}

// Returns the inner product.
Datum halfvec_inner_product(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::HalfInnerProduct(a->x, b->x, a->dim));
}

// Returns the negated inner product (operator <#>).
Datum halfvec_negative_inner_product(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8(-(double)jade::ext::HalfInnerProduct(a->x, b->x, a->dim));
}

// Returns 1 - cosine similarity (operator <=>); NaN when either vector is all zeros.
Datum halfvec_cosine_distance(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8(jade::ext::HalfCosineDistance(a->x, b->x, a->dim));
}

// Returns the angle between two unit vectors scaled to [0, 1].
Datum halfvec_spherical_distance(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    double dp = (double)jade::ext::HalfInnerProduct(a->x, b->x, a->dim);
    // Rounding can push |dp| slightly above 1 for unit vectors; acos would return NaN.
    if (dp > 1)
        dp = 1;
    else if (dp < -1)
        dp = -1;
    PG_RETURN_FLOAT8(acos(dp) / M_PI);
}

// Returns the taxicab distance (operator <+>).
Datum halfvec_l1_distance(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    HalfvecCheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::HalfL1Distance(a->x, b->x, a->dim));
}

// Returns the Euclidean norm, accumulated in double (SQL: l2_norm(halfvec)).
Datum halfvec_l2_norm(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    double norm = 0.0;
    for (int i = 0; i < a->dim; i++) {
        double x = (double)jade::ext::HalfToFloat(a->x[i]);
        norm += x * x;
    }
    PG_RETURN_FLOAT8(sqrt(norm));
}

// Returns a scaled to unit length, rounded to half; the zero vector is returned unchanged.
Datum halfvec_l2_normalize(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* result = InitHalfVector(a->dim);
    double norm = 0.0;
    for (int i = 0; i < a->dim; i++) {
        double x = (double)jade::ext::HalfToFloat(a->x[i]);
        norm += x * x;
    }
    norm = sqrt(norm);
    if (norm > 0) {
        for (int i = 0; i < a->dim; i++)
            result->x[i] = jade::ext::FloatToHalf((float)(jade::ext::HalfToFloat(a->x[i]) / norm));
        // Subnormal inputs can have a norm so small that the quotient overflows half.
        for (int i = 0; i < a->dim; i++) {
            if (jade::ext::HalfIsInf(result->x[i])) float_overflow_error();
        }
    }
    PG_RETURN_HALFVEC_P(result);
}

}  // extern "C"
