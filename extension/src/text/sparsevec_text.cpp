// text/sparsevec_text.cpp — sparse vector literal parser and printer (sparsevec_text.h).
#include "text/sparsevec_text.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "text/vector_text.h"

namespace jade::ext::text {

namespace {

// Returns the first non-space character at or after p.
const char* SkipSpaces(const char* p) {
    while (IsVectorSpace(*p)) p++;
    return p;
}

// Returns a failed result with the given status.
SparseParseResult Fail(SparseParseStatus status) {
    SparseParseResult r;
    r.status = status;
    return r;
}

// Writes a decimal int32 and returns its length.
size_t FormatInt(int64_t v, char* out) {
    char digits[24];
    size_t n = 0;
    bool negative = v < 0;
    uint64_t mag = negative ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
    do {
        digits[n++] = static_cast<char>('0' + mag % 10);
        mag /= 10;
    } while (mag != 0);
    size_t len = 0;
    if (negative) out[len++] = '-';
    while (n > 0) out[len++] = digits[--n];
    return len;
}

// Restores the max-heap property of the pairs below position i (heap of n pairs, keyed by index).
void SiftDown(int32_t* indices, float* values, int n, int i) {
    for (;;) {
        int largest = i, left = 2 * i + 1, right = left + 1;
        if (left < n && indices[left] > indices[largest]) largest = left;
        if (right < n && indices[right] > indices[largest]) largest = right;
        if (largest == i) return;
        std::swap(indices[i], indices[largest]);
        std::swap(values[i], values[largest]);
        i = largest;
    }
}

// Sorts the pairs by index in place (heapsort: no allocation, O(n log n) for any input; the
// order of equal indices does not matter, they are rejected as duplicates).
void SortByIndex(int32_t* indices, float* values, int n) {
    bool sorted = true;
    for (int i = 1; i < n && sorted; i++) sorted = indices[i - 1] <= indices[i];
    if (sorted) return;
    for (int i = n / 2 - 1; i >= 0; i--) SiftDown(indices, values, n, i);
    for (int end = n - 1; end > 0; end--) {
        std::swap(indices[0], indices[end]);
        std::swap(values[0], values[end]);
        SiftDown(indices, values, end, 0);
    }
}

}  // namespace

int CountSparseElements(const char* input) {
    int64_t n = 1;
    for (const char* p = input; *p != '\0'; p++) {
        if (*p == ',') n++;
    }
    return n > INT_MAX ? INT_MAX : static_cast<int>(n);
}

SparseParseResult ParseSparseVectorText(const char* input, int32_t* indices, float* values) {
    int capacity = CountSparseElements(input);
    const char* p = SkipSpaces(input);
    if (*p != '{') return Fail(SparseParseStatus::kMissingOpenBrace);
    p = SkipSpaces(p + 1);
    int nnz = 0;
    if (*p == '}') {
        p++;
    } else {
        for (int seen = 0;; seen++) {
            if (seen == capacity) return Fail(SparseParseStatus::kSyntax);  // cannot happen: one per comma
            p = SkipSpaces(p);
            // An empty remainder is a syntax error, not a zero (float4in's check).
            if (*p == '\0') return Fail(SparseParseStatus::kSyntax);
            char* end = nullptr;
            long index = std::strtol(p, &end, 10);
            if (end == p) return Fail(SparseParseStatus::kSyntax);
            // Clamped into int range so the caller's bound check names a sensible value.
            if (index > INT_MAX) index = INT_MAX;
            if (index < INT_MIN + 1) index = INT_MIN + 1;
            p = SkipSpaces(end);
            if (*p != ':') return Fail(SparseParseStatus::kSyntax);
            p = SkipSpaces(p + 1);
            errno = 0;
            // strtof, not strtod + cast: rounding twice can give a different float.
            float value = std::strtof(p, &end);
            if (end == p) return Fail(SparseParseStatus::kSyntax);
            // Unlike `vector`, pgvector's sparsevec rejects underflow as well as overflow.
            if (errno == ERANGE && (value == 0.0f || std::isinf(value))) {
                SparseParseResult r = Fail(SparseParseStatus::kOutOfRange);
                r.token_offset = static_cast<size_t>(p - input);
                r.token_length = static_cast<size_t>(end - p);
                return r;
            }
            if (std::isnan(value)) return Fail(SparseParseStatus::kNaN);
            if (std::isinf(value)) return Fail(SparseParseStatus::kInfinite);
            if (value != 0.0f) {
                indices[nnz] = static_cast<int32_t>(index - 1);  // 1-based text, 0-based storage
                values[nnz] = value;
                nnz++;
            }
            p = SkipSpaces(end);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == '}') {
                p++;
                break;
            }
            return Fail(SparseParseStatus::kSyntax);
        }
    }
    p = SkipSpaces(p);
    if (*p != '/') return Fail(SparseParseStatus::kMissingSlash);
    p = SkipSpaces(p + 1);
    char* end = nullptr;
    long dim = std::strtol(p, &end, 10);
    if (end == p) return Fail(SparseParseStatus::kSyntax);
    if (dim > INT_MAX) dim = INT_MAX;
    if (dim < INT_MIN) dim = INT_MIN;
    if (*SkipSpaces(end) != '\0') return Fail(SparseParseStatus::kJunkAfterDim);
    SortByIndex(indices, values, nnz);
    SparseParseResult ok;
    ok.dim = static_cast<int32_t>(dim);
    ok.nnz = nnz;
    return ok;
}

size_t FormatSparseVectorText(const int32_t* indices, const float* values, int nnz, int32_t dim, char* out,
                              size_t (*format_float)(float value, char* out)) {
    size_t n = 0;
    out[n++] = '{';
    for (int i = 0; i < nnz; i++) {
        if (i > 0) out[n++] = ',';
        n += FormatInt(int64_t{indices[i]} + 1, out + n);
        out[n++] = ':';
        n += format_float(values[i], out + n);
    }
    out[n++] = '}';
    out[n++] = '/';
    n += FormatInt(dim, out + n);
    out[n] = '\0';
    return n;
}

}  // namespace jade::ext::text
