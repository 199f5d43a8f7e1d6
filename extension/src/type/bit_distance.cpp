// type/bit_distance.cpp — Hamming and Jaccard distance on `bit` strings (operators <~> and <%>),
// pgvector's companions to binary_quantize(): `ORDER BY binary_quantize(v)::bit(n) <~> $1` is the
// usual binary-quantized first pass before re-ranking with an exact vector distance, and the
// bit_hamming_ops / bit_jaccard_ops index opclasses order by them.
//
// The counting is distance/'s POPCNT kernels (run-time dispatch); PostgreSQL keeps the padding
// bits of a bit string's last byte zero, so whole bytes are counted.
#include "pg/pg_headers.h"

extern "C" {
#include "utils/varbit.h"
}

#include "distance/distance.h"

namespace {

// Rejects bit strings of different lengths with pgvector's message.
void CheckBitLengths(VarBit* a, VarBit* b) {
    if (VARBITLEN(a) != VARBITLEN(b))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("different bit lengths %u and %u", VARBITLEN(a), VARBITLEN(b))));
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(hamming_distance);
PG_FUNCTION_INFO_V1(jaccard_distance);

// Returns the number of differing bits (operator <~>).
Datum hamming_distance(PG_FUNCTION_ARGS) {
    VarBit* a = PG_GETARG_VARBIT_P(0);
    VarBit* b = PG_GETARG_VARBIT_P(1);
    CheckBitLengths(a, b);
    PG_RETURN_FLOAT8((double)jade::ext::HammingDistance(VARBITS(a), VARBITS(b), VARBITBYTES(a)));
}

// Returns 1 - |a AND b| / |a OR b| (operator <%>); 1 when neither string has a bit set.
Datum jaccard_distance(PG_FUNCTION_ARGS) {
    VarBit* a = PG_GETARG_VARBIT_P(0);
    VarBit* b = PG_GETARG_VARBIT_P(1);
    CheckBitLengths(a, b);
    PG_RETURN_FLOAT8(jade::ext::JaccardDistance(VARBITS(a), VARBITS(b), VARBITBYTES(a)));
}

}  // extern "C"
