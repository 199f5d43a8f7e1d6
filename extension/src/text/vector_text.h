// text/vector_text.h — the text form of a vector, `[1,2.5,-3e-05]`, parsed and printed without
// PostgreSQL (C++ regime, unit-tested), so the type's in/out functions, the coordinator and tools
// share one definition of the format.
//
// The grammar and every error class follow pgvector's vector_in, so the same inputs are accepted
// and rejected with the same messages:
//
//   vector  := ws '[' ws number (ws ',' ws number)* ws ']' ws
//   number  := whatever strtof accepts (sign, decimal or hex digits, exponent, "nan", "inf")
//   ws      := any of ' ' \t \n \r \v \f
//
// Parsing never throws and never allocates: the caller owns the element buffer and turns a
// ParseStatus into an ERROR (the PG regime must be able to ereport with no C++ object alive).
// strtof honours LC_NUMERIC; PostgreSQL backends always run with LC_NUMERIC=C.
#pragma once

#include <cstddef>
#include <limits>

namespace jade::ext::text {

// Longest text a single float can print as, without terminator ("-1.17549435e-38"), the same
// bound as PostgreSQL's FLOAT_SHORTEST_DECIMAL_LEN - 1.
inline constexpr size_t kMaxFloatTextLength = 15;

// Outcome of ParseVectorText; each maps to one pgvector error.
enum class ParseStatus {
    kOk,
    kMissingOpenBracket,  // 22P02, detail "Vector contents must start with "["."
    kNoDimensions,        // 22000 "vector must have at least 1 dimension" ("[]")
    kSyntax,              // 22P02 invalid input syntax (bad number, missing comma/bracket, end of input)
    kJunkAfterBracket,    // 22P02, detail "Junk after closing right brace."
    kTooManyDimensions,   // 54000 more than max_dim elements
    kOutOfRange,          // 22003 "\"<token>\" is out of range for type vector"
    kNaN,                 // 22000 "NaN not allowed in vector"
    kInfinite,            // 22000 "infinite value not allowed in vector"
};

struct ParseResult {
    ParseStatus status = ParseStatus::kOk;
    int dim = 0;              // elements written to the output buffer
    size_t token_offset = 0;  // for kOutOfRange: where the offending number starts in the input
    size_t token_length = 0;  // ... and how long it is
};

// Parses a NUL-terminated vector literal into out[0..max_dim). Stops at the first error.
// A finite number whose magnitude is at least `out_of_range_at` is kOutOfRange, as a number
// beyond float's range is: `halfvec` passes the smallest float that rounds to a half infinity.
ParseResult ParseVectorText(const char* input, float* out, int max_dim,
                            float out_of_range_at = std::numeric_limits<float>::infinity());

// Returns true for the whitespace characters the vector grammar skips.
inline bool IsVectorSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Writes the shortest text that reads back as exactly `value` (PostgreSQL's float4 output
// rules: fixed notation for decimal exponents -4..5, otherwise d.ddde±XX). No terminator is
// written; returns the length (at most kMaxFloatTextLength).
size_t FormatFloatShortest(float value, char* out);

// Returns a buffer size that always fits FormatVectorText's output for dim elements plus a NUL.
inline constexpr size_t MaxVectorTextSize(size_t dim) {
    return 2 + dim * (kMaxFloatTextLength + 1) + 1;
}

// Prints one float without terminator and returns its length (at most kMaxFloatTextLength).
using FloatFormatter = size_t (*)(float value, char* out);

// Writes "[x0,x1,...]" plus a terminating NUL; returns the length without the NUL. Inside a
// backend the type's output function passes PostgreSQL's own float_to_shortest_decimal_bufn
// (what pgvector prints, and faster than the round-trip check FormatFloatShortest needs);
// FormatFloatShortest gives the same text for every finite float: it was compared with
// PostgreSQL 15's libpgcommon on all 2^31 positive finite floats (0 mismatches; the sign is
// symmetric). The unit tests pin the layout rules and the rounding-boundary case.
size_t FormatVectorText(const float* x, int dim, char* out, FloatFormatter format_float = FormatFloatShortest);

}  // namespace jade::ext::text
