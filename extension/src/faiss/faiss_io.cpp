// faiss/faiss_io.cpp — FAISS index (de)serialization inside the envelope (faiss_io.h).
#include "faiss/faiss_io.h"

#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cstring>

#include "faiss/faiss_guard.h"

namespace jade::ext::engine {

namespace {

// A faiss::IOReader over a byte span: read_index streams from it without a private copy
// (an HNSW graph payload can be hundreds of megabytes).
struct SpanIOReader : faiss::IOReader {
    const uint8_t* p;
    size_t left;
    SpanIOReader(const uint8_t* data, size_t len) : p(data), left(len) {}
    size_t operator()(void* ptr, size_t size, size_t nitems) override {
        // Returns whole items only; a short count makes FAISS throw "read error".
        if (size == 0) return nitems;
        size_t n = std::min(nitems, left / size);
        std::memcpy(ptr, p, n * size);
        p += n * size;
        left -= n * size;
        return n;
    }
};

}  // namespace

void AppendFaissIndex(ByteWriter* w, const faiss::Index* idx) {
    // Length-prefixed write_index payload.
    faiss::VectorIOWriter vw;
    FaissCall("serializing a FAISS index", [&] { faiss::write_index(idx, &vw); });
    w->U64(vw.data.size());
    w->Raw(vw.data.data(), vw.data.size());
}

std::unique_ptr<faiss::Index> ReadFaissIndex(ByteReader* r) {
    // FAISS validates fourccs and lengths with catchable exceptions; report them as damage.
    uint64_t len = r->U64();
    if (len > r->remaining()) r->Corrupt("the FAISS payload is truncated");
    const uint8_t* data = r->Take(static_cast<size_t>(len));
    SpanIOReader reader(data, static_cast<size_t>(len));
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
