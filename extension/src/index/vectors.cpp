// index/vectors.cpp — how indexed vectors and query vectors are checked, normalized and compared.
// (Element types — vector, halfvec, bit — and their decoding: index/elements.h.)
//
// One place decides the numbers the index returns, so build, insert and scan agree with each
// other and with the SQL operators: exact distances use the same kernels as `<->`, `<#>`, `<=>`
// and `<+>` (distance/distance.h); cosine indexes store unit vectors and search by inner product.
#include "index/am.h"

#include <cmath>
#include <cstring>

#include "distance/distance.h"
#include "index/elements.h"

namespace jade::ext::index {

// Checks a vector's dimension, decodes it and normalizes it for cosine; false for a zero cosine vector.
bool PrepareVector(Relation index, uint32 metric, uint32 dims, Datum value, void* dst) {
    JadeElement element = IndexElement(index);
    if (!DecodeElement(element, value, dims, dst))
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("expected %u dimensions, not %u", dims, ElementDims(element, value)),
                        errdetail("Index \"%s\" holds vectors of %u dimensions.", RelationGetRelationName(index),
                                  dims)));
    if (metric != kMetricCosine) return true;
    // Cosine indexes hold unit vectors; a zero vector has no direction and is not indexed
    // (its `<=>` distance to anything is NaN, as in pgvector).
    float* x = static_cast<float*>(dst);
    double norm = std::sqrt(static_cast<double>(NormSquared(x, dims)));
    if (norm == 0.0) return false;
    for (uint32 i = 0; i < dims; i++) x[i] = static_cast<float>(x[i] / norm);
    return true;
}

// Computes the operator's exact distance between a query (prepared) and a raw stored row.
double ExactDistance(uint32 metric, const void* query, const void* x, uint32 dims) {
    const float* q = static_cast<const float*>(query);
    const float* v = static_cast<const float*>(x);
    switch (metric) {
        case kMetricL2:
            return std::sqrt(static_cast<double>(L2SquaredDistance(q, v, dims)));
        case kMetricIp:
            return -static_cast<double>(InnerProduct(q, v, dims));
        case kMetricCosine:
            return CosineDistance(q, v, dims);
        case kMetricL1:
            return static_cast<double>(L1Distance(q, v, dims));
        case kMetricHamming:
            return static_cast<double>(HammingDistance(static_cast<const uint8_t*>(query), static_cast<const uint8_t*>(x),
                                                       (static_cast<size_t>(dims) + 7) / 8));
        case kMetricJaccard:
            return JaccardDistance(static_cast<const uint8_t*>(query), static_cast<const uint8_t*>(x),
                                   (static_cast<size_t>(dims) + 7) / 8);
    }
    return 0.0;
}

}  // namespace jade::ext::index
