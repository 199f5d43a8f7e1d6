// faiss/metric.h — distance metrics of the FAISS engine and the conversions around them.
//
// C++ regime (no PostgreSQL header, no FAISS header): the access method includes this directly.
//
// Three kinds of distance appear in the engine and must not be mixed up:
//   * FAISS distance: what FAISS computes — squared L2 (L2), inner product (InnerProduct, and
//     Cosine on normalized vectors), L1. For inner products larger means closer.
//   * order distance: what every engine search API returns — smaller is closer for every metric,
//     and it equals the SQL operator's value: sqrt(L2²) for `<->`, -ip for `<#>`, 1 - ip for `<=>`
//     (on normalized vectors), L1 for `<+>`. For lossy codes (SQ8, PQ) it is an approximation of
//     that value, good for ranking candidates; re-rank with OperatorDistance for exact results.
//   * operator distance: the exact SQL operator value between two raw vectors (OperatorDistance).
//
// Vectors handed to the engine are RAW (as stored in the table); the engine normalizes them
// itself for Cosine. Values are stored in the metapage (never renumber): they equal the
// access method's JadeMetric values in index/kinds.h.
#pragma once

#include <cstdint>

namespace jade::ext::engine {

// The distance an index orders by (the opclass's ORDER BY operator).
enum class Metric : uint32_t {
    L2 = 1,            // <->  Euclidean
    InnerProduct = 2,  // <#>  negative inner product
    Cosine = 3,        // <=>  1 - cosine similarity: vectors normalized, FAISS inner product
    L1 = 4,            // <+>  taxicab (Flat and HNSW-Flat only: FAISS's IVF scanners lack it)
    Hamming = 5,       // <~>  differing bits of `bit` strings (binary codes, binary_ivf_codec.h)
    Jaccard = 6,       // <%>  1 - |a AND b| / |a OR b| of `bit` strings (Flat only)
};

// Returns true for the metrics over bit strings: their vectors are packed bits (most significant
// bit first, dim bits in (dim + 7) / 8 bytes), not floats.
inline bool IsBitMetric(Metric metric) { return metric == Metric::Hamming || metric == Metric::Jaccard; }

// Returns the metric's lowercase SQL-facing name ("l2", "inner product", "cosine", "l1",
// "hamming", "jaccard").
const char* MetricName(Metric metric);

// Returns true when the value is one of the Metric enumerators (for values read from disk).
bool IsValidMetric(uint32_t value);

// Converts a FAISS distance for this metric into the order distance (see the file comment).
double ToOrderDistance(Metric metric, float faiss_distance);

// Returns the exact SQL operator value between two raw vectors of `dim` floats, computed with
// the extension's own kernels (distance/distance.h), so it agrees with the `vector` operators.
// Cosine of a zero vector is NaN, as with the `<=>` operator. Float metrics only: the bit
// metrics have BitOperatorDistance.
double OperatorDistance(Metric metric, const float* a, const float* b, int dim);

// Returns the exact `<~>` / `<%>` value between two packed bit strings of `dim` bits.
double BitOperatorDistance(Metric metric, const uint8_t* a, const uint8_t* b, int dim);

// Copies `dim` floats from in to out, normalizing to unit length for Cosine. Returns false
// (leaving out unspecified) when the metric is Cosine and the vector has zero norm, i.e. it
// cannot be placed in a cosine index. in and out may be the same pointer.
bool PrepareVector(Metric metric, const float* in, int dim, float* out);

}  // namespace jade::ext::engine
