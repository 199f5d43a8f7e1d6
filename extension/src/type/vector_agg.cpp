// type/vector_agg.cpp — avg(vector): transition, combine and final functions (state layout and
// shared steps in type/agg_state.h). vector_combine also serves avg(halfvec), as in pgvector.
// sum(vector) needs no code here: its transition and combine function is vector_add.
#include "type/agg_state.h"
#include "type/vector.h"

extern "C" {

PG_FUNCTION_INFO_V1(vector_accum);
PG_FUNCTION_INFO_V1(vector_combine);
PG_FUNCTION_INFO_V1(vector_avg);

// Adds one vector to the running {n, sums...} state.
Datum vector_accum(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    Vector* vec = PG_GETARG_VECTOR_P(1);
    PG_RETURN_ARRAYTYPE_P(
        AggAccumulate(fcinfo, state, "vector_accum", vec->dim, [vec](int i) { return (double)vec->x[i]; }));
}

// Merges two partial states (parallel aggregation); an empty side (n = 0) yields the other.
Datum vector_combine(PG_FUNCTION_ARGS) {
    ArrayType* state1 = PG_GETARG_ARRAYTYPE_P(0);
    ArrayType* state2 = PG_GETARG_ARRAYTYPE_P(1);
    float8* v1 = AggStateValues(state1, "vector_combine");
    float8* v2 = AggStateValues(state2, "vector_combine");
    if (v1[0] == 0.0 || v2[0] == 0.0) {
        ArrayType* nonempty = v1[0] == 0.0 ? state2 : state1;
        CheckDim(AggStateDims(nonempty));
        float8* v = v1[0] == 0.0 ? v2 : v1;
        PG_RETURN_ARRAYTYPE_P(MakeAggState(v, AggStateDims(nonempty) + 1));
    }
    int dim = AggStateDims(state1);
    CheckDim(dim);
    CheckExpectedDim(dim, AggStateDims(state2));
    float8* merged = (float8*)palloc(sizeof(float8) * (dim + 1));
    merged[0] = v1[0] + v2[0];
    for (int i = 1; i <= dim; i++) {
        merged[i] = v1[i] + v2[i];
        if (isinf(merged[i])) float_overflow_error();
    }
    PG_RETURN_ARRAYTYPE_P(MakeAggState(merged, dim + 1));
}

// Returns sums / n as a vector, or NULL when no row was aggregated.
Datum vector_avg(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    float8* values = AggStateValues(state, "vector_avg");
    float8 n = values[0];
    if (n == 0) PG_RETURN_NULL();
    int dim = AggStateDims(state);
    CheckDim(dim);
    Vector* result = InitVector(dim);
    for (int i = 0; i < dim; i++) {
        result->x[i] = (float)(values[i + 1] / n);
        CheckElement(result->x[i]);
    }
    PG_RETURN_VECTOR_P(result);
}

}  // extern "C"
