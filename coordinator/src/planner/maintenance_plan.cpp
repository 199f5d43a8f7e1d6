// maintenance_plan.cpp — VACUUM, ANALYZE, REINDEX, CLUSTER and TRUNCATE on distributed tables.
//
// A statement naming relations is split: the plain ones stay together in one statement on the
// default node, each distributed one runs on every shard (relation renamed, an index name
// suffixed with the shard id, as the shard DDL named it). A statement naming none (VACUUM,
// ANALYZE, CLUSTER, REINDEX SCHEMA/DATABASE/SYSTEM) runs unchanged on every node, so the shards
// are included as PostgreSQL would include every table of the database.
//
// VACUUM, CLUSTER without a table and REINDEX SCHEMA/DATABASE/SYSTEM or CONCURRENTLY cannot run in
// a transaction block: their plans are not atomic, so outside a block the executor runs each task
// in autocommit; inside one they go to the block's connections, where the workers refuse them
// exactly as PostgreSQL does (25001). TRUNCATE, ANALYZE, REINDEX TABLE and CLUSTER of a table
// are transactional and run like any multi-shard write.
#include <memory>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

using NodePtr = std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)>;

// The relation list of a VACUUM/ANALYZE or TRUNCATE statement node.
struct RelationList {
  PgQuery__Node*** items;
  size_t* n;
};

RelationList ListOf(PgQuery__Node* stmt) {
  if (stmt->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT) return {&stmt->vacuum_stmt->rels, &stmt->vacuum_stmt->n_rels};
  return {&stmt->truncate_stmt->relations, &stmt->truncate_stmt->n_relations};
}

// The RangeVar of one list item (a VacuumRelation or a RangeVar).
const PgQuery__RangeVar* ItemRelation(const PgQuery__Node* item) {
  if (item->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION) return item->vacuum_relation->relation;
  if (item->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) return item->range_var;
  return nullptr;
}

// Keeps the list items at `keep` (ascending) and frees the others.
void KeepItems(PgQuery__Node* stmt, const std::vector<size_t>& keep) {
  RelationList l = ListOf(stmt);
  std::vector<bool> kept(*l.n, false);
  for (size_t k : keep) kept[k] = true;
  size_t out = 0;
  for (size_t i = 0; i < *l.n; i++) {
    if (kept[i]) {
      (*l.items)[out++] = (*l.items)[i];
    } else {
      tree::FreeNode((*l.items)[i]);
    }
  }
  *l.n = out;
}

Plan MaintenancePlan(const char* tag, bool atomic) {
  Plan p;
  p.kind = PlanKind::kBroadcast;
  p.read_only = false;
  p.atomic = atomic;
  p.command_tag = tag;
  return p;
}

// The statement unchanged on every node (no relation named).
Expected<Plan> OnEveryNode(const Ctx& ctx, const char* tag, bool atomic) {
  if (ctx.catalog.tables().empty()) return Passthrough(ctx);
  Plan p = MaintenancePlan(tag, atomic);
  for (const auto& [id, n] : ctx.catalog.nodes()) {
    Task t;
    t.node = ToNodeRef(n);
    t.sql = ctx.stmt.text;
    p.tasks.push_back(std::move(t));
  }
  p.description = std::string(tag) + " on every node";
  return p;
}

// One task per shard of `t`: the statement as edited by `edit` after renaming to the shard.
template <typename Edit>
Status AddShardTasks(const Ctx& ctx, Plan* p, const PgQuery__Node* stmt, const DistributedTable& t, Edit edit) {
  for (uint32_t i = 0; i < t.shard_count; i++) {
    const Shard& s = ShardFor(ctx.catalog, t, i);
    const Node* node = ctx.catalog.FindNode(s.node_id);
    if (!node) return MakeError(sqlstate::kInternalError, "shard " + std::to_string(s.id) + " has no node");
    NodePtr copy(tree::DeepCopy(stmt), tree::FreeNode);
    RenameToShards(copy.get(), ctx.catalog, i, false);
    edit(copy.get(), s);
    auto task = MakeTask(copy.get(), ToNodeRef(*node), s.id, {});
    if (!task) return std::move(task).error();
    p->tasks.push_back(std::move(*task));
  }
  return {};
}

// VACUUM/ANALYZE or TRUNCATE over a relation list.
Expected<Plan> PerRelation(const Ctx& ctx, const char* tag, bool atomic) {
  NodePtr whole(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
  RelationList l = ListOf(whole.get());
  std::vector<size_t> plain;
  std::vector<std::pair<size_t, const DistributedTable*>> dist;
  for (size_t i = 0; i < *l.n; i++) {
    const PgQuery__RangeVar* rv = ItemRelation((*l.items)[i]);
    const DistributedTable* t =
        rv ? FindDistributed(ctx.catalog, rv) : nullptr;
    if (t) {
      dist.emplace_back(i, t);
    } else {
      plain.push_back(i);
    }
  }
  if (dist.empty()) return Passthrough(ctx);
  Plan p = MaintenancePlan(tag, atomic);
  if (!plain.empty()) {
    const Node* def = ctx.catalog.DefaultNode();
    if (!def) return NoDefaultNode();
    NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    KeepItems(copy.get(), plain);
    auto task = MakeTask(copy.get(), ToNodeRef(*def), 0, {});
    if (!task) return std::move(task).error();
    p.tasks.push_back(std::move(*task));
  }
  std::string names;
  for (const auto& [pos, t] : dist) {
    NodePtr one(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    KeepItems(one.get(), {pos});
    JADE_TRY_STATUS(AddShardTasks(ctx, &p, one.get(), *t, [](PgQuery__Node*, const Shard&) {}));
    names += (names.empty() ? "" : ", ") + t->name;
  }
  p.description = std::string(tag) + " on every shard of " + names;
  return p;
}

// True when a utility option list holds `name` (CONCURRENTLY, ...), set to anything but false.
bool HasOption(PgQuery__Node** params, size_t n, const char* name) {
  for (size_t i = 0; i < n; i++) {
    if (params[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
    const PgQuery__DefElem* d = params[i]->def_elem;
    if (!d->defname || std::string(d->defname) != name) continue;
    auto c = d->arg ? tree::ConstText(d->arg) : std::nullopt;
    return !c || (c->text != "false" && c->text != "0" && c->text != "off");
  }
  return false;
}

}  // namespace

Expected<Plan> PlanVacuum(const Ctx& ctx) {
  const PgQuery__VacuumStmt* v = ctx.stmt.node()->vacuum_stmt;
  const char* tag = v->is_vacuumcmd ? "VACUUM" : "ANALYZE";
  // ANALYZE may run in a transaction block; VACUUM may not.
  bool atomic = !v->is_vacuumcmd;
  if (v->n_rels == 0) return OnEveryNode(ctx, tag, atomic);
  return PerRelation(ctx, tag, atomic);
}

Expected<Plan> PlanTruncate(const Ctx& ctx) {
  // The shells are empty (and their guard rejects TRUNCATE), so a distributed table runs only on its shards.
  return PerRelation(ctx, "TRUNCATE TABLE", true);
}

Expected<Plan> PlanReindex(const Ctx& ctx) {
  const PgQuery__ReindexStmt* r = ctx.stmt.node()->reindex_stmt;
  bool concurrently = HasOption(r->params, r->n_params, "concurrently");
  if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE) {
    const PgQuery__RangeVar* rv = r->relation;
    const DistributedTable* t =
        rv ? FindDistributed(ctx.catalog, rv) : nullptr;
    if (!t) return Passthrough(ctx);
    Plan p = MaintenancePlan("REINDEX", !concurrently);
    JADE_TRY_STATUS(AddShardTasks(ctx, &p, ctx.stmt.node(), *t, [](PgQuery__Node*, const Shard&) {}));
    p.description = "REINDEX on every shard of " + t->name;
    return p;
  }
  if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) {
    // Index names are not in the metadata: an index of a distributed table is reindexed with
    // REINDEX TABLE (its shards' copies are named <index>_<shard id>).
    return Passthrough(ctx);
  }
  return OnEveryNode(ctx, "REINDEX", false);
}

Expected<Plan> PlanCluster(const Ctx& ctx) {
  const PgQuery__ClusterStmt* c = ctx.stmt.node()->cluster_stmt;
  if (!c->relation) return OnEveryNode(ctx, "CLUSTER", false);
  const DistributedTable* t =
      FindDistributed(ctx.catalog, c->relation);
  if (!t) return Passthrough(ctx);
  std::string index = c->indexname ? c->indexname : "";
  Plan p = MaintenancePlan("CLUSTER", true);
  JADE_TRY_STATUS(AddShardTasks(ctx, &p, ctx.stmt.node(), *t, [&](PgQuery__Node* n, const Shard& s) {
    if (!index.empty()) tree::SetString(&n->cluster_stmt->indexname, ShardObjectName(index, s.id));
  }));
  p.description = "CLUSTER on every shard of " + t->name;
  return p;
}

}  // namespace jade::coord::planner
