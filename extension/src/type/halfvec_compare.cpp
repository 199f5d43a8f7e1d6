// type/halfvec_compare.cpp — total order and hashing for `halfvec`: the btree opclass (ORDER BY,
// DISTINCT, UNIQUE, GROUP BY, merge joins) and the hash opclass (hash joins and aggregation).
//
// Order (pgvector's): element by element as floats over the common prefix, then the shorter
// vector first. Elements are never NaN, so -0 equals +0; the hash folds -0 to +0 so that equal
// values hash alike.
#include "type/halfvec.h"

extern "C" {
#include "common/hashfn.h"
}

namespace {

// Returns -1, 0 or 1 as a sorts before, equal to or after b.
int HalfvecCompare(const HalfVector* a, const HalfVector* b) {
    int common = Min(a->dim, b->dim);
    for (int i = 0; i < common; i++) {
        float x = jade::ext::HalfToFloat(a->x[i]), y = jade::ext::HalfToFloat(b->x[i]);
        if (x < y) return -1;
        if (x > y) return 1;
    }
    if (a->dim < b->dim) return -1;
    if (a->dim > b->dim) return 1;
    return 0;
}

// Returns a palloc'd copy of the elements with -0 replaced by +0, the bytes the hash covers.
uint16* CanonicalElements(const HalfVector* a) {
    uint16* canon = (uint16*)palloc(sizeof(uint16) * a->dim);
    for (int i = 0; i < a->dim; i++) canon[i] = jade::ext::HalfIsZero(a->x[i]) ? 0 : a->x[i];
    return canon;
}

}  // namespace

// Each comparison operator frees detoasted copies, as btree support functions should.
#define JADE_HALFVEC_COMPARE(name, expr)     \
    PG_FUNCTION_INFO_V1(name);               \
    Datum name(PG_FUNCTION_ARGS) {           \
        HalfVector* a = PG_GETARG_HALFVEC_P(0); \
        HalfVector* b = PG_GETARG_HALFVEC_P(1); \
        int cmp = HalfvecCompare(a, b);      \
        PG_FREE_IF_COPY(a, 0);               \
        PG_FREE_IF_COPY(b, 1);               \
        PG_RETURN_BOOL(expr);                \
    }

extern "C" {

JADE_HALFVEC_COMPARE(halfvec_lt, cmp < 0)
JADE_HALFVEC_COMPARE(halfvec_le, cmp <= 0)
JADE_HALFVEC_COMPARE(halfvec_eq, cmp == 0)
JADE_HALFVEC_COMPARE(halfvec_ne, cmp != 0)
JADE_HALFVEC_COMPARE(halfvec_ge, cmp >= 0)
JADE_HALFVEC_COMPARE(halfvec_gt, cmp > 0)

PG_FUNCTION_INFO_V1(halfvec_cmp);
PG_FUNCTION_INFO_V1(halfvec_hash);
PG_FUNCTION_INFO_V1(halfvec_hash_extended);

// Returns the btree comparison result (support function 1 of the btree opclass).
Datum halfvec_cmp(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    HalfVector* b = PG_GETARG_HALFVEC_P(1);
    int cmp = HalfvecCompare(a, b);
    PG_FREE_IF_COPY(a, 0);
    PG_FREE_IF_COPY(b, 1);
    PG_RETURN_INT32(cmp);
}

// Returns a 32-bit hash consistent with halfvec_eq (hash opclass support function 1).
Datum halfvec_hash(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    uint16* canon = CanonicalElements(a);
    Datum h = hash_any((const unsigned char*)canon, (int)(sizeof(uint16) * a->dim));
    pfree(canon);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

// Returns a seeded 64-bit hash consistent with halfvec_hash.
Datum halfvec_hash_extended(PG_FUNCTION_ARGS) {
    HalfVector* a = PG_GETARG_HALFVEC_P(0);
    uint64 seed = (uint64)PG_GETARG_INT64(1);
    uint16* canon = CanonicalElements(a);
    Datum h = hash_any_extended((const unsigned char*)canon, (int)(sizeof(uint16) * a->dim), seed);
    pfree(canon);
    PG_FREE_IF_COPY(a, 0);
    return h;
}

}  // extern "C"
