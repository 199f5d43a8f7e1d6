// hash.cpp — PostgreSQL's hash functions (common/hashfn.c, utils/adt/hashfunc.c), re-implemented
// bit-exactly so shard placement equals PG hash partitioning. Verified against a real
// PostgreSQL 15 in tests/unit/coordinator/test_hash.cpp.
#include "sharding/hash.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>

namespace jade::coord {
namespace {

// Rotates left (pg_rotate_left32).
inline uint32_t Rot(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// lookup3 mix(): reversibly mixes three 32-bit values.
inline void Mix(uint32_t& a, uint32_t& b, uint32_t& c) {
  a -= c; a ^= Rot(c, 4);  c += b;
  b -= a; b ^= Rot(a, 6);  a += c;
  c -= b; c ^= Rot(b, 8);  b += a;
  a -= c; a ^= Rot(c, 16); c += b;
  b -= a; b ^= Rot(a, 19); a += c;
  c -= b; c ^= Rot(b, 4);  b += a;
}

// lookup3 final(): final avalanche of three 32-bit values into c (and b).
inline void Final(uint32_t& a, uint32_t& b, uint32_t& c) {
  c ^= b; c -= Rot(b, 14);
  a ^= c; a -= Rot(c, 11);
  b ^= a; b -= Rot(a, 25);
  c ^= b; c -= Rot(b, 16);
  a ^= c; a -= Rot(c, 4);
  b ^= a; b -= Rot(a, 14);
  c ^= b; c -= Rot(b, 24);
}

// Reads 4 bytes as a little-endian word (PG's byte-at-a-time path equals this on every platform
// for the values we produce, and x86/ARM servers are little endian).
inline uint32_t Word(const unsigned char* k) {
  return uint32_t(k[0]) | (uint32_t(k[1]) << 8) | (uint32_t(k[2]) << 16) | (uint32_t(k[3]) << 24);
}

constexpr uint32_t kGoldenRatio = 0x9e3779b9;
constexpr uint32_t kPgSalt = 3923095;

// Parses a decimal integer the way int2in/int4in/int8in accept it (surrounding spaces allowed).
Expected<int64_t> ParseInteger(std::string_view s, int64_t min, int64_t max, const char* type_name) {
  size_t i = 0;
  size_t n = s.size();
  while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) i++;
  while (n > i && std::isspace(static_cast<unsigned char>(s[n - 1]))) n--;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i >= n) {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     std::string("invalid input syntax for type ") + type_name + ": \"" + std::string(s) + "\"");
  }
  // Accumulate negatively so INT64_MIN parses.
  int64_t acc = 0;
  for (; i < n; i++) {
    char ch = s[i];
    if (ch < '0' || ch > '9') {
      return MakeError(sqlstate::kInvalidTextRepresentation,
                       std::string("invalid input syntax for type ") + type_name + ": \"" + std::string(s) + "\"");
    }
    int d = ch - '0';
    if (acc < (std::numeric_limits<int64_t>::min() + d) / 10) {
      return MakeError(sqlstate::kNumericValueOutOfRange,
                       "value \"" + std::string(s) + "\" is out of range for type " + type_name);
    }
    acc = acc * 10 - d;
  }
  if (!neg) {
    if (acc == std::numeric_limits<int64_t>::min()) {
      return MakeError(sqlstate::kNumericValueOutOfRange,
                       "value \"" + std::string(s) + "\" is out of range for type " + type_name);
    }
    acc = -acc;
  }
  if (acc < min || acc > max) {
    return MakeError(sqlstate::kNumericValueOutOfRange,
                     "value \"" + std::string(s) + "\" is out of range for type " + type_name);
  }
  return acc;
}

// Parses a uuid in any form uuid_in accepts (optional braces, optional '-' after 4-digit groups).
Expected<std::string> ParseUuid(std::string_view s) {
  auto bad = [&] {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     "invalid input syntax for type uuid: \"" + std::string(s) + "\"");
  };
  std::string_view v = s;
  bool braces = !v.empty() && v.front() == '{';
  if (braces) {
    if (v.size() < 2 || v.back() != '}') return bad();
    v = v.substr(1, v.size() - 2);
  }
  std::string out;
  size_t i = 0;
  for (int byte = 0; byte < 16; byte++) {
    if (i + 2 > v.size() || !std::isxdigit(static_cast<unsigned char>(v[i])) ||
        !std::isxdigit(static_cast<unsigned char>(v[i + 1]))) {
      return bad();
    }
    out.push_back(static_cast<char>(std::stoi(std::string(v.substr(i, 2)), nullptr, 16)));
    i += 2;
    if (byte % 2 == 1 && byte < 15 && i < v.size() && v[i] == '-') i++;
  }
  if (i != v.size()) return bad();
  return out;
}

}  // namespace

uint64_t HashBytesExtended(const void* data, size_t len, uint64_t seed) {
  const auto* k = static_cast<const unsigned char*>(data);
  uint32_t a, b, c;
  a = b = c = kGoldenRatio + static_cast<uint32_t>(len) + kPgSalt;
  if (seed != 0) {
    // PostgreSQL folds the 64-bit seed into a and b, then mixes once.
    a += static_cast<uint32_t>(seed >> 32);
    b += static_cast<uint32_t>(seed);
    Mix(a, b, c);
  }
  while (len >= 12) {
    a += Word(k);
    b += Word(k + 4);
    c += Word(k + 8);
    Mix(a, b, c);
    k += 12;
    len -= 12;
  }
  // The last 0..11 bytes; the lowest byte of c stays reserved (the length went into the seed).
  switch (len) {
    case 11: c += uint32_t(k[10]) << 24; [[fallthrough]];
    case 10: c += uint32_t(k[9]) << 16; [[fallthrough]];
    case 9: c += uint32_t(k[8]) << 8; [[fallthrough]];
    case 8: b += uint32_t(k[7]) << 24; [[fallthrough]];
    case 7: b += uint32_t(k[6]) << 16; [[fallthrough]];
    case 6: b += uint32_t(k[5]) << 8; [[fallthrough]];
    case 5: b += k[4]; [[fallthrough]];
    case 4: a += uint32_t(k[3]) << 24; [[fallthrough]];
    case 3: a += uint32_t(k[2]) << 16; [[fallthrough]];
    case 2: a += uint32_t(k[1]) << 8; [[fallthrough]];
    case 1: a += k[0]; [[fallthrough]];
    default: break;
  }
  Final(a, b, c);
  return (uint64_t(b) << 32) | c;
}

uint64_t HashUint32Extended(uint32_t value, uint64_t seed) {
  uint32_t a, b, c;
  a = b = c = kGoldenRatio + uint32_t(sizeof(uint32_t)) + kPgSalt;
  if (seed != 0) {
    a += static_cast<uint32_t>(seed >> 32);
    b += static_cast<uint32_t>(seed);
    Mix(a, b, c);
  }
  a += value;
  Final(a, b, c);
  return (uint64_t(b) << 32) | c;
}

uint64_t HashInt4Extended(int32_t value, uint64_t seed) { return HashUint32Extended(uint32_t(value), seed); }

uint64_t HashInt8Extended(int64_t value, uint64_t seed) {
  // Fold the high half into the low half so that int8 values in int4 range hash like int4.
  uint32_t lo = static_cast<uint32_t>(value);
  uint32_t hi = static_cast<uint32_t>(static_cast<uint64_t>(value) >> 32);
  lo ^= (value >= 0) ? hi : ~hi;
  return HashUint32Extended(lo, seed);
}

uint64_t HashCombine64(uint64_t a, uint64_t b) {
  a ^= b + UINT64_C(0x49a0f4dd15e5a8e3) + (a << 54) + (a >> 7);
  return a;
}

uint32_t KeyTypeOid(KeyType type) {
  switch (type) {
    case KeyType::kInt2: return 21;
    case KeyType::kInt4: return 23;
    case KeyType::kInt8: return 20;
    case KeyType::kText: return 25;
    case KeyType::kVarchar: return 1043;
    case KeyType::kUuid: return 2950;
  }
  return 0;
}

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kInt2: return "smallint";
    case KeyType::kInt4: return "integer";
    case KeyType::kInt8: return "bigint";
    case KeyType::kText: return "text";
    case KeyType::kVarchar: return "character varying";
    case KeyType::kUuid: return "uuid";
  }
  return "?";
}

Expected<KeyType> KeyTypeFromName(std::string_view name) {
  std::string n(name);
  for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto paren = n.find('(');
  std::string base = paren == std::string::npos ? n : n.substr(0, paren);
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base == "smallint" || base == "int2") return KeyType::kInt2;
  if (base == "integer" || base == "int" || base == "int4" || base == "serial") return KeyType::kInt4;
  if (base == "bigint" || base == "int8" || base == "bigserial") return KeyType::kInt8;
  if (base == "text") return KeyType::kText;
  if (base == "character varying" || base == "varchar") return KeyType::kVarchar;
  if (base == "uuid") return KeyType::kUuid;
  return MakeError(sqlstate::kFeatureNotSupported, "shard key type " + std::string(name) + " is not supported",
                   "Shard keys must be smallint, integer, bigint, text, varchar or uuid.");
}

Expected<KeyType> KeyTypeFromOid(uint32_t oid) {
  switch (oid) {
    case 21: return KeyType::kInt2;
    case 23: return KeyType::kInt4;
    case 20: return KeyType::kInt8;
    case 25: return KeyType::kText;
    case 1043: return KeyType::kVarchar;
    case 2950: return KeyType::kUuid;
    default:
      return MakeError(sqlstate::kFeatureNotSupported,
                       "shard key type with OID " + std::to_string(oid) + " is not supported");
  }
}

Expected<uint64_t> PartitionHash(KeyType type, std::string_view text) {
  uint64_t h = 0;
  switch (type) {
    case KeyType::kInt2: {
      auto v = ParseInteger(text, -32768, 32767, "smallint");
      if (!v) return std::move(v).error();
      h = HashInt4Extended(static_cast<int32_t>(*v), kHashPartitionSeed);
      break;
    }
    case KeyType::kInt4: {
      auto v = ParseInteger(text, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                            "integer");
      if (!v) return std::move(v).error();
      h = HashInt4Extended(static_cast<int32_t>(*v), kHashPartitionSeed);
      break;
    }
    case KeyType::kInt8: {
      auto v = ParseInteger(text, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                            "bigint");
      if (!v) return std::move(v).error();
      h = HashInt8Extended(*v, kHashPartitionSeed);
      break;
    }
    case KeyType::kText:
    case KeyType::kVarchar:
      // Deterministic collations hash the bytes (hashtextextended).
      h = HashBytesExtended(text.data(), text.size(), kHashPartitionSeed);
      break;
    case KeyType::kUuid: {
      auto raw = ParseUuid(text);
      if (!raw) return std::move(raw).error();
      h = HashBytesExtended(raw->data(), raw->size(), kHashPartitionSeed);
      break;
    }
  }
  return HashCombine64(0, h);
}

Expected<uint32_t> ShardIndexForKey(KeyType type, std::string_view text, uint32_t shard_count) {
  auto h = PartitionHash(type, text);
  if (!h) return std::move(h).error();
  return ShardIndexForHash(*h, shard_count);
}

std::string VarcharStored(std::string_view text, int32_t length) {
  if (length < 0) return std::string(text);
  // Byte offset where character `length` starts (UTF-8: continuation bytes are 10xxxxxx).
  size_t chars = 0, cut = text.size();
  for (size_t i = 0; i < text.size(); i++) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == static_cast<size_t>(length)) {
      cut = i;
      break;
    }
    chars++;
  }
  if (cut == text.size() || text.find_first_not_of(' ', cut) != std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, cut));
}

}  // namespace jade::coord
