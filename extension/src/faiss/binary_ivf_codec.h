// faiss/binary_ivf_codec.h — the IVF codec for `bit` strings under Hamming distance
// (`bit_hamming_ops` with ivfflat, or `faiss` with IVFn,Flat): binary centroids plus list codes
// that are the bit strings themselves.
//
// Design (the counterpart of ivf_codec.h for packed bits): the codec holds nlist binary centroids;
// the access method stores the lists (codes = the rows' own bytes, TIDs) in pages and scans them.
//   * Train: FAISS k-means (faiss::Clustering) over the sample unpacked to ±1 floats, centroids
//     binarized by sign: the majority bit of each cluster (what faiss::IndexBinaryIVF and pgvector
//     do). The training set is capped at 256 rows per list and at kMaxTrainingFloats floats.
//   * Assign / rank lists / score codes: Hamming distances with the POPCNT kernels of
//     distance/distance.h, so list scores are exact `<~>` values.
// Bits are packed most significant first (PostgreSQL's `bit` layout), dim bits in (dim + 7) / 8
// bytes, padding bits zero. Serialized as our envelope (envelope.h) + nlist × code_size bytes.
// Threading and errors as ivf_codec.h: Train uses `threads` OpenMP threads (ScopedOmpThreads),
// everything else the caller's thread; throws JadeError / Interrupted / std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faiss/byte_stream.h"
#include "faiss/factory.h"

namespace jade::ext::engine {

inline constexpr uint32_t kBinaryIvfCodecMagic = 0x4A424943;  // "JBIC"
// Bound on the unpacked training set (1 GB of floats): 64,000-bit rows train on 4,096 of them.
inline constexpr int64_t kMaxTrainingFloats = int64_t{1} << 28;

class BinaryIvfCodec {
public:
    // Trains nlist binary centroids on n packed rows (spec: IVFn,Flat with the Hamming metric).
    // Fewer than nlist rows → JadeError 22023. Deterministic for a given input and thread count.
    static std::unique_ptr<BinaryIvfCodec> Train(const FactorySpec& spec, const uint8_t* x, int64_t n, int threads);

    // Restores a codec written by Serialize; damaged or foreign bytes → JadeError XX002.
    static std::unique_ptr<BinaryIvfCodec> Deserialize(ByteSource* source);
    void Serialize(ByteSink* sink) const;

    const FactorySpec& spec() const { return spec_; }
    int dim() const { return spec_.dim; }
    int64_t nlist() const { return spec_.nlist; }
    size_t code_size() const { return code_size_; }
    size_t MemoryBytes() const { return sizeof(*this) + centroids_.size(); }

    // Assigns n packed rows to their nearest centroid (ties: the lower list number) and copies
    // them as codes (codes[n * code_size()]).
    void AssignEncode(int64_t n, const uint8_t* x, int64_t* lists, uint8_t* codes) const;

    // Ranks the nprobe lists nearest to a packed query: lists[nprobe], their Hamming distances
    // dist[nprobe], nearest first (ties: lower list number).
    void NearestLists(const uint8_t* query, int64_t nprobe, int64_t* lists, float* dist) const;

    // Scores n codes: out[i] = Hamming distance from the query (the `<~>` value).
    void Score(const uint8_t* query, size_t n, const uint8_t* codes, float* out) const;

    // Returns the smallest nprobe whose lists hold `target` of the exact k nearest neighbours of
    // sample queries drawn from the n packed rows x (as calibrate.h does for float codecs; the
    // queries are sample rows with as many random bits flipped as their nearest neighbour is away).
    int64_t CalibrateNprobe(const uint8_t* x, int64_t n, double target, int k = 10) const;

private:
    BinaryIvfCodec(FactorySpec spec, std::vector<uint8_t> centroids);
    FactorySpec spec_;
    size_t code_size_;
    std::vector<uint8_t> centroids_;  // nlist × code_size
};

}  // namespace jade::ext::engine
