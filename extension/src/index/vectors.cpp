// index/vectors.cpp — how indexed vectors and query vectors are checked, normalized and compared.
//
// One place decides the numbers the index returns, so build, insert and scan agree with each
// other and with the SQL operators: exact distances use the same kernels as `<->`, `<#>`, `<=>`
// and `<+>` (distance/distance.h); cosine indexes store unit vectors and search by inner product.
#include "index/am.h"

#include <cmath>
#include <cstring>

#include "distance/distance.h"
#include "type/vector.h"

namespace jade::ext::index {

// Checks a vector's dimension and normalizes it for cosine; false for a zero cosine vector.
bool PrepareVector(Relation index, uint32 metric, uint32 dims, Datum value, float* dst) {
    Vector* v = DatumGetVector(value);
    if (static_cast<uint32>(v->dim) != dims)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("expected %u dimensions, not %d", dims, v->dim),
                        errdetail("Index \"%s\" holds vectors of %u dimensions.", RelationGetRelationName(index),
                                  dims)));
    memcpy(dst, v->x, sizeof(float) * dims);
    if (reinterpret_cast<Pointer>(v) != DatumGetPointer(value)) pfree(v);
    if (metric != kMetricCosine) return true;
    // Cosine indexes hold unit vectors; a zero vector has no direction and is not indexed
    // (its `<=>` distance to anything is NaN, as in pgvector).
    double norm = std::sqrt(static_cast<double>(NormSquared(dst, dims)));
    if (norm == 0.0) return false;
    for (uint32 i = 0; i < dims; i++) dst[i] = static_cast<float>(dst[i] / norm);
    return true;
}

// Computes the operator's exact distance between a query (prepared) and a raw stored vector.
double ExactDistance(uint32 metric, const float* query, const float* x, uint32 dims) {
    switch (metric) {
        case kMetricL2:
            return std::sqrt(static_cast<double>(L2SquaredDistance(query, x, dims)));
        case kMetricIp:
            return -static_cast<double>(InnerProduct(query, x, dims));
        case kMetricCosine:
            return CosineDistance(query, x, dims);
        case kMetricL1:
            return static_cast<double>(L1Distance(query, x, dims));
    }
    return 0.0;
}

}  // namespace jade::ext::index
