// modify_plan.cpp — INSERT (multi-row VALUES split by shard), UPDATE and DELETE routing.
#include <map>
#include <memory>

#include "planner/key_value.h"
#include "planner/planner_internal.h"
#include "planner/shard_sql.h"

namespace jade::coord::planner {
namespace {

using NodePtr = std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)>;

bool HasSubLink(const PgQuery__Node* n) {
  bool found = false;
  tree::VisitMessages(const_cast<ProtobufCMessage*>(&n->base), [&](ProtobufCMessage* m) {
    found |= m->descriptor == &pg_query__sub_link__descriptor;
  });
  return found;
}

// Finishes a multi-task write plan.
Plan ModifyPlan(const char* tag, bool returning) {
  Plan p;
  p.kind = PlanKind::kModify;
  p.command_tag = tag;
  p.read_only = false;
  p.returns_rows = returning;
  return p;
}

}  // namespace

Expected<Plan> PlanInsert(const Ctx& ctx) {
  const PgQuery__InsertStmt* ins = ctx.stmt.node()->insert_stmt;
  std::vector<RelRef> rels = CollectRelations(ctx.stmt.node(), ctx.catalog);
  if (!AnyDistributed(rels)) return Passthrough(ctx);
  const DistributedTable* t =
      FindDistributed(ctx.catalog, ins->relation);
  if (!t) return Unsupported("INSERT into a plain table from a distributed table");
  if (ins->with_clause) return Unsupported("WITH ... INSERT into a distributed table");
  const PgQuery__SelectStmt* values = ins->select_stmt && ins->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT
                                          ? ins->select_stmt->select_stmt
                                          : nullptr;
  if (values && values->n_values_lists == 0) return Unsupported("INSERT ... SELECT into a distributed table");
  if (rels.size() > 1 || HasSubLink(ctx.stmt.node())) return Unsupported("subqueries in INSERT into a distributed table");

  if (ins->on_conflict_clause) {
    const PgQuery__OnConflictClause* oc = ins->on_conflict_clause;
    for (size_t i = 0; i < oc->n_target_list; i++) {
      const PgQuery__ResTarget* rt = oc->target_list[i]->res_target;
      if (rt->name && t->shard_key == rt->name) {
        return Unsupported("updating the shard key column \"" + t->shard_key + "\" in ON CONFLICT DO UPDATE");
      }
    }
  }
  std::vector<std::string> cols;
  for (size_t i = 0; i < ins->n_cols; i++) cols.push_back(ins->cols[i]->res_target->name);
  if (cols.empty()) cols = t->columns;
  int kp = -1;
  for (size_t i = 0; i < cols.size(); i++) {
    if (cols[i] == t->shard_key) kp = static_cast<int>(i);
  }
  if (!values || kp < 0) {
    return MakeError("22004", "INSERT into distributed table \"" + t->name + "\" must provide the shard key column \"" +
                                  t->shard_key + "\"");
  }
  // Shard index of every VALUES row, in order.
  std::map<uint32_t, std::vector<size_t>> groups;
  for (size_t r = 0; r < values->n_values_lists; r++) {
    const PgQuery__List* row = values->values_lists[r]->list;
    if (static_cast<size_t>(kp) >= row->n_items) {
      return MakeError(sqlstate::kSyntaxError, "INSERT has more target columns than expressions");
    }
    KeyValue v = EvaluateKey(row->items[kp], ctx.params, t->key_type, KeyUse::kAssign, t->key_length);
    if (v.kind == KeyValue::Kind::kUnknown) {
      return Unsupported("INSERT with a shard key value that is not a constant or parameter",
                         "Row " + std::to_string(r + 1) + " computes the value of \"" + t->shard_key + "\".");
    }
    // NULL goes where PostgreSQL's hash partitioning puts it (index 0); a NOT NULL key column
    // refuses it on the shard with PostgreSQL's own error, as any shard refuses an invalid value.
    uint32_t index = 0;
    if (v.kind == KeyValue::Kind::kValue) {
      auto idx = ShardIndexForKey(t->key_type, v.text, t->shard_count);
      if (!idx) return std::move(idx).error();
      index = *idx;
    }
    groups[index].push_back(r);
  }
  if (groups.size() == 1) {
    auto p = SingleShardPlan(ctx, groups.begin()->first, *t, true);
    if (p) p->read_only = false;
    return p;
  }
  Plan p = ModifyPlan("INSERT 0", ins->n_returning_list > 0);
  for (const auto& [index, rows] : groups) {
    NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    PgQuery__SelectStmt* sel = copy->insert_stmt->select_stmt->select_stmt;
    // Keep only this shard's rows; free the others.
    std::vector<bool> keep(sel->n_values_lists, false);
    for (size_t r : rows) keep[r] = true;
    size_t kept = 0;
    for (size_t r = 0; r < sel->n_values_lists; r++) {
      if (keep[r]) {
        sel->values_lists[kept++] = sel->values_lists[r];
      } else {
        tree::FreeNode(sel->values_lists[r]);
      }
    }
    sel->n_values_lists = kept;
    RenameToShards(copy.get(), ctx.catalog, index, true);
    std::vector<int> params = RenumberParams(copy.get());
    const Shard& s = ShardFor(ctx.catalog, *t, index);
    const Node* node = ctx.catalog.FindNode(s.node_id);
    if (!node) return MakeError(sqlstate::kInternalError, "shard " + std::to_string(s.id) + " has no node");
    auto task = MakeTask(copy.get(), ToNodeRef(*node), s.id, std::move(params));
    if (!task) return std::move(task).error();
    p.tasks.push_back(std::move(*task));
  }
  p.description = "INSERT split into " + std::to_string(p.tasks.size()) + " shards of " + t->name;
  return p;
}

Expected<Plan> PlanUpdateDelete(const Ctx& ctx) {
  const PgQuery__Node* n = ctx.stmt.node();
  bool is_update = n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;
  PgQuery__RangeVar* relation = is_update ? n->update_stmt->relation : n->delete_stmt->relation;
  const PgQuery__Node* where = is_update ? n->update_stmt->where_clause : n->delete_stmt->where_clause;
  bool with = is_update ? n->update_stmt->with_clause != nullptr : n->delete_stmt->with_clause != nullptr;
  bool returning = is_update ? n->update_stmt->n_returning_list > 0 : n->delete_stmt->n_returning_list > 0;
  const char* verb = is_update ? "UPDATE" : "DELETE";

  std::vector<RelRef> rels = CollectRelations(n, ctx.catalog);
  if (!AnyDistributed(rels)) return Passthrough(ctx);
  const DistributedTable* t = FindDistributed(ctx.catalog, relation);
  if (!t) return Unsupported(std::string(verb) + " of a plain table using a distributed table");
  if (with) return Unsupported(std::string("WITH ... ") + verb + " on a distributed table");
  if (rels.size() > 1 || HasSubLink(n)) {
    return Unsupported(std::string(verb) + " with FROM/USING or subqueries on a distributed table");
  }
  if (is_update) {
    for (size_t i = 0; i < n->update_stmt->n_target_list; i++) {
      const PgQuery__ResTarget* rt = n->update_stmt->target_list[i]->res_target;
      if (rt->name && t->shard_key == rt->name) {
        return Unsupported("updating the shard key column \"" + t->shard_key + "\"",
                           "Delete the row and insert it with the new key instead.");
      }
    }
  }
  const RelRef& rel = rels[0];
  auto set = PruneShards(rel, where, ctx.params);
  if (set && set->size() <= 1) {
    auto p = SingleShardPlan(ctx, set->empty() ? 0 : *set->begin(), *t, true);
    if (p) p->read_only = false;
    return p;
  }
  Plan p = ModifyPlan(verb, returning);
  NodePtr copy(tree::DeepCopy(n), tree::FreeNode);
  std::vector<int> params = RenumberParams(copy.get());
  auto tmpl = ShardSqlTemplate::Build(copy.get(), ctx.catalog, true);
  if (!tmpl) return std::move(tmpl).error();
  for (uint32_t i = 0; i < t->shard_count; i++) {
    if (set && !set->count(i)) continue;
    const Shard& s = ShardFor(ctx.catalog, *t, i);
    const Node* node = ctx.catalog.FindNode(s.node_id);
    if (!node) return MakeError(sqlstate::kInternalError, "shard " + std::to_string(s.id) + " has no node");
    p.tasks.push_back(Task{ToNodeRef(*node), s.id, tmpl->ForShard(i), params});
  }
  p.description = std::string(verb) + " on " + std::to_string(p.tasks.size()) + " shards of " + t->name;
  return p;
}

}  // namespace jade::coord::planner
