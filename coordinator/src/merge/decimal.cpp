// decimal.cpp — string-digit decimal arithmetic (only what the merge needs: parse, add, compare,
// divide by a count). Values are small (sums of shard results), so clarity beats speed here.
#include "merge/decimal.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace jade::coord {
namespace {

constexpr int kMinSigDigits = 16;     // NUMERIC_MIN_SIG_DIGITS
constexpr int kMaxDisplayScale = 1000;  // NUMERIC_MAX_DISPLAY_SCALE

// Removes leading zeros, keeping "0" for zero.
std::string StripLeading(std::string s) {
  size_t i = 0;
  while (i + 1 < s.size() && s[i] == '0') i++;
  return s.substr(i);
}

// Adds two non-negative digit strings.
std::string AddDigits(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) || carry; i++) {
    int d = carry;
    if (i < a.size()) d += a[a.size() - 1 - i] - '0';
    if (i < b.size()) d += b[b.size() - 1 - i] - '0';
    out.push_back(static_cast<char>('0' + d % 10));
    carry = d / 10;
  }
  std::reverse(out.begin(), out.end());
  return StripLeading(out);
}

// Subtracts b from a (a >= b), digit strings.
std::string SubDigits(const std::string& a, const std::string& b) {
  std::string out;
  int borrow = 0;
  for (size_t i = 0; i < a.size(); i++) {
    int d = (a[a.size() - 1 - i] - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    borrow = d < 0;
    if (d < 0) d += 10;
    out.push_back(static_cast<char>('0' + d));
  }
  std::reverse(out.begin(), out.end());
  return StripLeading(out);
}

// Compares two digit strings without leading zeros.
int CompareDigits(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

Expected<Decimal> Decimal::Parse(std::string_view text) {
  auto bad = [&] {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     "invalid input syntax for type numeric: \"" + std::string(text) + "\"");
  };
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  Decimal d;
  auto ieq = [](std::string_view a, const char* b) {
    return a.size() == std::strlen(b) &&
           std::equal(a.begin(), a.end(), b, [](char x, char y) { return std::tolower(x) == std::tolower(y); });
  };
  if (ieq(s, "nan")) {
    d.kind_ = Kind::kNaN;
    return d;
  }
  bool neg = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (ieq(s, "infinity") || ieq(s, "inf")) {
    d.kind_ = neg ? Kind::kNegInf : Kind::kPosInf;
    return d;
  }
  std::string digits;
  int scale = 0;
  bool seen_point = false, any = false;
  size_t i = 0;
  for (; i < s.size(); i++) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      digits.push_back(ch);
      any = true;
      if (seen_point) scale++;
    } else if (ch == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any) return bad();
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return bad();
    i++;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i >= s.size()) return bad();
    long exp = 0;
    for (; i < s.size(); i++) {
      if (s[i] < '0' || s[i] > '9' || exp > 100000) return bad();
      exp = exp * 10 + (s[i] - '0');
    }
    scale -= static_cast<int>(eneg ? -exp : exp);
    if (scale < 0) {
      digits.append(static_cast<size_t>(-scale), '0');
      scale = 0;
    }
  }
  d.magnitude_ = StripLeading(digits);
  d.scale_ = scale;
  d.negative_ = neg && d.magnitude_ != "0";
  return d;
}

Decimal Decimal::FromInt(int64_t v) {
  Decimal d;
  d.negative_ = v < 0;
  uint64_t m = d.negative_ ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  d.magnitude_ = std::to_string(m);
  return d;
}

std::string Decimal::ToString() const {
  switch (kind_) {
    case Kind::kNaN: return "NaN";
    case Kind::kPosInf: return "Infinity";
    case Kind::kNegInf: return "-Infinity";
    case Kind::kFinite: break;
  }
  std::string m = magnitude_;
  if (static_cast<int>(m.size()) <= scale_) m.insert(0, static_cast<size_t>(scale_) - m.size() + 1, '0');
  std::string out = negative_ ? "-" : "";
  if (scale_ == 0) return out + m;
  return out + m.substr(0, m.size() - static_cast<size_t>(scale_)) + "." + m.substr(m.size() - static_cast<size_t>(scale_));
}

std::string Decimal::Scaled(int scale) const {
  if (magnitude_ == "0") return "0";
  return magnitude_ + std::string(static_cast<size_t>(scale - scale_), '0');
}

int Decimal::CompareMagnitude(const Decimal& o) const {
  int s = std::max(scale_, o.scale_);
  return CompareDigits(Scaled(s), o.Scaled(s));
}

Decimal Decimal::Add(const Decimal& o) const {
  Decimal r;
  if (kind_ == Kind::kNaN || o.kind_ == Kind::kNaN) {
    r.kind_ = Kind::kNaN;
    return r;
  }
  if (kind_ != Kind::kFinite || o.kind_ != Kind::kFinite) {
    if (kind_ != Kind::kFinite && o.kind_ != Kind::kFinite && kind_ != o.kind_) {
      r.kind_ = Kind::kNaN;  // Infinity + -Infinity
    } else {
      r.kind_ = kind_ != Kind::kFinite ? kind_ : o.kind_;
    }
    return r;
  }
  r.scale_ = std::max(scale_, o.scale_);
  std::string a = Scaled(r.scale_), b = o.Scaled(r.scale_);
  if (negative_ == o.negative_) {
    r.magnitude_ = AddDigits(a, b);
    r.negative_ = negative_;
  } else if (CompareDigits(a, b) >= 0) {
    r.magnitude_ = SubDigits(a, b);
    r.negative_ = negative_;
  } else {
    r.magnitude_ = SubDigits(b, a);
    r.negative_ = o.negative_;
  }
  if (r.magnitude_ == "0") r.negative_ = false;
  return r;
}

int Decimal::Compare(const Decimal& o) const {
  auto rank = [](const Decimal& d) {
    switch (d.kind_) {
      case Kind::kNegInf: return 0;
      case Kind::kFinite: return 1;
      case Kind::kPosInf: return 2;
      case Kind::kNaN: return 3;
    }
    return 1;
  };
  int ra = rank(*this), rb = rank(o);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra != 1) return 0;
  if (negative_ != o.negative_) return negative_ ? -1 : 1;
  int c = CompareMagnitude(o);
  return negative_ ? -c : c;
}

Decimal Decimal::DivideByCount(uint64_t count) const {
  Decimal r;
  if (kind_ != Kind::kFinite) {
    r.kind_ = kind_;
    return r;
  }
  // select_div_scale(): weights and first digits are in base NBASE = 10000 (DEC_DIGITS = 4).
  // For x != 0 with leading decimal exponent e, weight = floor(e / 4) and the first NBASE digit
  // is the group of 4 decimal digits at that weight.
  auto weight_and_first = [](const std::string& mag, int scale, int* weight, int* first) {
    if (mag == "0") {
      *weight = 0;
      *first = 0;
      return;
    }
    int e = static_cast<int>(mag.size()) - 1 - scale;  // exponent of the leading digit
    int w = e >= 0 ? e / 4 : -((-e + 3) / 4);
    *weight = w;
    int v = 0;
    for (int p = 4 * w + 3; p >= 4 * w; p--) {
      int idx = static_cast<int>(mag.size()) - 1 - scale - p;  // index of the digit at exponent p
      v = v * 10 + ((idx >= 0 && idx < static_cast<int>(mag.size())) ? mag[static_cast<size_t>(idx)] - '0' : 0);
    }
    *first = v;
  };
  int w1, f1, w2, f2;
  weight_and_first(magnitude_, scale_, &w1, &f1);
  weight_and_first(std::to_string(count), 0, &w2, &f2);
  int qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  int rscale = kMinSigDigits - qweight * 4;
  rscale = std::max(rscale, scale_);
  rscale = std::max(rscale, 0);
  rscale = std::min(rscale, kMaxDisplayScale);

  // q = round(magnitude * 10^(rscale - scale) / count), half away from zero.
  std::string num = magnitude_ + std::string(static_cast<size_t>(rscale - scale_), '0');
  std::string q;
  unsigned __int128 rem = 0;
  for (char ch : num) {
    rem = rem * 10 + static_cast<unsigned>(ch - '0');
    q.push_back(static_cast<char>('0' + static_cast<int>(rem / count)));
    rem %= count;
  }
  q = StripLeading(q);
  if (rem * 2 >= count) q = AddDigits(q, "1");
  r.magnitude_ = q;
  r.scale_ = rscale;
  r.negative_ = negative_ && q != "0";
  return r;
}

}  // namespace jade::coord
