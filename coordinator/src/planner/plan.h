// plan.h — the value the planner hands to the executor: what to run where, and how to merge.
//
// A Plan is pure data. The executor (cio) never inspects SQL; it runs `tasks` on the nodes they
// name, feeds results to the merge described by `merge`, appends `commands` to the metadata store,
// and answers the client. Plan kinds, cheapest first:
//
//  kLocal            answered by the coordinator: `local` holds columns + rows + tag. Metadata
//                    functions (jade_add_node, create_distributed_table on an empty coordinator
//                    view, ...) put their metadata `commands` in the plan: append them (in order)
//                    BEFORE sending the rows; if an append fails, send its error instead.
//  kPassthrough      a statement that touches no distributed table: tasks[0] runs on the default
//                    node with the client's original SQL text (and all parameters). Also SHOW,
//                    utility statements, and COPY of plain tables (copy_in = true).
//  kSingleShard      tasks[0] runs on one shard's node with relation names rewritten.
//  kFanOut           read-only: tasks run in parallel (one per shard), rows merged by `merge`.
//  kModify           writes on several shards (multi-row INSERT split by shard, UPDATE/DELETE
//                    without a shard-key filter): all tasks must commit atomically → 2PC when
//                    they span more than one node. Tag row counts are summed.
//  kBroadcast        DDL on every shard table / every node (CREATE INDEX, ALTER, DROP TABLE,
//                    CREATE EXTENSION). Atomic like kModify. Then append `commands`.
//  kCopyIn           COPY FROM STDIN into a distributed table: see `copy`.
//  kTransaction      BEGIN/COMMIT/ROLLBACK/SAVEPOINT/...: see `txn`.
//  kSessionSet       SET/RESET/DISCARD: see `setting`.
//  kDistributeTable  create_distributed_table() on an existing table: see `distribute` and
//                    PlanDistribution() in planner.h. The table stays on the default node,
//                    empty and write-guarded, as the catalog shell of the distributed table.
//  kExplain          EXPLAIN of a distributed statement: run each task (already `EXPLAIN ...`)
//                    and build the output with AssembleExplain() (planner/explain.h).
//
// Errors are not a kind: PlanStatement returns Error (0A000 for unsupported constructs, naming
// the construct; 42P01 etc. as PostgreSQL would).
//
// Parameters: tasks reference the client's parameters through `params`: the task's $1 is the
// client's parameter params[0] (0-based), and so on. Send exactly those values and their types.
//
// Command tags: `command_tag` is the tag to send after the merged result. For tags that carry a
// row count ("SELECT", "INSERT 0", "UPDATE", "DELETE", "COPY") append " <n>" where n is the
// number of rows sent (kFanOut/kLocal) or the sum of the tasks' counts (kModify/kCopyIn/kSingleShard
// use the worker's own tag when there is exactly one task). Empty tag: use the worker's tag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "copy/copy_split.h"
#include "merge/merge_spec.h"
#include "merge/row.h"
#include "metadata/commands.h"
#include "sharding/hash.h"

namespace jade::coord {

/** Where a task runs. Copied out of the catalog so a plan is self-contained. */
struct NodeRef {
  uint32_t id = 0;
  std::string host;
  uint16_t port = 0;
  bool operator==(const NodeRef& o) const { return id == o.id && host == o.host && port == o.port; }
};

/** One statement on one node. */
struct Task {
  NodeRef node;
  uint64_t shard_id = 0;     ///< 0 = not shard specific (passthrough, per-node DDL)
  std::string sql;
  std::vector<int> params;   ///< client parameter indexes (0-based) bound to $1..$n of `sql`
  /// A node-combined fan-out task (CombineFanOutByNode): the merge inputs (shard positions) it
  /// carries. Its rows then start with an int4 column naming the input each row belongs to.
  std::vector<uint32_t> merge_inputs;
};

/**
 * Fan-out shard results with at most this many rows (offset+limit) are fetched whole, not row by
 * row: top-k sizes. Bounds that buffering to shards × this many rows per query.
 */
constexpr uint64_t kWholeResultRows = 200;

enum class PlanKind : uint8_t {
  kLocal,
  kPassthrough,
  kSingleShard,
  kFanOut,
  kModify,
  kBroadcast,
  kCopyIn,
  kTransaction,
  kSessionSet,
  kDistributeTable,
  kExplain,
};

/** Name of a plan kind ("single shard", "fan-out", ...), for logs and EXPLAIN. */
const char* PlanKindName(PlanKind kind);

/** A result the coordinator produces itself. */
struct LocalResult {
  std::vector<ColumnDesc> columns;   ///< empty: no RowDescription (a command without rows)
  std::vector<Row> rows;
};

enum class TxnKind : uint8_t { kBegin, kCommit, kRollback, kSavepoint, kRelease, kRollbackTo };

/** Transaction control. `sql` is the statement to forward to worker connections in the transaction. */
struct TxnControl {
  TxnKind kind = TxnKind::kBegin;
  std::string savepoint;   ///< kSavepoint/kRelease/kRollbackTo
  std::string sql;
};

enum class SettingKind : uint8_t {
  kSet,        ///< SET name = value (session level)
  kSetLocal,   ///< SET LOCAL name = value (until transaction end)
  kReset,      ///< RESET name / SET name TO DEFAULT
  kResetAll,   ///< RESET ALL, DISCARD ALL
  kOther,      ///< SET TRANSACTION ..., SET SESSION CHARACTERISTICS: forward only
};

/** Session state change: remember it and replay `sql` on every worker connection serving the client. */
struct SessionSetting {
  SettingKind kind = SettingKind::kSet;
  std::string name;    ///< lowercase GUC name ("hnsw.ef_search"); empty for kResetAll/kOther
  std::string value;   ///< value as SHOW would display it for simple values ("100", "on", "UTC")
  std::vector<std::string> values;  ///< the value list item by item (identifiers as named: search_path)
  std::string sql;     ///< deparsed statement to replay
};

/** COPY FROM STDIN into a distributed table. */
struct CopyPlan {
  std::string schema, table;
  CopyFormat format;           ///< how to parse the client's data (splitter input)
  int key_field = 0;           ///< position of the shard key among the copied columns
  KeyType key_type = KeyType::kInt8;
  int32_t key_length = -1;     ///< DistributedTable::key_length (varchar(n) keys)
  uint32_t shard_count = 0;
  std::vector<Task> shard_tasks;  ///< shard_tasks[i]: `COPY <shard> (...) FROM STDIN ...` for shard index i
  /// Statements run in shard i's transaction before its COPY (create_distributed_table: CREATE
  /// TABLE) and after it (constraints, indexes), all before PREPARE. Empty for a client COPY.
  std::vector<std::vector<std::string>> shard_setup, shard_finish;
};

/**
 * The source side of create_distributed_table, one transaction on the default node that takes
 * part in the move's two-phase commit: `before` (lock), `copy_out` (its rows feed the shard
 * COPYs), `after` (empty the table and guard it: it stays as the catalog shell).
 */
struct SourceMove {
  NodeRef node;
  std::vector<std::string> before;
  std::string copy_out;        ///< `COPY <table> TO STDOUT` (text format)
  std::vector<std::string> after;
};

/** create_distributed_table() on a table that exists on the default node (rows and all). */
struct DistributeRequest {
  std::string schema, table, shard_key;  ///< schema "": unqualified, resolved when described
  int64_t shard_count = kDefaultShardCount;
  NodeRef source;              ///< the default node holding the table today
  /// Run on `source` with no parameters, in this order; their rows are a TableDescription
  /// (planner.h) for PlanDistribution(): columns, constraints and triggers, other indexes.
  std::string describe_sql, constraints_sql, indexes_sql;
};

struct Plan {
  PlanKind kind = PlanKind::kPassthrough;
  std::vector<Task> tasks;
  MergeSpec merge;                     ///< kFanOut
  LocalResult local;                   ///< kLocal
  TxnControl txn;                      ///< kTransaction
  SessionSetting setting;              ///< kSessionSet
  CopyPlan copy;                       ///< kCopyIn
  DistributeRequest distribute;        ///< kDistributeTable
  std::vector<Command> commands;       ///< metadata changes (kLocal: before replying; kBroadcast: after tasks)
  std::string command_tag;             ///< see the header comment
  bool read_only = true;               ///< false for any plan that writes on workers
  bool atomic = true;                  ///< kModify/kBroadcast: all-or-nothing (2PC across nodes); false for
                                       ///< statements that cannot run in a transaction block (VACUUM)
  bool copy_in = false;                ///< kPassthrough/kSingleShard: the statement is COPY FROM STDIN
  bool returns_rows = false;           ///< kModify with RETURNING: concatenate the tasks' rows in task order
  bool explain_analyze = false;        ///< kExplain: tasks are EXPLAIN ANALYZE
  std::vector<std::string> explain;    ///< kExplain: distributed-plan lines, tasks follow
  std::vector<std::string> explain_task_sql;  ///< kExplain: the shard statement of each task (for display)
  std::string description;             ///< one-line route summary ("single shard items_102010 on node 2")
  bool param_values_used = false;      ///< planning read parameter values (shard pruning, LIMIT $n, ...)
  uint32_t merge_input_count = 0;      ///< kFanOut combined by node: merge inputs in all (0 = one per task)
};

}  // namespace jade::coord
