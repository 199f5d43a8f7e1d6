// type/vector_agg.cpp — avg(vector): transition, combine and final functions.
//
// The state is a double precision[] {n, sum_1, ..., sum_dim} (pgvector's layout, so the
// aggregate is declared with the same SQL objects). Sums are kept in double so averaging many
// float4 vectors loses no precision; the combine function merges partial states of parallel
// workers. sum(vector) needs no code here: its transition and combine function is vector_add.
//
// Inside an aggregate the state array is updated in place (as float8_accum does): the state
// lives in the aggregate's memory context and nothing else references it, so rebuilding a
// dim+1 element array per row would be pure overhead.
#include "type/vector.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/float.h"
}

namespace {

// Returns the state's values after checking it is a 1-D double precision[] without NULLs.
float8* StateValues(ArrayType* state, int* nvalues, const char* caller) {
    if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] < 1 || ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
        elog(ERROR, "%s: expected a non-empty double precision[] state without nulls", caller);
    *nvalues = ARR_DIMS(state)[0];
    return (float8*)ARR_DATA_PTR(state);
}

// Returns a new 1-D double precision[] holding values[0..n).
ArrayType* MakeState(const float8* values, int n) {
    Datum* datums = (Datum*)palloc(sizeof(Datum) * n);
    for (int i = 0; i < n; i++) datums[i] = Float8GetDatum(values[i]);
    ArrayType* result = construct_array(datums, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    pfree(datums);
    return result;
}

// Raises 22003 if a running sum overflowed double.
inline void CheckSum(double v) {
    if (isinf(v)) float_overflow_error();
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(vector_accum);
PG_FUNCTION_INFO_V1(vector_combine);
PG_FUNCTION_INFO_V1(vector_avg);

// Adds one vector to the running {n, sums...} state.
Datum vector_accum(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    Vector* vec = PG_GETARG_VECTOR_P(1);
    int nvalues;
    float8* values = StateValues(state, &nvalues, "vector_accum");
    float8 n = values[0];

    if (n == 0) {
        // First row (INITCOND '{0}'): the state takes its size from this vector.
        float8* fresh = (float8*)palloc(sizeof(float8) * (vec->dim + 1));
        fresh[0] = 1;
        for (int i = 0; i < vec->dim; i++) fresh[i + 1] = (double)vec->x[i];
        PG_RETURN_ARRAYTYPE_P(MakeState(fresh, vec->dim + 1));
    }
    // pgvector reports a mixed-size avg() as a typmod-style mismatch; keep its message.
    CheckExpectedDim(nvalues - 1, vec->dim);

    if (AggCheckCallContext(fcinfo, NULL)) {
        values[0] = n + 1;
        for (int i = 0; i < vec->dim; i++) {
            values[i + 1] += (double)vec->x[i];
            CheckSum(values[i + 1]);
        }
        PG_RETURN_ARRAYTYPE_P(state);
    }
    // Called as a plain function: never modify the caller's array.
    float8* copy = (float8*)palloc(sizeof(float8) * nvalues);
    copy[0] = n + 1;
    for (int i = 0; i < vec->dim; i++) {
        copy[i + 1] = values[i + 1] + (double)vec->x[i];
        CheckSum(copy[i + 1]);
    }
    PG_RETURN_ARRAYTYPE_P(MakeState(copy, nvalues));
}

// Merges two partial states (parallel aggregation).
Datum vector_combine(PG_FUNCTION_ARGS) {
    ArrayType* state1 = PG_GETARG_ARRAYTYPE_P(0);
    ArrayType* state2 = PG_GETARG_ARRAYTYPE_P(1);
    int n1, n2;
    float8* v1 = StateValues(state1, &n1, "vector_combine");
    float8* v2 = StateValues(state2, &n2, "vector_combine");

    if (v2[0] == 0) PG_RETURN_ARRAYTYPE_P(MakeState(v1, n1));
    if (v1[0] == 0) PG_RETURN_ARRAYTYPE_P(MakeState(v2, n2));
    CheckExpectedDim(n1 - 1, n2 - 1);
    float8* merged = (float8*)palloc(sizeof(float8) * n1);
    merged[0] = v1[0] + v2[0];
    for (int i = 1; i < n1; i++) {
        merged[i] = v1[i] + v2[i];
        CheckSum(merged[i]);
    }
    PG_RETURN_ARRAYTYPE_P(MakeState(merged, n1));
}

// Returns sums / n as a vector, or NULL when no row was aggregated.
Datum vector_avg(PG_FUNCTION_ARGS) {
    ArrayType* state = PG_GETARG_ARRAYTYPE_P(0);
    int nvalues;
    float8* values = StateValues(state, &nvalues, "vector_avg");
    float8 n = values[0];
    if (n == 0) PG_RETURN_NULL();
    int dim = nvalues - 1;
    CheckDim(dim);
    Vector* result = InitVector(dim);
    for (int i = 0; i < dim; i++) {
        result->x[i] = (float)(values[i + 1] / n);
        CheckElement(result->x[i]);
    }
    PG_RETURN_VECTOR_P(result);
}

}  // extern "C"
