// byte_codec.h — little-endian writer/reader for metadata commands and snapshots.
//
// Integers are fixed width LE; strings and lists are u32 length prefixed. The reader never
// reads past its input: any overrun sets failed() and later reads return zero values, so a
// decoder checks failed() once at the end and reports XX001.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace jade::coord {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void StrList(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) Str(s);
  }
  std::string& bytes() { return out_; }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; i++) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Fixed(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  bool Bool() {
    uint8_t v = U8();
    if (v > 1) failed_ = true;
    return v == 1;
  }
  std::string Str() {
    uint32_t n = U32();
    if (failed_ || n > in_.size() - pos_) {
      failed_ = true;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> StrList() {
    uint32_t n = U32();
    std::vector<std::string> v;
    // Each element needs at least 4 bytes: bound the loop by the remaining input.
    if (failed_ || n > (in_.size() - pos_) / 4) {
      failed_ = true;
      return v;
    }
    for (uint32_t i = 0; i < n && !failed_; i++) v.push_back(Str());
    return v;
  }
  /** Remaining bytes; list decoders use it to bound element counts. */
  size_t remaining() const { return in_.size() - pos_; }
  bool failed() const { return failed_; }
  bool at_end() const { return pos_ == in_.size(); }
  void Fail() { failed_ = true; }

 private:
  uint64_t Fixed(int n) {
    if (failed_ || in_.size() - pos_ < static_cast<size_t>(n)) {
      failed_ = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= uint64_t(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace jade::coord
