// faiss/factory.h — the accepted factory-string grammar, validated before FAISS sees it.
//
// FAISS's index_factory accepts far more than we can store in pages, and some of its failure
// paths are FAISS_ASSERTs that abort the backend. So the user's string is parsed HERE, by our own
// grammar, and only a canonical key we generate ourselves is handed to FAISS.
//
// Accepted (case-sensitive as in FAISS, spaces ignored; n, m, M, b decimal):
//   Flat            exact scan of raw vectors (no FAISS index; lists of raw floats)
//   IVFn,Flat       n inverted lists (1..65536), raw float codes            FAISS "IVFn,Flat"
//   IVFn,SQ8        n lists, 8-bit scalar quantizer codes (lossy)          FAISS "IVFn,SQ8"
//   IVFn,PQm[xb]    n lists, product quantizer with m sub-quantizers of b  FAISS "IVFn,PQm[xb]np"
//                   bits (b in 4..12, default 8; dim % m == 0) (lossy)     (no polysemous training)
//   IVFn,SQfp16     n lists, half-precision codes (lossy for float data;  FAISS "IVFn,SQfp16",
//                   exact for `halfvec` data under L2 / inner product)     not by residual
//   HNSWM           HNSW graph, M links (2..256), raw float storage        FAISS "HNSWM,Flat"
//   HNSWM,Flat      same as HNSWM
//   HNSWM,SQ8       HNSW graph over 8-bit scalar-quantized storage (lossy) FAISS "HNSWM,SQ8"
// Dimensions 1..16000 for all families. Metric support: L2, InnerProduct and Cosine everywhere;
// L1 only for Flat and HNSWM[,Flat] (FAISS 1.7.3's IVF scanners and SQ distance computers only
// implement L2 and inner product). The bit metrics (`bit` strings, 1..64000 bits): Hamming for
// Flat and IVFn,Flat (binary codes, binary_ivf_codec.h), Jaccard for Flat only.
//
// Errors: jade::JadeError 22023 (invalid_parameter_value) for a malformed or out-of-range string,
// 0A000 (feature_not_supported) for a metric the family cannot do, 54000 (program_limit_exceeded)
// for sizes over our limits. Messages are lowercase one-liners naming the offending value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faiss/metric.h"

namespace jade::ext::engine {

// Family values are stored in index metadata by the AM: never renumber.
enum class Family : uint32_t {
    Flat = 1,
    IvfFlat = 2,
    IvfSq8 = 3,
    IvfPq = 4,
    Hnsw = 5,     // HNSW over raw float storage
    HnswSq8 = 6,  // HNSW over SQ8 storage
    IvfSqFp16 = 7,  // IVF lists of half-precision codes
};

inline constexpr int kMaxDim = 16000;
inline constexpr int kMaxBitDim = 64000;  // bit strings (pgvector's bound for bit indexes)
inline constexpr int kMaxNlist = 65536;
inline constexpr int kMinHnswM = 2;
inline constexpr int kMaxHnswM = 256;
inline constexpr int kMinPqBits = 4;
inline constexpr int kMaxPqBits = 12;
inline constexpr int kMaxEfConstruction = 4096;

// A validated factory string.
struct FactorySpec {
    Family family = Family::Flat;
    int dim = 0;             // 0 when parsed without a known dimension (reloption validation)
    Metric metric = Metric::L2;
    int nlist = 0;           // IVF families
    int pq_m = 0;            // IvfPq: sub-quantizers
    int pq_nbits = 0;        // IvfPq: bits per sub-quantizer code
    int hnsw_m = 0;          // HNSW families
    std::string canonical;   // normalized user-facing form, e.g. "IVF100,PQ16" or "HNSW16,Flat"
    std::string faiss_key;   // what index_factory receives, e.g. "IVF100,PQ16np" (empty for Flat)

    bool IsIvf() const {
        return family == Family::IvfFlat || family == Family::IvfSq8 || family == Family::IvfPq ||
               family == Family::IvfSqFp16;
    }
    // IVF over packed bits with Hamming distance (BinaryIvfCodec), not a FAISS IndexIVF.
    bool IsBinaryIvf() const { return family == Family::IvfFlat && IsBitMetric(metric); }
    bool IsHnsw() const { return family == Family::Hnsw || family == Family::HnswSq8; }
    // Codes give approximate distances: results need an exact re-rank (SQ8, PQ).
    bool IsLossy() const {
        return family == Family::IvfSq8 || family == Family::IvfPq || family == Family::HnswSq8 ||
               family == Family::IvfSqFp16;
    }
};

// Parses and validates a user factory string for `dim` dimensions (0 = not yet known: the
// dimension-dependent checks are skipped) and the metric. Throws JadeError as described above.
FactorySpec ParseFactory(std::string_view user_string, int dim, Metric metric);

// Returns bytes FAISS stores per vector: Flat, IVFn,Flat, HNSWm: 4 * dim; SQ8 (IVF or HNSW): dim;
// SQfp16: 2 * dim; PQ: ceil(m*b/8); bit metrics (Flat, IVFn,Flat): ceil(dim/8). For IVF families
// this is the list code size. Requires spec.dim > 0.
int64_t CodeSize(const FactorySpec& spec);

// Minimum number of training vectors the spec needs: IVF needs one per list, PQ also 2^b per
// sub-quantizer; HNSW-SQ8 needs 1 (its value ranges come from data); Flat and HNSW-Flat need
// none (0). IvfCodec::Train / HnswGraph::Build reject fewer with a clear error (22023).
int64_t MinTrainingRows(const FactorySpec& spec);

// Returns a copy of an IVF spec with nlist reduced so that `rows` training vectors suffice
// (at least 1 list); the documented fallback for tables smaller than the requested list count.
// Throws 22023 when even nlist = 1 cannot be trained (PQ with fewer than 2^b rows).
FactorySpec ShrinkNlistForRows(const FactorySpec& spec, int64_t rows);

// Chooses the factory string used when CREATE INDEX gives none: Flat below 50k rows (exact and
// cheap), otherwise IVF with about rows/1000 lists (sqrt(rows) beyond a million rows), Flat codes;
// Flat for L1 and Jaccard (no IVF support). The result always parses with ParseFactory(…, dim,
// metric).
std::string DefaultFactory(int64_t rows, int dim, Metric metric);

// pgvector `USING hnsw ... WITH (m, ef_construction)`: validates pgvector's bounds (m 2..100,
// ef_construction 4..1000 and >= 2*m) and returns the spec of "HNSWm,Flat".
FactorySpec FromHnswOptions(int m, int ef_construction, int dim, Metric metric);

// pgvector `USING ivfflat ... WITH (lists)`: validates lists 1..32768 and returns "IVFlists,Flat".
FactorySpec FromIvfflatOptions(int lists, int dim, Metric metric);

}  // namespace jade::ext::engine
