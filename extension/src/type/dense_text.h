// type/dense_text.h — what the text I/O of `vector`, `halfvec` and `sparsevec` shares: the
// errors of a failed `[...]` parse (text/vector_text.h parses both dense types; only the type
// name in the messages differs) and PostgreSQL's float printer.
#pragma once

#include "pg/pg_headers.h"

extern "C" {
#include "common/shortest_dec.h"
}

#include "text/vector_text.h"

// Prints a float with PostgreSQL's own shortest-decimal routine (float4out's digits), which is
// exactly what pgvector prints. No terminator; returns the length.
static inline size_t PgFloatText(float value, char* out) {
    return (size_t)float_to_shortest_decimal_bufn(value, out);
}

// Raises pgvector's error for a failed parse of `literal` as type `type_name` ("vector",
// "halfvec") whose dimension limit is max_dim; returns when r.status is kOk.
void ReportDenseParseError(const char* type_name, int max_dim, const char* literal,
                           const jade::ext::text::ParseResult& r);
