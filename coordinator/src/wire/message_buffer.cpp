// message_buffer.cpp — protocol v3 message writer and reader (see message_buffer.h).
#include "wire/message_buffer.h"

#include <cstring>

namespace jade::coord::wire {

// Starts a typed message and leaves room for its length.
void MessageWriter::Begin(char type) {
    out_->push_back(type);
    BeginUntyped();
}

// Remembers where the length field goes and reserves it.
void MessageWriter::BeginUntyped() {
    start_ = out_->size();
    out_->append(4, '\0');
}

// Writes the final length (including the length field itself) into the reserved slot.
void MessageWriter::End() {
    uint32_t len = static_cast<uint32_t>(out_->size() - start_);
    char* p = &(*out_)[start_];
    p[0] = static_cast<char>(len >> 24);
    p[1] = static_cast<char>(len >> 16);
    p[2] = static_cast<char>(len >> 8);
    p[3] = static_cast<char>(len);
}

// Appends a big-endian int16.
void MessageWriter::Int16(int16_t v) {
    uint16_t u = static_cast<uint16_t>(v);
    out_->push_back(static_cast<char>(u >> 8));
    out_->push_back(static_cast<char>(u));
}

// Appends a big-endian int32.
void MessageWriter::Int32(int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                 static_cast<char>(u)};
    out_->append(b, 4);
}

// Appends the string and its terminating NUL.
void MessageWriter::CString(std::string_view s) {
    out_->append(s.data(), s.size());
    out_->push_back('\0');
}

// Reads one byte.
bool MessageReader::Int8(uint8_t* v) {
    if (!ok_ || remaining() < 1) return Fail();
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
}

// Reads a big-endian int16.
bool MessageReader::Int16(int16_t* v) {
    if (!ok_ || remaining() < 2) return Fail();
    const auto* u = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
    *v = static_cast<int16_t>((u[0] << 8) | u[1]);
    pos_ += 2;
    return true;
}

// Reads a big-endian int32.
bool MessageReader::Int32(int32_t* v) {
    if (!ok_ || remaining() < 4) return Fail();
    *v = ReadBE32(data_.data() + pos_);
    pos_ += 4;
    return true;
}

// Reads a NUL-terminated string (the view excludes the NUL).
bool MessageReader::CString(std::string_view* s) {
    if (!ok_) return false;
    const void* nul = std::memchr(data_.data() + pos_, '\0', remaining());
    if (nul == nullptr) return Fail();
    size_t len = static_cast<const char*>(nul) - (data_.data() + pos_);
    *s = data_.substr(pos_, len);
    pos_ += len + 1;
    return true;
}

// Reads exactly n bytes.
bool MessageReader::Bytes(size_t n, std::string_view* s) {
    if (!ok_ || remaining() < n) return Fail();
    *s = data_.substr(pos_, n);
    pos_ += n;
    return true;
}

}  // namespace jade::coord::wire
