// shard_sql.h — one deparse for many shards.
//
// Deparsing costs tens of microseconds, and a fan-out needs one statement per shard that differs
// only in relation names. ShardSqlTemplate renames every distributed-table RangeVar to a
// placeholder identifier, deparses once, finds the placeholder tokens with PostgreSQL's own
// lexer (pg_query_scan: an identifier token, never text inside a literal or comment), and then
// splices the shard table name in per shard. No SQL text is searched by pattern and no user
// value is ever inserted: only catalog-derived shard names, quoted when needed.
#pragma once

#include <string>
#include <vector>

#include "metadata/catalog.h"
#include "sql/parser.h"
#include "util/expected.h"

namespace jade::coord::planner {

class ShardSqlTemplate {
 public:
  /**
   * Builds the template from `stmt`, which is modified (relation names become placeholders;
   * with `add_alias`, an unaliased relation keeps its old name as alias).
   */
  static Expected<ShardSqlTemplate> Build(PgQuery__Node* stmt, const Catalog& catalog, bool add_alias);

  /** The statement with every distributed table renamed to its shard of index `index`. */
  std::string ForShard(uint32_t index) const;

 private:
  const Catalog* catalog_ = nullptr;
  std::vector<std::string> pieces_;                 ///< text around placeholders (size = slots + 1)
  std::vector<const DistributedTable*> slots_;      ///< table of each placeholder occurrence
};

/** A shard table name as SQL: bare when it is a plain lowercase identifier, else double-quoted. */
std::string ShardRelSql(const std::string& name);

}  // namespace jade::coord::planner
