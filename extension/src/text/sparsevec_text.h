// text/sparsevec_text.h — the text form of a sparse vector, `{1:1.5,3:-2}/5`, parsed and printed
// without PostgreSQL (C++ regime, unit-tested), shared by the type's in/out functions and tools.
//
// Grammar (pgvector's sparsevec_in, same accepted inputs and error classes):
//
//   sparsevec := ws '{' ws [ element (ws ',' ws element)* ] ws '}' ws '/' ws dim ws
//   element   := index ws ':' ws number
//   index, dim:= what strtol accepts in base 10 (sign, leading spaces), clamped to int32
//   number    := what strtof accepts; zero values are accepted and dropped
//
// Indices are 1-based in the text and 0-based in the result, which comes back sorted by index;
// index bounds, duplicates, the dimension range and the non-zero limit against the dimension
// are for the caller to check (their messages belong to the SQL type). Parsing never throws and
// never allocates: the caller supplies the element buffers (CountSparseElements bounds them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace jade::ext::text {

// Outcome of ParseSparseVectorText; each maps to one pgvector error.
enum class SparseParseStatus {
    kOk,
    kMissingOpenBrace,  // 22P02, detail "Vector contents must start with "{"."
    kSyntax,            // 22P02 invalid input syntax
    kMissingSlash,      // 22P02, detail "Unexpected end of input."
    kJunkAfterDim,      // 22P02, detail "Junk after closing."
    kOutOfRange,        // 22003 "\"<token>\" is out of range for type sparsevec" (overflow or underflow)
    kNaN,               // 22000 "NaN not allowed in sparsevec"
    kInfinite,          // 22000 "infinite value not allowed in sparsevec"
};

struct SparseParseResult {
    SparseParseStatus status = SparseParseStatus::kOk;
    int32_t dim = 0;          // the number after '/', clamped to int32
    int nnz = 0;              // non-zero elements written (sorted by index)
    size_t token_offset = 0;  // kOutOfRange: where the offending number starts in the input
    size_t token_length = 0;
};

// Returns an upper bound of the elements a literal can hold (its commas + 1): the buffer size
// ParseSparseVectorText needs. pgvector checks this bound against its 16,000-element limit
// before anything else, so the caller does too.
int CountSparseElements(const char* input);

// Parses a NUL-terminated literal into indices[0..nnz) (0-based, ascending) and values[0..nnz)
// (non-zero). The buffers must hold CountSparseElements(input) entries. Stops at the first error.
SparseParseResult ParseSparseVectorText(const char* input, int32_t* indices, float* values);

// Writes "{i1:v1,...}/dim" (1-based indices) plus a NUL; returns the length without the NUL.
// format_float prints one float without terminator (see vector_text.h FloatFormatter).
size_t FormatSparseVectorText(const int32_t* indices, const float* values, int nnz, int32_t dim, char* out,
                              size_t (*format_float)(float value, char* out));

// A buffer size that always fits FormatSparseVectorText's output for nnz elements.
inline constexpr size_t MaxSparseVectorTextSize(size_t nnz) {
    // per element: 11 (index with sign) + 1 (':') + 15 (float) + 1 (','); "{}/" + 11 + NUL
    return nnz * 28 + 16;
}

}  // namespace jade::ext::text
