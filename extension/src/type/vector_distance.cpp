// type/vector_distance.cpp — distance functions and operators on `vector`, plus the norm helpers.
//
// The arithmetic lives in distance/ (SIMD kernels, C++ regime, no-throw); this file validates
// operands with the PG-regime helpers of type/vector.h and converts results exactly as pgvector
// does (float accumulation, then double), so ORDER BY results agree with pgvector.
//
// Zero vectors: cosine_distance and <=> return NaN (0/0), like pgvector; NaN sorts after every
// number in PostgreSQL, so such rows come last in an ascending ORDER BY.
#include "type/vector.h"

extern "C" {
#include "utils/float.h"
}

#include "distance/distance.h"

extern "C" {

PG_FUNCTION_INFO_V1(l2_distance);
PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
PG_FUNCTION_INFO_V1(inner_product);
PG_FUNCTION_INFO_V1(vector_negative_inner_product);
PG_FUNCTION_INFO_V1(cosine_distance);
PG_FUNCTION_INFO_V1(vector_spherical_distance);
PG_FUNCTION_INFO_V1(l1_distance);
PG_FUNCTION_INFO_V1(vector_norm);
PG_FUNCTION_INFO_V1(l2_normalize);

// Returns the Euclidean distance (operator <->).
Datum l2_distance(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8(sqrt((double)jade::ext::L2SquaredDistance(a->x, b->x, a->dim)));
}

// Returns the squared Euclidean distance (what the L2 index opclasses order by; no sqrt).
Datum vector_l2_squared_distance(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::L2SquaredDistance(a->x, b->x, a->dim));
}

// Returns the inner product.
Datum inner_product(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::InnerProduct(a->x, b->x, a->dim));
}

// Returns the negated inner product (operator <#>: smaller means more similar).
Datum vector_negative_inner_product(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8(-(double)jade::ext::InnerProduct(a->x, b->x, a->dim));
}

// Returns 1 - cosine similarity (operator <=>); NaN when either vector is all zeros.
Datum cosine_distance(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8(jade::ext::CosineDistance(a->x, b->x, a->dim));
}

// Returns the angle between two vectors assumed to be unit length, scaled to [0, 1]
// (pgvector's internal distance for cosine indexes over normalized data).
Datum vector_spherical_distance(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    double dp = (double)jade::ext::InnerProduct(a->x, b->x, a->dim);
    // Rounding can push |dp| slightly above 1 for unit vectors; acos would return NaN.
    if (dp > 1)
        dp = 1;
    else if (dp < -1)
        dp = -1;
    PG_RETURN_FLOAT8(acos(dp) / M_PI);
}

// Returns the taxicab distance (operator <+>).
Datum l1_distance(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    CheckDims(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::L1Distance(a->x, b->x, a->dim));
}

// Returns the Euclidean norm, accumulated in double as pgvector does (exact for large inputs).
Datum vector_norm(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    double norm = 0.0;
    for (int i = 0; i < a->dim; i++) norm += (double)a->x[i] * (double)a->x[i];
    PG_RETURN_FLOAT8(sqrt(norm));
}

// Returns a scaled to unit length; the zero vector is returned unchanged (as pgvector).
Datum l2_normalize(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* result = InitVector(a->dim);
    double norm = 0.0;
    for (int i = 0; i < a->dim; i++) norm += (double)a->x[i] * (double)a->x[i];
    norm = sqrt(norm);
    if (norm > 0) {
        for (int i = 0; i < a->dim; i++) result->x[i] = (float)(a->x[i] / norm);
        // Denormal inputs can have a norm so small that the quotient overflows float.
        for (int i = 0; i < a->dim; i++) {
            if (isinf(result->x[i])) float_overflow_error();
        }
    }
    PG_RETURN_VECTOR_P(result);
}

}  // extern "C"
