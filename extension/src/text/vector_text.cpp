// text/vector_text.cpp — vector literal parser and shortest float printer (see vector_text.h).
#include "text/vector_text.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace jade::ext::text {

namespace {

// Returns the first non-space character at or after p.
const char* SkipSpaces(const char* p) {
    while (IsVectorSpace(*p)) p++;
    return p;
}

// Returns a failed result with the given status.
ParseResult Fail(ParseStatus status, int dim) {
    ParseResult r;
    r.status = status;
    r.dim = dim;
    return r;
}

// Returns true when the decimal text lies exactly halfway between value and a neighbouring
// float. Such a text reads back as value only thanks to round-half-even; PostgreSQL's Ryu
// (acceptBounds = false) never prints it and uses one more digit instead.
bool OnRoundingBoundary(float value, const char* text) {
    float magnitude = std::fabs(value);
    // A midpoint between floats below 2^22 is (odd 25-bit integer) / 2^k with k >= 3, whose
    // decimal expansion has at least 10 significant digits; a 9-digit text cannot equal it.
    if (magnitude < 4194304.0f) return false;
    long double parsed = std::fabs(std::strtold(text, nullptr));
    float below = std::nextafter(magnitude, 0.0f);
    float above = std::nextafter(magnitude, std::numeric_limits<float>::infinity());
    // A float has 24 significant bits, so the midpoint of two neighbours is exact in double;
    // the text is compared at long double precision to avoid false matches from rounding.
    if (parsed == (static_cast<long double>(magnitude) + below) / 2) return true;
    return !std::isinf(above) && parsed == (static_cast<long double>(magnitude) + above) / 2;
}

// Writes value in scientific notation with PostgreSQL's choice of digits: the shortest text
// strictly inside value's rounding interval. Returns the end of the text (no terminator).
char* ShortestScientific(float value, char* buf, size_t size) {
    char* end = std::to_chars(buf, buf + size - 1, value, std::chars_format::scientific).ptr;
    *end = '\0';
    if (value == 0.0f || !OnRoundingBoundary(value, buf)) return end;
    // Rare (about 0.3% of floats): the shortest text sits on the boundary. Correctly rounded
    // texts of increasing precision; 9 significant digits always lie strictly inside.
    for (int precision = 1; precision <= 8; precision++) {
        end = std::to_chars(buf, buf + size - 1, value, std::chars_format::scientific, precision).ptr;
        *end = '\0';
        if (std::strtof(buf, nullptr) == value && !OnRoundingBoundary(value, buf)) return end;
    }
    end = std::to_chars(buf, buf + size - 1, value, std::chars_format::scientific, 8).ptr;
    *end = '\0';
    return end;
}

}  // namespace

ParseResult ParseVectorText(const char* input, float* out, int max_dim, float out_of_range_at) {
    const char* p = SkipSpaces(input);
    if (*p != '[') return Fail(ParseStatus::kMissingOpenBracket, 0);
    p = SkipSpaces(p + 1);
    if (*p == ']') return Fail(ParseStatus::kNoDimensions, 0);

    int dim = 0;
    for (;;) {
        if (dim == max_dim) return Fail(ParseStatus::kTooManyDimensions, dim);
        p = SkipSpaces(p);
        // strtof would skip the NUL-free remainder's leading spaces itself, but an empty
        // remainder must be a syntax error, not a zero (float4in does the same check).
        if (*p == '\0') return Fail(ParseStatus::kSyntax, dim);

        // strtof, not strtod + cast: rounding twice can give a different float (float4in's reason).
        char* end = nullptr;
        errno = 0;
        float value = std::strtof(p, &end);
        if (end == p) return Fail(ParseStatus::kSyntax, dim);
        if ((errno == ERANGE && std::isinf(value)) || (std::isfinite(value) && std::fabs(value) >= out_of_range_at)) {
            ParseResult r = Fail(ParseStatus::kOutOfRange, dim);
            r.token_offset = static_cast<size_t>(p - input);
            r.token_length = static_cast<size_t>(end - p);
            return r;
        }
        // Underflow (ERANGE with a zero or subnormal result) is accepted, as float4in does.
        if (std::isnan(value)) return Fail(ParseStatus::kNaN, dim);
        if (std::isinf(value)) return Fail(ParseStatus::kInfinite, dim);
        out[dim++] = value;

        p = SkipSpaces(end);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']') {
            p++;
            break;
        }
        return Fail(ParseStatus::kSyntax, dim);
    }

    if (*SkipSpaces(p) != '\0') return Fail(ParseStatus::kJunkAfterBracket, dim);
    ParseResult ok;
    ok.dim = dim;
    return ok;
}

size_t FormatFloatShortest(float value, char* out) {
    // std::to_chars gives the shortest round-trip digits (Ryu, like PostgreSQL's f2s.c); only
    // the layout differs, so print scientific and re-lay it out with PostgreSQL's thresholds.
    char sci[32];
    const char* end = ShortestScientific(value, sci, sizeof(sci));
    const char* s = sci;
    size_t n = 0;
    if (*s == '-') {
        out[n++] = '-';
        s++;
    }
    if (value == 0.0f) {  // PostgreSQL prints "0" / "-0", never "0e+00"
        out[n++] = '0';
        return n;
    }

    // Split "d[.ddd]e±XX" into its significant digits and decimal exponent.
    char digits[12];
    size_t ndigits = 0;
    const char* e = s;
    for (; e < end && *e != 'e'; e++) {
        if (*e != '.') digits[ndigits++] = *e;
    }
    int exponent = 0;
    std::from_chars(e + 1 + (e[1] == '+'), end, exponent);

    if (exponent < -4 || exponent >= 6) {
        // Scientific: the digits as to_chars printed them, exponent at least two digits.
        size_t len = static_cast<size_t>(e - s);
        std::memcpy(out + n, s, len);
        n += len;
        out[n++] = 'e';
        out[n++] = exponent < 0 ? '-' : '+';
        int mag = exponent < 0 ? -exponent : exponent;
        out[n++] = static_cast<char>('0' + mag / 10);
        out[n++] = static_cast<char>('0' + mag % 10);
        return n;
    }
    if (exponent < 0) {
        // 0.000ddd
        out[n++] = '0';
        out[n++] = '.';
        for (int i = -1; i > exponent; i--) out[n++] = '0';
        std::memcpy(out + n, digits, ndigits);
        return n + ndigits;
    }
    // ddd[.ddd] or ddd000: the decimal point goes after exponent+1 digits.
    size_t int_digits = static_cast<size_t>(exponent) + 1;
    for (size_t i = 0; i < int_digits; i++) out[n++] = i < ndigits ? digits[i] : '0';
    if (ndigits > int_digits) {
        out[n++] = '.';
        std::memcpy(out + n, digits + int_digits, ndigits - int_digits);
        n += ndigits - int_digits;
    }
    return n;
}

size_t FormatVectorText(const float* x, int dim, char* out, FloatFormatter format_float) {
    size_t n = 0;
    out[n++] = '[';
    for (int i = 0; i < dim; i++) {
        if (i > 0) out[n++] = ',';
        n += format_float(x[i], out + n);
    }
    out[n++] = ']';
    out[n] = '\0';
    return n;
}

}  // namespace jade::ext::text
