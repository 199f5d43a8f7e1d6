// faiss/byte_stream.h — streaming (de)serialization endpoints for engine objects.
//
// A serialized HNSW graph of a million 128-d vectors is ~0.7 GB. Going through one contiguous
// buffer (pages → buffer → FAISS objects) doubles a backend's peak memory while it loads. The
// access method can instead hand the engine a ByteSource that copies straight out of its chain
// of blob pages, and a ByteSink that fills pages as the engine writes.
//
// Callbacks run on the caller's thread, outside any OpenMP region, and may throw (a PG-regime
// implementation wraps its buffer calls in jade::pg::PgCall, which turns an ERROR into a C++
// exception; the engine lets it propagate and frees what it allocated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace jade::ext::engine {

// Receives serialized bytes in order.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    // Appends n bytes (may throw).
    virtual void Write(const void* data, size_t n) = 0;
};

// Supplies serialized bytes in order.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Copies up to n bytes into dst and returns how many; fewer than n only at the end of data.
    virtual size_t Read(void* dst, size_t n) = 0;
    // Bytes not yet read (lets the engine reject impossible lengths before allocating).
    virtual uint64_t Remaining() const = 0;
};

// A ByteSink that appends to a vector.
class VectorSink : public ByteSink {
public:
    void Write(const void* data, size_t n) override {
        const auto* b = static_cast<const uint8_t*>(data);
        bytes.insert(bytes.end(), b, b + n);
    }
    std::vector<uint8_t> bytes;
};

// A ByteSource over a contiguous span (not copied; must outlive the reads).
class SpanSource : public ByteSource {
public:
    SpanSource(const uint8_t* data, size_t len) : p_(data), left_(len) {}
    size_t Read(void* dst, size_t n) override;
    uint64_t Remaining() const override { return left_; }

private:
    const uint8_t* p_;
    size_t left_;
};

}  // namespace jade::ext::engine
