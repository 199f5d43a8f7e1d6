// faiss/ivf_codec.h — the IVF families' codec: a trained coarse quantizer plus list encoder.
//
// Design: the FAISS IndexIVF* object lives here with EMPTY inverted lists; the lists themselves
// (codes + ids) are stored by the access method in PostgreSQL pages and scanned in place. The AM
// walks the lists itself, on the backend thread (DEPENDENCIES.md "Recommended design"):
//
//     auto codec = IvfCodec::Deserialize(bytes, len);            // cached per backend
//     codec->NearestLists(q, nprobe, lists, coarse);               // rank lists for the query
//     auto sc = codec->NewScanner(q);                              // one per query
//     for each probed list j: sc->SetList(lists[j], coarse[j]);
//         for each page: sc->Score(n, page_codes, dis)               // all candidates, or
//                        sc->ScanCodes(n, page_codes, page_ids, heap) // bounded top-k
//
// ScanCodes over pages gives exactly IndexIVF::search's results (unit-tested for Flat, SQ8, PQ).
// Lossy codes (SQ8, PQ) rank candidates approximately; re-rank the best with OperatorDistance
// on the raw vectors (metric.h) for exact order.
//
// Threading: Train and AssignEncode may use `threads` OpenMP threads (ScopedOmpThreads; back to
// 1 afterwards); everything else runs on the caller's thread. A codec is immutable after Train /
// Deserialize, so one codec may serve many scanners in turn; a scanner is single-threaded.
// Errors: jade::JadeError (validated input, trimmed FAISS messages), jade::Interrupted from the
// chunked loops, std::bad_alloc. No FAISS header is included here.
//
// Input vectors are RAW: the codec normalizes for Cosine itself. A zero vector under Cosine is
// rejected with JadeError 22023 (filter such rows out before calling, see PrepareVector).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faiss/byte_stream.h"
#include "faiss/factory.h"

namespace jade::ext::engine {

class IvfScanner;

// A bounded top-k result collector in caller-owned memory (arrays may come from palloc).
// Init fills it with empty slots; ScanCodes keeps the k best; Finish sorts it.
struct TopKHeap {
    int64_t k = 0;              // capacity, >= 1
    float* distances = nullptr; // k slots: internal FAISS heap layout until Finish
    int64_t* ids = nullptr;     // k slots; kNoId marks an empty slot
};

class IvfCodec {
public:
    // Trains the coarse quantizer (k-means via FAISS/BLAS) and the codec on n raw vectors.
    // spec must be an IVF family with spec.dim > 0. Fewer than MinTrainingRows(spec) rows →
    // JadeError 22023 (use ShrinkNlistForRows for the documented fallback). Deterministic for a
    // given input and thread count (FAISS's fixed k-means seed).
    static std::unique_ptr<IvfCodec> Train(const FactorySpec& spec, const float* x, int64_t n, int threads);

    // Restores a codec from Serialize() bytes; checks our envelope (magic, version, dims,
    // family) and that the FAISS payload is the expected index type with empty lists.
    // Damaged or foreign bytes → JadeError XX002 (index_corrupted).
    static std::unique_ptr<IvfCodec> Deserialize(const uint8_t* data, size_t len);
    // The same, streaming from a source (e.g. a chain of index pages); reads exactly the
    // serialized bytes and leaves the rest of the source unread.
    static std::unique_ptr<IvfCodec> Deserialize(ByteSource* source);

    ~IvfCodec();
    IvfCodec(const IvfCodec&) = delete;
    IvfCodec& operator=(const IvfCodec&) = delete;

    // Writes the codec (envelope + FAISS write_index payload, lists empty) to bytes.
    std::vector<uint8_t> Serialize() const;
    // The same, streamed to a sink.
    void Serialize(ByteSink* sink) const;

    // Returns the bare FAISS write_index bytes of the trained IndexIVF (lists empty), readable by
    // faiss::read_index: for tests that compare with IndexIVF::search, and offline inspection.
    std::vector<uint8_t> ExportFaissIndex() const;

    const FactorySpec& spec() const { return spec_; }
    int dim() const { return spec_.dim; }
    Metric metric() const { return spec_.metric; }
    int64_t nlist() const { return spec_.nlist; }
    // Bytes of one encoded vector in a list (same as CodeSize(spec())).
    size_t code_size() const;
    // Approximate heap bytes held by this object (centroids, codebooks, tables).
    size_t MemoryBytes() const;

    // Assigns n raw vectors to their nearest list (lists[n]) and encodes them
    // (codes[n * code_size()]) in chunks, checking for interrupts between chunks.
    void AssignEncode(int64_t n, const float* x, int64_t* lists, uint8_t* codes, int threads = 1) const;

    // Decodes n codes of one list back into approximate vectors (out[n * dim]), normalized
    // space for Cosine. Useful for inspection and for rebuilding; not needed to search.
    void Decode(int64_t n, const uint8_t* codes, int64_t list, float* out) const;

    // Ranks the lists nearest to a raw query: lists[nprobe] (nearest first) and their coarse
    // FAISS distances coarse[nprobe] (to pass to IvfScanner::SetList). 1 <= nprobe <= nlist.
    void NearestLists(const float* query, int64_t nprobe, int64_t* lists, float* coarse) const;

    // Starts a per-query scanner for a raw query vector. The codec must outlive the scanner.
    std::unique_ptr<IvfScanner> NewScanner(const float* query) const;

private:
    struct Impl;
    IvfCodec(FactorySpec spec, std::unique_ptr<Impl> impl);
    FactorySpec spec_;
    std::unique_ptr<Impl> impl_;
    friend class IvfScanner;
};

// Scores codes of one list at a time for one query (wraps faiss::InvertedListScanner).
class IvfScanner {
public:
    ~IvfScanner();
    IvfScanner(const IvfScanner&) = delete;
    IvfScanner& operator=(const IvfScanner&) = delete;

    // Selects the list whose codes follow; coarse is that list's NearestLists distance.
    // Must be called before scoring (list in 0..nlist-1).
    void SetList(int64_t list, float coarse);

    // Scores n codes of the current list: out[i] = order distance (smaller is closer).
    void Score(size_t n, const uint8_t* codes, float* out);

    // Prepares a heap: k >= 1 slots in caller memory, all empty.
    void InitHeap(TopKHeap* heap) const;

    // Offers n codes of the current list with their ids to the heap (keeps the k best);
    // returns the number of heap updates. Same arithmetic as IndexIVF::search.
    size_t ScanCodes(size_t n, const uint8_t* codes, const int64_t* ids, TopKHeap* heap);

    // Sorts the heap by increasing order distance, converts its values to order distances and
    // returns how many slots are filled (the rest hold kNoId / +inf).
    int64_t FinishHeap(TopKHeap* heap) const;

private:
    struct Impl;
    explicit IvfScanner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class IvfCodec;
};

}  // namespace jade::ext::engine
