// value.h — comparing and combining text-format cells with their PostgreSQL type's semantics.
//
// Merging happens on text cells (the workers' text output). Ordering follows the column type:
//   integers (int2/int4/int8/oid)  numeric value
//   float4/float8                  numeric value; NaN sorts above +Infinity (as PostgreSQL)
//   numeric                        exact decimal (Decimal), NaN greatest
//   bool                           false < true
//   everything else                byte order of the text — correct for the C collation,
//                                  ISO dates/timestamps and uuid; for text columns in a
//                                  non-C collation the merged order can differ from a single
//                                  server's (documented in coordinator/README.md).
#pragma once

#include <cstdint>
#include <string>

#include "merge/row.h"
#include "util/expected.h"

namespace jade::coord {

enum class ValueClass : uint8_t { kInteger, kFloat, kNumeric, kBool, kText };

/** The comparison class of a PostgreSQL type OID. */
ValueClass ClassifyType(uint32_t type_oid);

/** A pre-parsed sort key cell, so comparisons in the merge heap do not re-parse text. */
struct KeyValue {
  bool null = true;
  ValueClass cls = ValueClass::kText;
  int64_t i = 0;
  double f = 0;
  const std::string* text = nullptr;  ///< kText/kNumeric: points into the owning row
};

/** Parses `cell` for comparison; 22P02 when the text is not a valid value of the class. */
Expected<KeyValue> MakeKeyValue(ValueClass cls, const Cell& cell);

/** Three-way compare of two non-null key values of the same class. */
int CompareKeyValues(const KeyValue& a, const KeyValue& b);

/** float8out / float4out text of a double (shortest round trip, PostgreSQL's layout rules). */
std::string FormatFloat8(double v);
std::string FormatFloat4(float v);

/** Parses float text as float8in does ("NaN", "Infinity", "-1.5e10"). */
Expected<double> ParseFloat(const std::string& text);
/** Parses int8 text. */
Expected<int64_t> ParseInt64(const std::string& text);

}  // namespace jade::coord
