// type/bit_distance.cpp — Hamming and Jaccard distance on `bit` strings (operators <~> and <%>),
// pgvector's companions to binary_quantize(vector): `ORDER BY binary_quantize(v)::bit(n) <~> $1`
// is the usual binary-quantized first pass before re-ranking with an exact vector distance.
//
// PostgreSQL keeps the padding bits of the last byte of a bit string zero, so whole bytes can
// be counted; the loops take 8 bytes at a time and let the compiler use POPCNT where available.
#include "pg/pg_headers.h"

extern "C" {
#include "utils/varbit.h"
}

#include <cstring>

namespace {

// Rejects bit strings of different lengths with pgvector's message.
void CheckBitLengths(VarBit* a, VarBit* b) {
    if (VARBITLEN(a) != VARBITLEN(b))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("different bit lengths %u and %u", VARBITLEN(a), VARBITLEN(b))));
}

// Loads 8 bytes from an unaligned address.
inline uint64 Load64(const bits8* p) {
    uint64 v;
    memcpy(&v, p, sizeof(v));
    return v;
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
    const bits8* ax = VARBITS(a);
    const bits8* bx = VARBITS(b);
    int nbytes = VARBITBYTES(a);
    uint64 distance = 0;
    int i = 0;
    for (; i + 8 <= nbytes; i += 8) distance += __builtin_popcountll(Load64(ax + i) ^ Load64(bx + i));
    for (; i < nbytes; i++) distance += __builtin_popcount((unsigned)(ax[i] ^ bx[i]));
    PG_RETURN_FLOAT8((double)distance);
}

// Returns 1 - |a AND b| / |a OR b| (operator <%>); 1 when neither string has a bit set.
Datum jaccard_distance(PG_FUNCTION_ARGS) {
    VarBit* a = PG_GETARG_VARBIT_P(0);
    VarBit* b = PG_GETARG_VARBIT_P(1);
    CheckBitLengths(a, b);
    const bits8* ax = VARBITS(a);
    const bits8* bx = VARBITS(b);
    int nbytes = VARBITBYTES(a);
    uint64 both = 0, count_a = 0, count_b = 0;
    int i = 0;
    for (; i + 8 <= nbytes; i += 8) {
        uint64 x = Load64(ax + i), y = Load64(bx + i);
        both += __builtin_popcountll(x & y);
        count_a += __builtin_popcountll(x);
        count_b += __builtin_popcountll(y);
    }
    for (; i < nbytes; i++) {
        both += __builtin_popcount((unsigned)(ax[i] & bx[i]));
        count_a += __builtin_popcount((unsigned)ax[i]);
        count_b += __builtin_popcount((unsigned)bx[i]);
    }
    if (both == 0) PG_RETURN_FLOAT8(1.0);
    PG_RETURN_FLOAT8(1.0 - ((double)both / (double)(count_a + count_b - both)));
}

}  // extern "C"
