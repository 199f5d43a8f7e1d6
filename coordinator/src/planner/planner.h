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
  /**
   * Schemas an unqualified table name is looked up in, in order ($user already replaced). An
   * unqualified name is the distributed table of the first of these schemas that has one.
   */
  std::vector<std::string> search_path = {"public"};
};

/** Plans one statement. */
Expected<Plan> PlanStatement(const Catalog& catalog, const ParsedStatement& stmt, const Params& params,
                             const SessionInfo& session);

/**
 * True when `plan` may be run again for the same statement text, catalog (applied index),
 * session transaction state and parameter count, whatever the parameter values: planning read
 * no parameter value, the plan changes no metadata, and it is a worker-statement plan
 * (passthrough, single shard, fan-out, modify). The executor caches such plans per prepared
 * statement, which saves parse-tree copies, rewriting and deparsing on every Execute.
 */
bool PlanIsReusable(const Plan& plan);

/**
 * A fan-out with several shards on one node, rewritten to one statement per node (UNION ALL of
 * its shard statements, each row tagged with its shard position; see node_combine.cpp). Plans
 * it does not apply to come back unchanged: other kinds, one shard per node, and sorted merges
 * that stream (no LIMIT, or more than kWholeResultRows rows). Costs a parse per node, so the
 * executor applies it to plans it caches.
 */
Expected<Plan> CombineFanOutByNode(Plan plan);

/** The source table as the default node's catalog describes it (rows of the describe queries). */
struct TableDescription {
  /// describe_sql: attname, format_type, attnotnull ("t"/"f"), default expression, attidentity,
  /// attgenerated, attnum, collation schema, collation name (both null: the type's default), relkind,
  /// and the table's schema (fills DistributeRequest::schema when the name was unqualified).
  std::vector<Row> columns;
  /// constraints_sql: name, contype ("p", "u", "c", "f", "x", "t", or "trigger" for a user
  /// trigger), pg_get_constraintdef, conkey ("{1,2}"), and "t" when the constraint is the
  /// table's own ("f": another table's foreign key references it).
  std::vector<Row> constraints;
  /// indexes_sql (indexes that back no constraint): index name, pg_get_indexdef, indisunique,
  /// indkey ("1 0 3", 0 = expression), indnkeyatts.
  std::vector<Row> indexes;
};

/** What PlanDistribution() returns: the steps of create_distributed_table on an existing table. */
struct DistributionSteps {
  CreateDistributedTableCmd command;   ///< append once every participant has prepared
  CopyPlan copy_in;                    ///< per shard: CREATE TABLE; COPY; constraints and indexes
  SourceMove source;                   ///< lock, COPY TO STDOUT, empty + guard the shell
};

/**
 * Second step of kDistributeTable: given the describe rows, builds the shard DDL (columns with
 * NOT NULL, DEFAULT and collation; PRIMARY KEY, UNIQUE and CHECK constraints; every other index,
 * `USING faiss/hnsw/ivfflat` and reloptions included, from pg_get_constraintdef/pg_get_indexdef
 * of the source node) and the data move. 42P01 if no columns (table missing), 42703 for an
 * unknown shard key, 0A000 for an unsupported key type, a sequence/identity/generated column,
 * a unique constraint or index without the shard key, exclusion or foreign-key constraints, a
 * table referenced by a foreign key, user triggers, or a source that is not a plain table.
 */
Expected<DistributionSteps> PlanDistribution(const Catalog& catalog, const DistributeRequest& request,
                                             const TableDescription& described);

/** Fills request->describe_sql/constraints_sql/indexes_sql for the table request->schema.table. */
Status SetDescribeQueries(DistributeRequest* request);

}  // namespace jade::coord
