// faiss/faiss_io.cpp — FAISS index (de)serialization inside the envelope (faiss_io.h).
#include "faiss/faiss_io.h"

#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>

#include "faiss/faiss_guard.h"

namespace jade::ext::engine {

namespace {

// Counts what write_index would write (sizing pass: the envelope stores the length first).
struct CountingIOWriter : faiss::IOWriter {
    uint64_t bytes = 0;
    size_t operator()(const void*, size_t size, size_t nitems) override {
        bytes += static_cast<uint64_t>(size) * nitems;
        return nitems;
    }
};

// Streams write_index output into a ByteSink.
struct SinkIOWriter : faiss::IOWriter {
    ByteSink* sink;
    explicit SinkIOWriter(ByteSink* s) : sink(s) {}
    size_t operator()(const void* ptr, size_t size, size_t nitems) override {
        if (size * nitems > 0) sink->Write(ptr, size * nitems);
        return nitems;
    }
};

// Feeds read_index from a ByteSource, never past the payload's length; returns whole items
// only, so a short source makes FAISS throw its "read error".
struct SourceIOReader : faiss::IOReader {
    ByteSource* source;
    uint64_t left;
    SourceIOReader(ByteSource* s, uint64_t len) : source(s), left(len) {}
    size_t operator()(void* ptr, size_t size, size_t nitems) override {
        if (size == 0) return nitems;
        size_t n = static_cast<size_t>(std::min<uint64_t>(nitems, left / size));
        size_t got = n == 0 ? 0 : source->Read(ptr, n * size);
        left -= got;
        return got / size;
    }
};

}  // namespace

void AppendFaissIndex(ByteWriter* w, const faiss::Index* idx) {
    // Length-prefixed write_index payload, streamed to the sink without a private copy.
    CountingIOWriter counter;
    FaissCall("serializing a FAISS index", [&] { faiss::write_index(idx, &counter); });
    w->U64(counter.bytes);
    SinkIOWriter out(w->sink());
    FaissCall("serializing a FAISS index", [&] { faiss::write_index(idx, &out); });
}

std::unique_ptr<faiss::Index> ReadFaissIndex(ByteReader* r) {
    // FAISS validates fourccs and lengths with catchable exceptions; report them as damage.
    uint64_t len = r->U64();
    if (len > r->remaining()) r->Corrupt("the FAISS payload is truncated");
    SourceIOReader reader(r->source(), len);
    std::unique_ptr<faiss::Index> idx;
    try {
        // IVFPQ's nlist x M x 2^b precomputed table is not wanted (ivf_codec.cpp): skip its
        // computation instead of building and then dropping it.
        idx.reset(faiss::read_index(&reader, faiss::IO_FLAG_SKIP_PRECOMPUTE_TABLE));
    } catch (const faiss::FaissException& e) {
        r->Corrupt("FAISS cannot read it (" + TrimFaissMessage(e.what()) + ")");
    }
    if (!idx) r->Corrupt("FAISS returned no index");
    if (reader.left != 0) r->Corrupt("trailing bytes after the FAISS payload");
    return idx;
}

}  // namespace jade::ext::engine
