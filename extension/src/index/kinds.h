// index/kinds.h — the enumerations shared by the access method and the engine bridge.
//
// Kept free of PostgreSQL and FAISS headers so both regimes can include it; the values are
// stored in the metapage (page_format.h), so never renumber them.
#pragma once

#include <cstdint>

namespace jade::ext::index {

// Index families: what a search does.
enum JadeFamily : uint32_t {
    kFamilyFlat = 1,  // one list of raw vectors, exact scan
    kFamilyIvf = 2,   // FAISS IVF codec; nlist lists in pages, scanned in place
    kFamilyHnsw = 3,  // FAISS HNSW graph in a blob, id map, exact delta list for later inserts
};

// Distance metric of the opclass (the ORDER BY operator).
enum JadeMetric : uint32_t {
    kMetricL2 = 1,      // <->  sqrt of squared L2
    kMetricIp = 2,      // <#>  negative inner product
    kMetricCosine = 3,  // <=>  1 - cosine similarity (vectors normalized, FAISS inner product)
    kMetricL1 = 4,      // <+>  taxicab (Flat family only)
    kMetricHamming = 5, // <~>  differing bits (bit strings; Flat and binary IVF)
    kMetricJaccard = 6, // <%>  Jaccard distance of bit strings (Flat family only)
};

// The element type of the indexed column (the opclass input type): decides how a value is read
// into the working row the engine sees (index/elements.h). Derived from the relation, not stored.
enum JadeElement : uint32_t {
    kElementVector = 1,   // vector: dims float4, used as is
    kElementHalfvec = 2,  // halfvec: dims binary16, widened to float4 (exact)
    kElementBit = 3,      // bit: dims bits, kept packed ((dims + 7) / 8 bytes)
};

// Which access method created the index: decides which GUCs steer its scans.
enum JadeAmKind : uint32_t {
    kAmFaiss = 1,
    kAmHnsw = 2,
    kAmIvfflat = 3,
};

}  // namespace jade::ext::index
