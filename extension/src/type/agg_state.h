// type/agg_state.h — the transition state of avg(vector) and avg(halfvec): a double precision[]
// {n, sum_1, ..., sum_dim} (pgvector's layout, INITCOND '{0}'), and the transition steps both
// aggregates share. Sums are kept in double so averaging many vectors loses no precision.
//
// Messages follow pgvector: a malformed state is "<function>: expected state array" (XX000: only a
// caller passing a hand-made array can cause it), a vector of another dimension than the state is
// "expected 3 dimensions, not 2" (22000). Inside an aggregate an existing state is updated in
// place (as float8_accum does): it lives in the aggregate's memory context and nothing else
// references it, so rebuilding a dim+1 element array per row would be pure overhead.
#pragma once

#include "pg/pg_headers.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/float.h"
}

#include "type/vector.h"

// Returns the state's values after checking it is a non-empty 1-D double precision[] without
// NULLs; the state's dimension is its length - 1.
static inline float8* AggStateValues(ArrayType* state, const char* caller) {
    if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] < 1 || ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
        elog(ERROR, "%s: expected state array", caller);
    return (float8*)ARR_DATA_PTR(state);
}

static inline int AggStateDims(ArrayType* state) { return ARR_DIMS(state)[0] - 1; }

// Returns a new 1-D double precision[] holding values[0..n).
static inline ArrayType* MakeAggState(const float8* values, int n) {
    Datum* datums = (Datum*)palloc(sizeof(Datum) * n);
    for (int i = 0; i < n; i++) datums[i] = Float8GetDatum(values[i]);
    ArrayType* result = construct_array(datums, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    pfree(datums);
    return result;
}

// Adds one vector of `dim` elements (element(i) as double) to the state. A state of dimension 0
// ('{0}', or any '{n}') takes its size from the vector; otherwise the dimensions must agree.
template <class Element>
ArrayType* AggAccumulate(FunctionCallInfo fcinfo, ArrayType* state, const char* caller, int dim, Element element) {
    float8* values = AggStateValues(state, caller);
    int state_dim = AggStateDims(state);
    if (state_dim == 0) {
        float8* fresh = (float8*)palloc(sizeof(float8) * (dim + 1));
        fresh[0] = values[0] + 1.0;
        for (int i = 0; i < dim; i++) fresh[i + 1] = element(i);
        return MakeAggState(fresh, dim + 1);
    }
    CheckExpectedDim(state_dim, dim);
    // In place inside an aggregate; a plain function call must never modify the caller's array.
    float8* out = AggCheckCallContext(fcinfo, NULL) ? values : (float8*)palloc(sizeof(float8) * (dim + 1));
    out[0] = values[0] + 1.0;
    for (int i = 0; i < dim; i++) {
        out[i + 1] = values[i + 1] + element(i);
        if (isinf(out[i + 1])) float_overflow_error();
    }
    return out == values ? state : MakeAggState(out, dim + 1);
}
