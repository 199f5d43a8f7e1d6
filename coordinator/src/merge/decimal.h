// decimal.h — exact decimal arithmetic for merging numeric aggregates (sum, avg) across shards.
//
// PostgreSQL's numeric is arbitrary precision; summing shard partial sums in double would change
// the result. Decimal holds an unscaled magnitude as decimal digits plus a scale, supports the
// special values NaN and ±Infinity (PG 14+), and reproduces numeric_div's result scale
// (select_div_scale: at least 16 significant digits, never less than the inputs' scales) so that
// avg() text matches a single PostgreSQL server digit for digit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord {

class Decimal {
 public:
  Decimal() = default;
  /** Parses numeric text ("-12.340", "1e5", "NaN", "Infinity"); 22P02 on bad input. */
  static Expected<Decimal> Parse(std::string_view text);
  static Decimal FromInt(int64_t v);

  /** Text as numeric_out prints it (display scale kept, e.g. "2.5000000000000000"). */
  std::string ToString() const;
  /** Sum keeps the larger display scale, as numeric_add does. */
  Decimal Add(const Decimal& o) const;
  /** Three-way comparison with PostgreSQL's order (NaN greatest, then +Infinity). */
  int Compare(const Decimal& o) const;
  /** numeric_div(this, count) for a positive integer count, rounded half away from zero. */
  Decimal DivideByCount(uint64_t count) const;
  bool is_zero() const { return kind_ == Kind::kFinite && magnitude_ == "0"; }

 private:
  enum class Kind : uint8_t { kFinite, kNaN, kPosInf, kNegInf };
  int CompareMagnitude(const Decimal& o) const;  // finite only, ignoring sign
  std::string Scaled(int scale) const;           // magnitude padded to `scale`

  Kind kind_ = Kind::kFinite;
  bool negative_ = false;
  std::string magnitude_ = "0";  ///< unscaled digits, no leading zeros ("0" for zero)
  int scale_ = 0;                ///< digits after the decimal point (display scale)
};

}  // namespace jade::coord
