// type/sparsevec_io.cpp — the `sparsevec` type's I/O: text in/out (`{1:1.5,3:2}/5`, parsed by
// text/sparsevec_text.h), binary recv/send, typmod in/out and the length coercion `sparsevec(n)`.
// PG regime, no C++ object alive; messages and SQLSTATEs are pgvector's.
#include "type/sparsevec.h"

extern "C" {
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include "text/sparsevec_text.h"
#include "type/dense_text.h"
#include "type/vector.h"

namespace {

// Raises pgvector's error for a failed parse of `literal`; returns for kOk.
void ReportSparseParseError(const char* literal, const jade::ext::text::SparseParseResult& r) {
    using jade::ext::text::SparseParseStatus;
    switch (r.status) {
        case SparseParseStatus::kOk:
            return;
        case SparseParseStatus::kMissingOpenBrace:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type sparsevec: \"%s\"", literal),
                            errdetail("Vector contents must start with \"{\".")));
            break;
        case SparseParseStatus::kSyntax:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type sparsevec: \"%s\"", literal)));
            break;
        case SparseParseStatus::kMissingSlash:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type sparsevec: \"%s\"", literal),
                            errdetail("Unexpected end of input.")));
            break;
        case SparseParseStatus::kJunkAfterDim:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type sparsevec: \"%s\"", literal),
                            errdetail("Junk after closing.")));
            break;
        case SparseParseStatus::kOutOfRange:
            ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                            errmsg("\"%s\" is out of range for type sparsevec",
                                   pnstrdup(literal + r.token_offset, r.token_length))));
            break;
        case SparseParseStatus::kNaN:
            SparsevecCheckElement(NAN);
            break;
        case SparseParseStatus::kInfinite:
            SparsevecCheckElement(INFINITY);
            break;
    }
    elog(ERROR, "unexpected sparsevec parse status %d", (int)r.status);
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(sparsevec_in);
PG_FUNCTION_INFO_V1(sparsevec_out);
PG_FUNCTION_INFO_V1(sparsevec_typmod_in);
PG_FUNCTION_INFO_V1(sparsevec_typmod_out);
PG_FUNCTION_INFO_V1(sparsevec_recv);
PG_FUNCTION_INFO_V1(sparsevec_send);
PG_FUNCTION_INFO_V1(sparsevec);

// Converts a text literal such as '{1:1.5,3:2}/5' to a sparsevec, enforcing the column typmod.
Datum sparsevec_in(PG_FUNCTION_ARGS) {
    char* literal = PG_GETARG_CSTRING(0);
    int32 typmod = PG_GETARG_INT32(2);
    // pgvector checks the element bound (commas + 1) before the syntax.
    int capacity = jade::ext::text::CountSparseElements(literal);
    if (capacity > SPARSEVEC_MAX_NNZ)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("sparsevec cannot have more than %d non-zero elements", SPARSEVEC_MAX_NNZ)));
    int32* indices = (int32*)palloc(sizeof(int32) * capacity);
    float* values = (float*)palloc(sizeof(float) * capacity);
    jade::ext::text::SparseParseResult r = jade::ext::text::ParseSparseVectorText(literal, indices, values);
    ReportSparseParseError(literal, r);
    SparsevecCheckDim(r.dim);
    CheckExpectedDim(typmod, r.dim);
    SparseVector* result = InitSparseVector(r.dim, r.nnz);
    float* rvalues = SPARSEVEC_VALUES(result);
    for (int i = 0; i < r.nnz; i++) {
        result->indices[i] = indices[i];
        rvalues[i] = values[i];
        SparsevecCheckIndex(result->indices, i, r.dim);
    }
    pfree(indices);
    pfree(values);
    PG_RETURN_SPARSEVEC_P(result);
}

// Prints a sparsevec as '{i:v,...}/dim' with 1-based indices.
Datum sparsevec_out(PG_FUNCTION_ARGS) {
    SparseVector* v = PG_GETARG_SPARSEVEC_P(0);
    char* buf = (char*)palloc(jade::ext::text::MaxSparseVectorTextSize(v->nnz));
    jade::ext::text::FormatSparseVectorText(v->indices, SPARSEVEC_VALUES(v), v->nnz, v->dim, buf, PgFloatText);
    PG_FREE_IF_COPY(v, 0);
    PG_RETURN_CSTRING(buf);
}

// Validates the n of sparsevec(n) and stores it as the typmod.
Datum sparsevec_typmod_in(PG_FUNCTION_ARGS) {
    ArrayType* ta = PG_GETARG_ARRAYTYPE_P(0);
    int n;
    int32* tl = ArrayGetIntegerTypmods(ta, &n);
    if (n != 1) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier")));
    if (*tl < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type sparsevec must be at least 1")));
    if (*tl > SPARSEVEC_MAX_DIM)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type sparsevec cannot exceed %d", SPARSEVEC_MAX_DIM)));
    PG_RETURN_INT32(*tl);
}

// Prints a typmod as "(n)", or nothing for an unconstrained sparsevec.
Datum sparsevec_typmod_out(PG_FUNCTION_ARGS) {
    int32 typmod = PG_GETARG_INT32(0);
    PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

// Reads pgvector's binary format: int32 dim, int32 nnz, int32 unused (0), nnz big-endian int32
// 0-based indices, nnz big-endian float4 values (none zero).
Datum sparsevec_recv(PG_FUNCTION_ARGS) {
    StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
    int32 typmod = PG_GETARG_INT32(2);
    if (buf->len - buf->cursor < 3 * (int)sizeof(int32))
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary sparsevec data is too short"),
                        errdetail("The 12-byte header is incomplete.")));
    int32 dim = (int32)pq_getmsgint(buf, sizeof(int32));
    int32 nnz = (int32)pq_getmsgint(buf, sizeof(int32));
    int32 unused = (int32)pq_getmsgint(buf, sizeof(int32));
    SparsevecCheckDim(dim);
    SparsevecCheckNnz(nnz, dim);
    CheckExpectedDim(typmod, dim);
    if (unused != 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("expected unused to be 0, not %d", unused)));
    // A short message fails here, before nnz elements are allocated for nothing.
    if (buf->len - buf->cursor < 8 * nnz)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("binary sparsevec data is too short"),
                        errdetail("The header announces %d elements (%d bytes) but %d bytes follow.", nnz, 8 * nnz,
                                  buf->len - buf->cursor)));
    SparseVector* result = InitSparseVector(dim, nnz);
    float* values = SPARSEVEC_VALUES(result);
    for (int i = 0; i < nnz; i++) {
        result->indices[i] = (int32)pq_getmsgint(buf, sizeof(int32));
        SparsevecCheckIndex(result->indices, i, dim);
    }
    for (int i = 0; i < nnz; i++) {
        values[i] = pq_getmsgfloat4(buf);
        SparsevecCheckElement(values[i]);
        if (values[i] == 0)
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                            errmsg("binary representation of sparsevec cannot contain zero values")));
    }
    PG_RETURN_SPARSEVEC_P(result);
}

// Writes pgvector's binary format (see sparsevec_recv).
Datum sparsevec_send(PG_FUNCTION_ARGS) {
    SparseVector* v = PG_GETARG_SPARSEVEC_P(0);
    float* values = SPARSEVEC_VALUES(v);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendint32(&buf, v->dim);
    pq_sendint32(&buf, v->nnz);
    pq_sendint32(&buf, v->unused);
    for (int i = 0; i < v->nnz; i++) pq_sendint32(&buf, v->indices[i]);
    for (int i = 0; i < v->nnz; i++) pq_sendfloat4(&buf, values[i]);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

// Length coercion for sparsevec(n).
Datum sparsevec(PG_FUNCTION_ARGS) {
    SparseVector* v = PG_GETARG_SPARSEVEC_P(0);
    int32 typmod = PG_GETARG_INT32(1);
    CheckExpectedDim(typmod, v->dim);
    PG_RETURN_SPARSEVEC_P(v);
}

}  // extern "C"
