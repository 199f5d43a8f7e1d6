// type/halfvec_io.cpp — the `halfvec` type's I/O: text in/out, binary recv/send, typmod in/out
// and the length-coercion function behind `halfvec(n)`.
//
// The text form is `vector`'s (`[1,2.5,-3]`, parsed by text/vector_text.h): each number is read
// as a float and rounded to the nearest half; a finite number that rounds to a half infinity
// (magnitude 65520 or more) is out of range. Output prints each half as the shortest float text
// (pgvector's choice), so `v::text::halfvec = v` always holds. PG regime, no C++ object alive.
#include "type/halfvec.h"

extern "C" {
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include "text/vector_text.h"
#include "type/dense_text.h"
#include "type/vector.h"

extern "C" {

PG_FUNCTION_INFO_V1(halfvec_in);
PG_FUNCTION_INFO_V1(halfvec_out);
PG_FUNCTION_INFO_V1(halfvec_typmod_in);
PG_FUNCTION_INFO_V1(halfvec_typmod_out);
PG_FUNCTION_INFO_V1(halfvec_recv);
PG_FUNCTION_INFO_V1(halfvec_send);
PG_FUNCTION_INFO_V1(halfvec);

// Converts a text literal such as '[1,2,3]' to a halfvec, enforcing the column typmod.
Datum halfvec_in(PG_FUNCTION_ARGS) {
    char* literal = PG_GETARG_CSTRING(0);
    int32 typmod = PG_GETARG_INT32(2);
    float scratch[HALFVEC_MAX_DIM];
    jade::ext::text::ParseResult r =
        jade::ext::text::ParseVectorText(literal, scratch, HALFVEC_MAX_DIM, jade::ext::kHalfOverflowAt);
    ReportDenseParseError("halfvec", HALFVEC_MAX_DIM, literal, r);
    HalfvecCheckDim(r.dim);
    CheckExpectedDim(typmod, r.dim);
    HalfVector* result = InitHalfVector(r.dim);
    // In range by construction (the parser rejected magnitudes that round to infinity).
    jade::ext::FloatToHalfArray(scratch, result->x, r.dim);
    PG_RETURN_HALFVEC_P(result);
}

// Prints a halfvec as '[x1,x2,...]'.
Datum halfvec_out(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    char* buf = (char*)palloc(jade::ext::text::MaxVectorTextSize(vec->dim));
    char* p = buf;
    *p++ = '[';
    for (int i = 0; i < vec->dim; i++) {
        if (i > 0) *p++ = ',';
        p += PgFloatText(jade::ext::HalfToFloat(vec->x[i]), p);
    }
    *p++ = ']';
    *p = '\0';
    PG_FREE_IF_COPY(vec, 0);
    PG_RETURN_CSTRING(buf);
}

// Validates the n of halfvec(n) and stores it as the typmod.
Datum halfvec_typmod_in(PG_FUNCTION_ARGS) {
    ArrayType* ta = PG_GETARG_ARRAYTYPE_P(0);
    int n;
    int32* tl = ArrayGetIntegerTypmods(ta, &n);
    if (n != 1) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier")));
    if (*tl < 1)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("dimensions for type halfvec must be at least 1")));
    if (*tl > HALFVEC_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type halfvec cannot exceed %d", HALFVEC_MAX_DIM)));
    PG_RETURN_INT32(*tl);
}

// Prints a typmod as "(n)", or nothing for an unconstrained halfvec.
Datum halfvec_typmod_out(PG_FUNCTION_ARGS) {
    int32 typmod = PG_GETARG_INT32(0);
    PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

// Reads pgvector's binary format: int16 dim, int16 unused (0), dim big-endian binary16 values.
Datum halfvec_recv(PG_FUNCTION_ARGS) {
    StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
    int32 typmod = PG_GETARG_INT32(2);
    if (buf->len - buf->cursor < 2 * (int)sizeof(int16))
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary halfvec data is too short"),
                        errdetail("The 4-byte header is incomplete.")));
    // Signed on purpose: 0xFFFF must read as -1 and fail the dimension check, as in pgvector.
    int16 dim = (int16)pq_getmsgint(buf, sizeof(int16));
    int16 unused = (int16)pq_getmsgint(buf, sizeof(int16));
    HalfvecCheckDim(dim);
    CheckExpectedDim(typmod, dim);
    if (unused != 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected unused to be 0, not %d", unused)));
    if (buf->len - buf->cursor < (int)sizeof(uint16) * dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary halfvec data is too short"),
                        errdetail("The header announces %d elements (%d bytes) but %d bytes follow.", dim,
                                  (int)sizeof(uint16) * dim, buf->len - buf->cursor)));
    HalfVector* result = InitHalfVector(dim);
    for (int i = 0; i < dim; i++) {
        result->x[i] = (uint16)pq_getmsgint(buf, sizeof(uint16));
        HalfvecCheckElement(result->x[i]);
    }
    PG_RETURN_HALFVEC_P(result);
}

// Writes pgvector's binary format (see halfvec_recv).
Datum halfvec_send(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendint16(&buf, (uint16)vec->dim);
    pq_sendint16(&buf, (uint16)vec->unused);
    for (int i = 0; i < vec->dim; i++) pq_sendint16(&buf, vec->x[i]);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

// Length coercion for halfvec(n): the cast PostgreSQL applies on assignment to a typed column.
Datum halfvec(PG_FUNCTION_ARGS) {
    HalfVector* vec = PG_GETARG_HALFVEC_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    CheckExpectedDim(typmod, vec->dim);
    PG_RETURN_HALFVEC_P(vec);
}

}  // extern "C"
