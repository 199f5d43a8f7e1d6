// message_buffer.h — bounds-checked reading and length-patching writing of protocol v3 messages.
//
// Every backend message is: 1 type byte, int32 length (counting itself, not the type), payload.
// MessageWriter appends messages straight into a connection's output string (no temporaries on
// the row path); MessageReader walks a received payload and fails softly (ok() turns false)
// instead of reading past the end, so a truncated or lying message becomes one 08P01 error.
// Integers are big-endian (network order) as the protocol requires.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jade::coord::wire {

/** Appends protocol messages to an output buffer. One message open at a time. */
class MessageWriter {
public:
    explicit MessageWriter(std::string* out) : out_(out) {}

    // Starts a message of `type`; reserves its length field.
    void Begin(char type);
    // Starts a message without a type byte (startup-phase replies never need this; tests do).
    void BeginUntyped();
    // Patches the length field of the open message.
    void End();

    void Int8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
    void Int16(int16_t v);
    void Int32(int32_t v);
    // Writes a NUL-terminated string (the value itself must not contain NUL).
    void CString(std::string_view s);
    void Bytes(std::string_view s) { out_->append(s.data(), s.size()); }

    std::string* out() { return out_; }

private:
    std::string* out_;
    size_t start_ = 0;
};

/** Reads fields of one received message payload. */
class MessageReader {
public:
    explicit MessageReader(std::string_view payload) : data_(payload) {}

    bool Int8(uint8_t* v);
    bool Int16(int16_t* v);
    bool Int32(int32_t* v);
    // Reads up to the next NUL; fails when there is none.
    bool CString(std::string_view* s);
    bool Bytes(size_t n, std::string_view* s);

    bool ok() const { return ok_; }
    bool AtEnd() const { return pos_ == data_.size(); }
    size_t remaining() const { return data_.size() - pos_; }

private:
    bool Fail() {
        ok_ = false;
        return false;
    }

    std::string_view data_;
    size_t pos_ = 0;
    bool ok_ = true;
};

// Reads a big-endian int32 from 4 bytes.
inline int32_t ReadBE32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<int32_t>((uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3]);
}

}  // namespace jade::coord::wire
