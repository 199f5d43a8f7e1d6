// row.h — result rows as the coordinator merges them: text-format cells, NULL = nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jade::coord {

using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;

/** A result column as the client sees it (RowDescription fields we care about). */
struct ColumnDesc {
  std::string name;
  uint32_t type_oid = 25;  ///< text unless known
  int32_t typmod = -1;
  int16_t type_len = -1;
};

/** Well-known PostgreSQL type OIDs (pg_type.dat). */
namespace oid {
constexpr uint32_t kBool = 16;
constexpr uint32_t kInt8 = 20;
constexpr uint32_t kInt2 = 21;
constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kOid = 26;
constexpr uint32_t kFloat4 = 700;
constexpr uint32_t kFloat8 = 701;
constexpr uint32_t kBpchar = 1042;
constexpr uint32_t kVarchar = 1043;
constexpr uint32_t kDate = 1082;
constexpr uint32_t kTimestamp = 1114;
constexpr uint32_t kTimestamptz = 1184;
constexpr uint32_t kNumeric = 1700;
constexpr uint32_t kUuid = 2950;
constexpr uint32_t kName = 19;
}  // namespace oid

}  // namespace jade::coord
