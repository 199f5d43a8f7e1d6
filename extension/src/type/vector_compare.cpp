// type/vector_compare.cpp — total order and hashing for `vector`: the btree opclass (ORDER BY,
// DISTINCT, UNIQUE, GROUP BY, merge joins) and the hash opclass (hash joins, hash aggregation,
// hash partitioning).
//
// Order (pgvector's): element by element over the common prefix, then the shorter vector first.
// Elements are never NaN, so float comparison is a total order in which -0 equals +0; the hash
// therefore folds -0 to +0, keeping "a = b implies hash(a) = hash(b)".
#include "type/vector.h"

extern "C" {
#include "common/hashfn.h"
#include "utils/fmgrprotos.h"
}

namespace {

// Returns -1, 0 or 1 as a sorts before, equal to or after b.
int VectorCompare(const Vector* a, const Vector* b) {
    int common = Min(a->dim, b->dim);
    for (int i = 0; i < common; i++) {
        if (a->x[i] < b->x[i]) return -1;
        if (a->x[i] > b->x[i]) return 1;
    }
    if (a->dim < b->dim) return -1;
    if (a->dim > b->dim) return 1;
    return 0;
}

// Returns a palloc'd copy of the elements with -0 replaced by +0, the bytes the hash covers.
float* CanonicalElements(const Vector* a) {
    float* canon = (float*)palloc(sizeof(float) * a->dim);
    for (int i = 0; i < a->dim; i++) canon[i] = a->x[i] == 0.0f ? 0.0f : a->x[i];
    return canon;
}

}  // namespace

// Each comparison operator frees detoasted copies, as btree support functions should.
#define JADE_VECTOR_COMPARE(name, expr)    \
    PG_FUNCTION_INFO_V1(name);             \
    Datum name(PG_FUNCTION_ARGS) {         \
        Vector* a = PG_GETARG_VECTOR_P(0); \
        Vector* b = PG_GETARG_VECTOR_P(1); \
        int cmp = VectorCompare(a, b);     \
        PG_FREE_IF_COPY(a, 0);             \
        PG_FREE_IF_COPY(b, 1);             \
        PG_RETURN_BOOL(expr);              \
    }

extern "C" {

JADE_VECTOR_COMPARE(vector_lt, cmp < 0)
JADE_VECTOR_COMPARE(vector_le, cmp <= 0)
JADE_VECTOR_COMPARE(vector_eq, cmp == 0)
JADE_VECTOR_COMPARE(vector_ne, cmp != 0)
JADE_VECTOR_COMPARE(vector_ge, cmp >= 0)
JADE_VECTOR_COMPARE(vector_gt, cmp > 0)

PG_FUNCTION_INFO_V1(vector_cmp);
PG_FUNCTION_INFO_V1(vector_hash);
PG_FUNCTION_INFO_V1(vector_hash_extended);

// Returns the btree comparison result (support function 1 of the btree opclass).
Datum vector_cmp(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    Vector* b = PG_GETARG_VECTOR_P(1);
    int cmp = VectorCompare(a, b);
    PG_FREE_IF_COPY(a, 0);
    PG_FREE_IF_COPY(b, 1);
    PG_RETURN_INT32(cmp);
}

// Returns a 32-bit hash consistent with vector_eq (hash opclass support function 1).
Datum vector_hash(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    float* canon = CanonicalElements(a);
    Datum h = hash_any((const unsigned char*)canon, (int)(sizeof(float) * a->dim));
    pfree(canon);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

// Returns a seeded 64-bit hash consistent with vector_hash (hash partitioning needs it).
Datum vector_hash_extended(PG_FUNCTION_ARGS) {
    Vector* a = PG_GETARG_VECTOR_P(0);
    uint64 seed = (uint64)PG_GETARG_INT64(1);
    float* canon = CanonicalElements(a);
    Datum h = hash_any_extended((const unsigned char*)canon, (int)(sizeof(float) * a->dim), seed);
    pfree(canon);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

}  // extern "C"
