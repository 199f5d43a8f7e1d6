// merge_spec.h — how the coordinator combines the rows that several shards return.
//
// The planner rewrites a cross-shard SELECT into one query per shard and a MergeSpec; the
// executor runs the shard queries and feeds their rows (text format) into a ResultMerger
// (result_merger.h) built from the MergeSpec. Three modes:
//
//  kConcat     rows are forwarded as they arrive (no ORDER BY); LIMIT/OFFSET applied globally.
//  kSorted     each shard returns rows already sorted by `sort`; a streaming k-way merge emits them
//              in global order. This is the top-k path: `ORDER BY embedding <-> $1 LIMIT k` is sent
//              to every shard as `... ORDER BY embedding <-> $1 LIMIT offset+k` with the distance
//              added as a hidden trailing column `jade_sort_<i>`; the merger compares those,
//              consumes a shard's row only when it is the global minimum, and stops after
//              offset+k rows — so it reads at most offset+k+shards rows.
//  kAggregate  shards return partial aggregates per group (avg(x) is rewritten to sum(x) and
//              count(x) as hidden columns); the merger combines them per group key, computes the
//              final values, then applies ORDER BY (on output columns) and LIMIT/OFFSET.
//              SELECT DISTINCT is the same mode with only group-key outputs.
//
// Hidden columns: shard queries may return more columns than the client asked for (sort keys,
// group keys not selected, avg partials). Only outputs[0 .. visible_outputs) reach the client.
// Column types come from the shard RowDescription at run time (OutputTypes()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "merge/row.h"

namespace jade::coord {

/** One ORDER BY key. `column` indexes shard columns (kSorted) or outputs (kAggregate). */
struct SortKey {
  int column = 0;
  bool descending = false;
  bool nulls_first = false;  ///< PostgreSQL default: NULLS LAST for ASC, NULLS FIRST for DESC
  bool operator==(const SortKey& o) const {
    return column == o.column && descending == o.descending && nulls_first == o.nulls_first;
  }
};

/** What an output column is computed from. */
enum class OutputKind : uint8_t {
  kColumn,  ///< a shard column passed through (plain column, or group key in kAggregate)
  kCount,   ///< sum of shard count() values (int8)
  kSum,     ///< sum of shard sum() values (NULL when all are NULL)
  kMin,
  kMax,
  kAvg,     ///< sum(source) / sum(source2) where source is a shard sum() and source2 a shard count()
};

struct OutputColumn {
  std::string name;  ///< client-visible column name
  OutputKind kind = OutputKind::kColumn;
  int source = 0;    ///< shard column index
  int source2 = -1;  ///< kAvg: shard column with the count
  bool operator==(const OutputColumn& o) const {
    return name == o.name && kind == o.kind && source == o.source && source2 == o.source2;
  }
};

enum class MergeMode : uint8_t { kConcat, kSorted, kAggregate };

struct MergeSpec {
  MergeMode mode = MergeMode::kConcat;
  size_t shard_columns = 0;             ///< columns each shard query returns
  std::vector<OutputColumn> outputs;    ///< result columns, visible ones first
  size_t visible_outputs = 0;           ///< how many outputs the client sees
  std::vector<SortKey> sort;            ///< merge order (see SortKey::column)
  std::vector<int> group_columns;       ///< kAggregate: shard columns forming the group key
  std::optional<uint64_t> limit;        ///< global LIMIT
  uint64_t offset = 0;                  ///< global OFFSET
};

/**
 * Client-visible column types for a merge, given the shard result's column type OIDs:
 * kColumn/kMin/kMax/kSum keep the shard type, kCount is int8, kAvg is float8 when the shard
 * sum is float4/float8 and numeric otherwise (as PostgreSQL's avg()).
 */
std::vector<uint32_t> OutputTypes(const MergeSpec& spec, const std::vector<uint32_t>& shard_types);

/** One-line description for EXPLAIN, e.g. "Merge: k-way sorted on jade_sort_0, limit 10". */
std::string DescribeMerge(const MergeSpec& spec);

}  // namespace jade::coord
