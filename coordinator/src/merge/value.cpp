// value.cpp — typed comparison of text cells and PostgreSQL-style float output.
#include "merge/value.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "merge/decimal.h"
#include "sharding/hash.h"

namespace jade::coord {
namespace {

// Lays out shortest round-trip digits the way PostgreSQL's float output does: fixed notation
// when -4 <= exponent < fixed_limit, otherwise d.ddde±XX with at least two exponent digits.
std::string LayoutShortest(const char* sci, int fixed_limit) {
  // `sci` is std::to_chars scientific output: [-]d[.ddd]e±X...
  std::string s(sci);
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t epos = s.find('e');
  std::string mant = s.substr(0, epos);
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (char ch : mant) {
    if (ch != '.') digits.push_back(ch);
  }
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < fixed_limit) {
    if (exp < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits + std::string(static_cast<size_t>(exp + 1) - digits.size(), '0');
    } else {
      out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char eb[16];
  std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
  return out + eb;
}

}  // namespace

ValueClass ClassifyType(uint32_t oid) {
  switch (oid) {
    case oid::kInt2:
    case oid::kInt4:
    case oid::kInt8:
    case oid::kOid:
      return ValueClass::kInteger;
    case oid::kFloat4:
    case oid::kFloat8:
      return ValueClass::kFloat;
    case oid::kNumeric:
      return ValueClass::kNumeric;
    case oid::kBool:
      return ValueClass::kBool;
    default:
      return ValueClass::kText;
  }
}

Expected<double> ParseFloat(const std::string& text) {
  const char* p = text.c_str();
  while (*p == ' ') p++;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(p, &end);
  while (end && *end == ' ') end++;
  if (end == p || (end && *end != '\0')) {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     "invalid input syntax for type double precision: \"" + text + "\"");
  }
  return v;
}

Expected<int64_t> ParseInt64(const std::string& text) {
  auto h = PartitionHash(KeyType::kInt8, text);  // validates exactly like int8in
  if (!h) return std::move(h).error();
  return static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10));
}

Expected<KeyValue> MakeKeyValue(ValueClass cls, const Cell& cell) {
  KeyValue k;
  k.cls = cls;
  if (!cell) return k;
  k.null = false;
  switch (cls) {
    case ValueClass::kInteger: {
      const std::string& s = *cell;
      auto r = std::from_chars(s.data(), s.data() + s.size(), k.i);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        auto slow = ParseInt64(s);
        if (!slow) return std::move(slow).error();
        k.i = *slow;
      }
      break;
    }
    case ValueClass::kFloat: {
      auto f = ParseFloat(*cell);
      if (!f) return std::move(f).error();
      k.f = *f;
      break;
    }
    case ValueClass::kBool:
      k.i = (*cell == "t" || *cell == "true") ? 1 : 0;
      break;
    case ValueClass::kNumeric:
    case ValueClass::kText:
      k.text = &*cell;
      break;
  }
  return k;
}

int CompareKeyValues(const KeyValue& a, const KeyValue& b) {
  switch (a.cls) {
    case ValueClass::kInteger:
    case ValueClass::kBool:
      return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    case ValueClass::kFloat: {
      bool an = std::isnan(a.f), bn = std::isnan(b.f);
      if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
      return a.f < b.f ? -1 : (a.f > b.f ? 1 : 0);
    }
    case ValueClass::kNumeric: {
      auto da = Decimal::Parse(*a.text), db = Decimal::Parse(*b.text);
      if (da.ok() && db.ok()) return da->Compare(*db);
      break;  // unparsable numeric text: fall back to byte order rather than crash
    }
    case ValueClass::kText:
      break;
  }
  int c = a.text->compare(*b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string FormatFloat8(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, v, std::chars_format::scientific);
  *r.ptr = '\0';
  return LayoutShortest(buf, 15);
}

std::string FormatFloat4(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, v, std::chars_format::scientific);
  *r.ptr = '\0';
  return LayoutShortest(buf, 6);
}

}  // namespace jade::coord
