// faiss/envelope.h — INTERNAL: the byte envelope around serialized FAISS structures.
//
// Serialized codecs and graphs are stored by the AM in index pages and read back by every
// backend, possibly by a later build of the extension. The envelope makes a mismatch an error
// instead of a misread: a magic per object kind, a format version, the spec that produced the
// object (re-validated with ParseFactory on load) and the payload length. Layout (native byte
// order, as PostgreSQL pages themselves):
//
//   u32 magic | u32 version | u32 metric | u32 dim | u32 ef_construction | u32 canonical_len |
//   canonical factory bytes | object-specific fields (written by the owner) | u64 payload_len |
//   payload (FAISS write_index bytes)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "faiss/byte_stream.h"
#include "faiss/factory.h"

namespace jade::ext::engine {

inline constexpr uint32_t kIvfCodecMagic = 0x4A495643;  // "JIVC"
inline constexpr uint32_t kHnswGraphMagic = 0x4A484E57;  // "JHNW"
inline constexpr uint32_t kEnvelopeVersion = 2;  // 2: HNSW graphs carry the inner-product norm bound

// Writes fixed-size values and byte runs to a sink.
class ByteWriter {
public:
    explicit ByteWriter(ByteSink* sink) : sink_(sink) {}
    void U32(uint32_t v) { Raw(&v, sizeof(v)); }
    void U64(uint64_t v) { Raw(&v, sizeof(v)); }
    void Raw(const void* p, size_t n) {
        if (n > 0) sink_->Write(p, n);
    }
    ByteSink* sink() { return sink_; }

private:
    ByteSink* sink_;
};

// Reads what ByteWriter wrote; a read past the end throws JadeError XX002.
class ByteReader {
public:
    ByteReader(ByteSource* source, const char* what) : source_(source), what_(what) {}
    uint32_t U32();
    uint64_t U64();
    void Raw(void* dst, size_t n);
    uint64_t remaining() const { return source_->Remaining(); }
    ByteSource* source() { return source_; }
    [[noreturn]] void Corrupt(const std::string& why) const;

private:
    ByteSource* source_;
    const char* what_;
};

// Writes the common header for a spec.
void WriteEnvelopeHeader(ByteWriter* w, uint32_t magic, const FactorySpec& spec, int ef_construction);

// Reads and validates the common header; returns the re-parsed spec and ef_construction.
FactorySpec ReadEnvelopeHeader(ByteReader* r, uint32_t magic, int* ef_construction);

}  // namespace jade::ext::engine
