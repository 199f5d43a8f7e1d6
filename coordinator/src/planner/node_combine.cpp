// node_combine.cpp — CombineFanOutByNode(): one statement per worker node for a fan-out.
//
// A fan-out sends one statement per shard, and several shards share a node (8 shards on 3
// workers). Every statement costs the worker a protocol round, a transaction, executor start-up
// and a backend wake-up, and costs the coordinator a send, a result and a wake-up; for a top-k
// those fixed costs are most of the work. Combined, a node runs
//
//     SELECT 0 AS jade_shard, q.* FROM (<shard 0 statement>) q
//     UNION ALL SELECT 3 AS jade_shard, q.* FROM (<shard 3 statement>) q ...
//
// and the executor splits its rows back into the merge inputs by the first column, so the merge
// (ties by shard position included) is exactly the one of separate statements. Each shard
// statement is the deparser's complete SELECT, so it is well formed inside parentheses; the
// combined text is parsed once here anyway, and must be exactly that UNION ALL of as many
// SELECTs as shards. Only when a node's rows need no per-shard flow control: concatenation and
// aggregates never hold rows back, and a sorted merge with a small LIMIT fetches whole results.
#include <map>

#include "planner/planner_internal.h"

namespace jade::coord {
namespace {

// Counts the leaf SELECTs of a left-deep UNION ALL tree; -1 for any other shape.
int UnionAllLeaves(const PgQuery__SelectStmt* s) {
  if (s == nullptr) return -1;
  if (s->op == PG_QUERY__SET_OPERATION__SETOP_NONE) return 1;
  if (s->op != PG_QUERY__SET_OPERATION__SETOP_UNION || !s->all) return -1;
  int l = UnionAllLeaves(s->larg), r = UnionAllLeaves(s->rarg);
  return l < 0 || r < 0 ? -1 : l + r;
}

bool Combinable(const Plan& plan) {
  if (plan.kind != PlanKind::kFanOut || plan.tasks.size() < 2 || plan.merge_input_count != 0) return false;
  switch (plan.merge.mode) {
    case MergeMode::kConcat:
    case MergeMode::kAggregate:
      return true;
    case MergeMode::kSorted:
      return plan.merge.limit && plan.merge.offset + *plan.merge.limit <= kWholeResultRows;
  }
  return false;
}

}  // namespace

Expected<Plan> CombineFanOutByNode(Plan plan) {
  if (!Combinable(plan)) return plan;
  std::vector<Task> nodes;
  std::map<uint32_t, size_t> by_node;
  for (uint32_t i = 0; i < plan.tasks.size(); ++i) {
    const Task& t = plan.tasks[i];
    if (t.params != plan.tasks[0].params) return plan;  // fan-out shard statements share their parameters
    auto it = by_node.find(t.node.id);
    if (it == by_node.end()) {
      it = by_node.emplace(t.node.id, nodes.size()).first;
      Task n;
      n.node = t.node;
      n.params = t.params;
      nodes.push_back(std::move(n));
    } else {
      nodes[it->second].sql += " UNION ALL ";
    }
    Task& n = nodes[it->second];
    n.sql += "SELECT " + std::to_string(i) + " AS jade_shard, q.* FROM (" + t.sql + ") q";
    n.merge_inputs.push_back(i);
  }
  if (nodes.size() == plan.tasks.size()) return plan;  // one shard per node: nothing to combine
  for (const Task& n : nodes) {
    auto parsed = ParseSql(n.sql);
    if (!parsed) return std::move(parsed).error();
    if (parsed->size() != 1 || (*parsed)[0].kind() != PG_QUERY__NODE__NODE_SELECT_STMT ||
        UnionAllLeaves((*parsed)[0].node()->select_stmt) != static_cast<int>(n.merge_inputs.size())) {
      return MakeError(sqlstate::kInternalError, "a combined node statement does not parse back as its shards");
    }
  }
  plan.merge_input_count = static_cast<uint32_t>(plan.tasks.size());
  plan.tasks = std::move(nodes);
  plan.description += ", one statement per node";
  return plan;
}

}  // namespace jade::coord
