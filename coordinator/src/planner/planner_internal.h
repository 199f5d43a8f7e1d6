// planner_internal.h — shared pieces of the planner's translation units (not a public API).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/planner.h"
#include "planner/tree.h"

namespace jade::coord::planner {

/** Everything one planning call reads. */
struct Ctx {
  const Catalog& catalog;
  const ParsedStatement& stmt;
  const Params& params;
  const SessionInfo& session;
};

/** A relation named in a statement. */
struct RelRef {
  std::string schema;                       ///< "public" when unqualified
  std::string name;
  std::string alias;                        ///< alias or "" (then columns may be qualified by `name`)
  const DistributedTable* table = nullptr;  ///< null: a plain table on the default node
};

/**
 * Sets the search path unqualified names are resolved with while a statement is planned on this
 * thread (PlanStatement holds one for SessionInfo::search_path).
 */
class SearchPathScope {
 public:
  explicit SearchPathScope(const std::vector<std::string>& path);
  ~SearchPathScope();
  SearchPathScope(const SearchPathScope&) = delete;
  SearchPathScope& operator=(const SearchPathScope&) = delete;

 private:
  const std::vector<std::string>* previous_;
};

/** Schema a name refers to: its own, else the first schema on the search path (for messages). */
std::string SchemaOf(const PgQuery__RangeVar* rv);
/**
 * The distributed table a RangeVar names: a qualified name in its schema; an unqualified one in
 * the first schema on the search path that has a distributed table of that name (a plain table
 * of the same name in an earlier schema is not known to the coordinator).
 */
const DistributedTable* FindDistributed(const Catalog& catalog, const PgQuery__RangeVar* rv);
/** Every RangeVar of the tree, resolved against the catalog. */
std::vector<RelRef> CollectRelations(const PgQuery__Node* root, const Catalog& catalog);
/** True when any relation is distributed. */
bool AnyDistributed(const std::vector<RelRef>& rels);

NodeRef ToNodeRef(const Node& n);
/** The node and shard for index `i` of `table`. */
const Shard& ShardFor(const Catalog& catalog, const DistributedTable& table, uint32_t index);

/**
 * How many parameter values planning has read on this thread so far: PlanStatement compares it
 * before and after to tell whether a plan depends on the values (Plan::param_values_used).
 */
uint64_t ParamValueReads();
/** Text value of parameter $number (1-based); decodes binary int2/4/8, text, varchar, uuid. */
Expected<std::optional<std::string>> ParamText(const Params& params, int number);
/** Resolves a constant or parameter (possibly under casts) to text; nullopt if not a constant. */
Expected<std::optional<tree::ConstValue>> ResolveValue(const PgQuery__Node* n, const Params& params);

/**
 * The shard indexes a WHERE clause restricts `rel` to through its shard key (=, IN, AND, OR);
 * nullopt when it does not (all shards).
 */
std::optional<std::set<uint32_t>> PruneShards(const RelRef& rel, const PgQuery__Node* where, const Params& params);

/**
 * Renames every RangeVar of a distributed table in `root` to the shard table of index `index`
 * (keeping the original name as alias when `add_alias`, so qualified column refs still work).
 */
void RenameToShards(PgQuery__Node* root, const Catalog& catalog, uint32_t index, bool add_alias);

/** Task params for a statement that uses the client's parameters unchanged ($k → client k-1). */
std::vector<int> IdentityParams(const Params& params);
/** Highest $n used in the tree. */
int MaxParamRef(const PgQuery__Node* root);

/** PostgreSQL's default output column name for a target expression (FigureColname subset). */
std::string FigureColname(const PgQuery__ResTarget* rt);

/** Double-quotes an identifier when PostgreSQL would need it. */
std::string QuoteIdent(const std::string& ident);

/** A name with a shard suffix (`items_pkey_102008`), truncated like PostgreSQL identifiers (63 bytes). */
std::string ShardObjectName(const std::string& name, uint64_t shard_id);

/** Builds a single-shard or passthrough Task from a rewritten statement. */
Expected<Task> MakeTask(const PgQuery__Node* stmt, const NodeRef& node, uint64_t shard_id, std::vector<int> params);

Error NoDefaultNode();

// Sub-planners (one file each).
Expected<Plan> PlanSelect(const Ctx& ctx);
Expected<Plan> PlanInsert(const Ctx& ctx);
Expected<Plan> PlanUpdateDelete(const Ctx& ctx);
Expected<Plan> PlanUtility(const Ctx& ctx);
Expected<Plan> PlanCopy(const Ctx& ctx);
Expected<Plan> PlanExplain(const Ctx& ctx);
// maintenance_plan.cpp
Expected<Plan> PlanVacuum(const Ctx& ctx);
Expected<Plan> PlanTruncate(const Ctx& ctx);
Expected<Plan> PlanReindex(const Ctx& ctx);
Expected<Plan> PlanCluster(const Ctx& ctx);
/** Coordinator functions and views (jade_add_node, jade_nodes, ...); nullopt when not one. */
std::optional<Expected<Plan>> PlanLocal(const Ctx& ctx);

}  // namespace jade::coord::planner

namespace jade::coord::planner {

/** A comparable key of an expression: its packed tree with every `location` zeroed. */
std::string ExprKey(const PgQuery__Node* n);
/**
 * Renumbers the ParamRefs of `root` densely ($3,$7 → $1,$2) and returns, for each new number,
 * the 0-based index of the client parameter it stands for (Task::params).
 */
std::vector<int> RenumberParams(PgQuery__Node* root);
/** kPassthrough of the statement's original text to the default node. */
Expected<Plan> Passthrough(const Ctx& ctx);
/** Plans a statement pinned to shard `index` (every distributed table renamed to that index). */
Expected<Plan> SingleShardPlan(const Ctx& ctx, uint32_t index, const DistributedTable& anchor, bool add_alias);
/** True when `name` is an aggregate the coordinator knows it cannot merge. */
bool IsUnmergeableAggregate(const std::string& name);
/** True for count/sum/min/max/avg. */
bool IsMergeableAggregate(const std::string& name);

}  // namespace jade::coord::planner
