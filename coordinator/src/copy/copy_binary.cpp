// copy_binary.cpp — binary COPY headers, tuples and key values (format notes in copy_binary.h).
#include "copy/copy_binary.h"

#include <cstdint>

namespace jade::coord::copy_binary {
namespace {

constexpr std::string_view kSignature{"PGCOPY\n\xff\r\n\0", 11};

uint32_t Be32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

uint16_t Be16(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}

uint64_t Be64(std::string_view s) {
  uint64_t v = 0;
  for (unsigned char ch : s) v = (v << 8) | ch;
  return v;
}

Error Malformed(const std::string& message) { return MakeError(sqlstate::kBadCopyFileFormat, message); }

}  // namespace

Expected<size_t> HeaderLength(std::string_view data) {
  size_t have = std::min(data.size(), kSignature.size());
  if (data.substr(0, have) != kSignature.substr(0, have)) return Malformed("COPY file signature not recognized");
  if (data.size() < kSignature.size() + 8) return size_t{0};
  uint32_t flags = Be32(data.data() + kSignature.size());
  if ((flags & (1u << 16)) != 0) return Malformed("invalid COPY file header (WITH OIDS)");
  if ((flags >> 16) != 0) return Malformed("unrecognized critical flags in COPY file header");
  uint32_t ext = Be32(data.data() + kSignature.size() + 4);
  if (ext > (1u << 30)) return Malformed("invalid COPY file header (wrong length)");
  size_t total = kSignature.size() + 8 + ext;
  return data.size() < total ? size_t{0} : total;
}

Expected<Tuple> ParseTuple(std::string_view data, int key_field) {
  Tuple t;
  if (data.size() < 2) return t;
  int16_t fields = static_cast<int16_t>(Be16(data.data()));
  if (fields == -1) {
    t.trailer = true;
    t.length = 2;
    return t;
  }
  if (fields < 0) return Malformed("row field count is " + std::to_string(fields) + ", expected a count of columns");
  if (key_field >= fields) return Malformed("missing data for the shard key column");
  size_t pos = 2;
  for (int f = 0; f < fields; ++f) {
    if (data.size() < pos + 4) return Tuple{};
    int32_t len = static_cast<int32_t>(Be32(data.data() + pos));
    pos += 4;
    if (len < -1) return Malformed("invalid field size");
    if (len == -1) {
      if (f == key_field) t.key.reset();
      continue;
    }
    if (data.size() < pos + static_cast<size_t>(len)) return Tuple{};
    if (f == key_field) t.key = data.substr(pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  t.length = pos;
  return t;
}

Expected<std::string> KeyText(KeyType type, std::string_view bytes) {
  auto wrong = [&](size_t want) {
    return MakeError("22P03", "incorrect binary data format in the shard key: " + std::to_string(bytes.size()) +
                                  " bytes, expected " + std::to_string(want));
  };
  switch (type) {
    case KeyType::kInt2:
      if (bytes.size() != 2) return wrong(2);
      return std::to_string(static_cast<int16_t>(Be64(bytes)));
    case KeyType::kInt4:
      if (bytes.size() != 4) return wrong(4);
      return std::to_string(static_cast<int32_t>(Be64(bytes)));
    case KeyType::kInt8:
      if (bytes.size() != 8) return wrong(8);
      return std::to_string(static_cast<int64_t>(Be64(bytes)));
    case KeyType::kText:
    case KeyType::kVarchar:
      return std::string(bytes);
    case KeyType::kUuid: {
      if (bytes.size() != 16) return wrong(16);
      static const char* hex = "0123456789abcdef";
      std::string out;
      for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(hex[static_cast<unsigned char>(bytes[i]) >> 4]);
        out.push_back(hex[static_cast<unsigned char>(bytes[i]) & 15]);
      }
      return out;
    }
  }
  return MakeError(sqlstate::kFeatureNotSupported, "unsupported shard key type");
}

}  // namespace jade::coord::copy_binary
