// planner.h — turns one parsed statement into a Plan (plan.h), given the metadata catalog.
//
// Planning ladder, cheapest correct plan first (as Citus' planner/README):
//   1. coordinator-local: transaction control, SET/RESET, jade_* metadata functions and views
//   2. passthrough: no distributed table referenced → default node, SQL unchanged
//   3. single shard: every distributed table in the statement is pinned to one shard by a
//      shard-key equality (`id = 5`, `id = $1`, `id IN (...)` with one shard, INSERT rows all
//      hashing to one shard)
//   4. fan-out: read-only SELECT over one distributed table, merged (merge_spec.h)
//   5. modify: multi-shard INSERT/UPDATE/DELETE, 2PC by the executor
//   6. broadcast DDL
// Anything else → Error 0A000 naming the construct (joins of distributed tables on different
// shards, subqueries over distributed tables, HAVING across shards, window functions, ...).
// Never a wrong result.
//
// Pure: no I/O, deterministic. Parameter values (text or binary) are inputs so `WHERE id = $1`
// routes to one shard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "merge/row.h"
#include "metadata/catalog.h"
#include "planner/plan.h"
#include "sql/parser.h"
#include "util/expected.h"

namespace jade::coord {

/** One bound parameter as the client sent it. */
struct Param {
  std::optional<std::string> value;  ///< nullopt = SQL NULL; raw bytes (text or binary form)
  uint32_t type_oid = 0;             ///< 0 = unspecified
  bool binary = false;               ///< format code 1
};
using Params = std::vector<Param>;

/** What the planner needs to know about the client's session. */
struct SessionInfo {
  bool in_transaction = false;   ///< inside BEGIN ... COMMIT
  std::string user = "postgres";
  std::string database = "postgres";
};

/** Plans one statement. */
Expected<Plan> PlanStatement(const Catalog& catalog, const ParsedStatement& stmt, const Params& params,
                             const SessionInfo& session);

/** What PlanDistribution() returns: the steps of create_distributed_table on an existing table. */
struct DistributionSteps {
  CreateDistributedTableCmd command;   ///< append after the data moved
  std::vector<Task> create_shards;     ///< CREATE TABLE per shard (run first, atomically)
  Task copy_out;                       ///< on the source node: `COPY <table> TO STDOUT` (text format)
  CopyPlan copy_in;                    ///< feed copy_out's data through a CopySplitter into these
  Task drop_source;                    ///< on the source node after the command is appended
};

/**
 * Second step of kDistributeTable: given the rows of `request.describe_sql` (columns
 * attname, format_type, attnotnull, default expression), builds the shard DDL and data move.
 * 42P01 if no rows (table missing), 42703 for an unknown shard key, 0A000 for an unsupported
 * key type or a sequence default.
 */
Expected<DistributionSteps> PlanDistribution(const Catalog& catalog, const DistributeRequest& request,
                                             const std::vector<Row>& describe_rows);

}  // namespace jade::coord
