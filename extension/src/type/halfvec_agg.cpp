// type/halfvec_agg.cpp — avg(halfvec): transition and final functions (the combine function is
// vector_combine: the state is the same {n, sums...} double precision[], type/agg_state.h).
// sum(halfvec) uses halfvec_add as transition and combine function.
#include "type/agg_state.h"
#include "type/halfvec.h"

extern "C" {

PG_FUNCTION_INFO_V1(halfvec_accum);
PG_FUNCTION_INFO_V1(halfvec_avg);

// Adds one halfvec to the running {n, sums...} state.
Datum halfvec_accum(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    HalfVector* vec = PG_GETARG_HALFVEC_P(1);
    PG_RETURN_ARRAYTYPE_P(AggAccumulate(fcinfo, state, "halfvec_accum", vec->dim,
                                        [vec](int i) { return (double)jade::ext::HalfToFloat(vec->x[i]); }));
}

// Returns sums / n as a halfvec, or NULL when no row was aggregated.
Datum halfvec_avg(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    float8* values = AggStateValues(state, "halfvec_avg");
    float8 n = values[0];
    if (n == 0) PG_RETURN_NULL();
    int dim = AggStateDims(state);
    HalfvecCheckDim(dim);
    HalfVector* result = InitHalfVector(dim);
    for (int i = 0; i < dim; i++) {
        result->x[i] = FloatToHalfChecked((float)(values[i + 1] / n));
        HalfvecCheckElement(result->x[i]);
    }
    PG_RETURN_HALFVEC_P(result);
}

}  // extern "C"
