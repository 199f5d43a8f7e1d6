// type/vector_io.cpp — the `vector` type's I/O: text in/out, binary recv/send, typmod in/out
// and the length-coercion function behind `vector(n)`.
//
// PG regime, written as PostgreSQL C (POD locals, palloc, ereport): nothing here can throw, the
// text parser and printer (text/vector_text.h) are no-throw, so no CallCpp wrapper is needed.
// Every message and SQLSTATE matches pgvector's so client error handling keeps working.
#include "type/vector.h"

extern "C" {
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include "text/vector_text.h"
#include "type/dense_text.h"

extern "C" {

PG_FUNCTION_INFO_V1(vector_in);
PG_FUNCTION_INFO_V1(vector_out);
PG_FUNCTION_INFO_V1(vector_typmod_in);
PG_FUNCTION_INFO_V1(vector_typmod_out);
PG_FUNCTION_INFO_V1(vector_recv);
PG_FUNCTION_INFO_V1(vector_send);
PG_FUNCTION_INFO_V1(vector);

// Converts a text literal such as '[1,2,3]' to a vector, enforcing the column typmod.
Datum vector_in(PG_FUNCTION_ARGS) {
    char* literal = PG_GETARG_CSTRING(0);
    int32 typmod = PG_GETARG_INT32(2);
    // Parse into a stack buffer of the maximum size (64 KB, as pgvector), then copy: one pass,
    // no heap traffic per row during COPY.
    float scratch[VECTOR_MAX_DIM];
    jade::ext::text::ParseResult r = jade::ext::text::ParseVectorText(literal, scratch, VECTOR_MAX_DIM);
    ReportDenseParseError("vector", VECTOR_MAX_DIM, literal, r);
    CheckDim(r.dim);
    CheckExpectedDim(typmod, r.dim);
    Vector* result = InitVector(r.dim);
    memcpy(result->x, scratch, sizeof(float) * r.dim);
    PG_RETURN_VECTOR_P(result);
}

// Prints a vector as '[x1,x2,...]' with the shortest text that reads back bit-exactly.
Datum vector_out(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    char* buf = (char*)palloc(jade::ext::text::MaxVectorTextSize(vec->dim));
    jade::ext::text::FormatVectorText(vec->x, vec->dim, buf, PgFloatText);
    PG_FREE_IF_COPY(vec, 0);
    PG_RETURN_CSTRING(buf);
}

// Validates the n of vector(n) and stores it as the typmod.
Datum vector_typmod_in(PG_FUNCTION_ARGS) {
    ArrayType* ta = PG_GETARG_ARRAYTYPE_P(0);
    int n;
    int32* tl = ArrayGetIntegerTypmods(ta, &n);
    if (n != 1) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier")));
    if (*tl < 1)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("dimensions for type vector must be at least 1")));
    if (*tl > VECTOR_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type vector cannot exceed %d", VECTOR_MAX_DIM)));
    PG_RETURN_INT32(*tl);
}

// Prints a typmod as "(n)", or nothing for an unconstrained vector.
Datum vector_typmod_out(PG_FUNCTION_ARGS) {
    int32 typmod = PG_GETARG_INT32(0);
    PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

// Reads pgvector's binary format: int16 dim, int16 unused (0), dim big-endian float4.
// PostgreSQL itself rejects bytes left over after the last element (22P03 in bind and COPY).
Datum vector_recv(PG_FUNCTION_ARGS) {
    StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
    int32 typmod = PG_GETARG_INT32(2);
    if (buf->len - buf->cursor < 2 * (int)sizeof(int16))
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary vector data is too short"),
                        errdetail("The 4-byte header is incomplete.")));
    // Signed on purpose: 0xFFFF must read as -1 and fail CheckDim, as in pgvector.
    int16 dim = (int16)pq_getmsgint(buf, sizeof(int16));
    int16 unused = (int16)pq_getmsgint(buf, sizeof(int16));
    CheckDim(dim);
    CheckExpectedDim(typmod, dim);
    if (unused != 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected unused to be 0, not %d", unused)));
    // A short message fails in pq_getmsgfloat4 before we allocate dim floats for nothing.
    if (buf->len - buf->cursor < (int)sizeof(float) * dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary vector data is too short"),
                        errdetail("The header announces %d elements (%d bytes) but %d bytes follow.", dim,
                                  (int)sizeof(float) * dim, buf->len - buf->cursor)));
    Vector* result = InitVector(dim);
    for (int i = 0; i < dim; i++) {
        result->x[i] = pq_getmsgfloat4(buf);
        CheckElement(result->x[i]);
    }
    PG_RETURN_VECTOR_P(result);
}

// Writes pgvector's binary format (see vector_recv).
Datum vector_send(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendint(&buf, vec->dim, sizeof(int16));
    pq_sendint(&buf, vec->unused, sizeof(int16));
    for (int i = 0; i < vec->dim; i++) pq_sendfloat4(&buf, vec->x[i]);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

// Length coercion for vector(n): the cast PostgreSQL applies on assignment to a typed column.
Datum vector(PG_FUNCTION_ARGS) {
    Vector* vec = PG_GETARG_VECTOR_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    CheckExpectedDim(typmod, vec->dim);
    PG_RETURN_VECTOR_P(vec);
}

}  // extern "C"
