// explain.cpp — EXPLAIN [ANALYZE] of distributed statements: the route, the merge, each shard's
// SQL and each shard's own plan.
#include "planner/explain.h"

#include <cctype>
#include <memory>

#include "planner/planner_internal.h"

namespace jade::coord {
namespace planner {

Expected<Plan> PlanExplain(const Ctx& ctx) {
  const PgQuery__ExplainStmt* ex = ctx.stmt.node()->explain_stmt;
  PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
  raw.stmt = ex->query;
  ParsedStatement inner_stmt{ctx.stmt.tree, &raw, ctx.stmt.text, ctx.stmt.location};
  auto inner = PlanStatement(ctx.catalog, inner_stmt, ctx.params, ctx.session);
  if (!inner) return std::move(inner).error();
  if (inner->kind != PlanKind::kSingleShard && inner->kind != PlanKind::kFanOut && inner->kind != PlanKind::kModify) {
    if (inner->kind == PlanKind::kPassthrough) return Passthrough(ctx);
    return Unsupported(std::string("EXPLAIN of a ") + PlanKindName(inner->kind) + " statement");
  }
  bool analyze = false;
  for (size_t i = 0; i < ex->n_options; i++) {
    const PgQuery__DefElem* d = ex->options[i]->def_elem;
    std::string name = d->defname ? d->defname : "";
    if (name == "analyze") {
      analyze = true;
      if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING) {
        std::string v = tree::StrVal(d->arg);
        analyze = v == "true" || v == "on" || v == "1";
      }
      if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN) analyze = d->arg->boolean->boolval;
    }
    if (name == "format") {
      std::string v = tree::StrVal(d->arg);
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (v != "text") return Unsupported("EXPLAIN (FORMAT " + v + ") of a distributed statement");
    }
  }
  Plan p;
  p.kind = PlanKind::kExplain;
  p.explain_analyze = analyze;
  p.read_only = inner->read_only;
  p.command_tag = "EXPLAIN";
  p.explain.push_back(std::string("Distributed Plan: ") + PlanKindName(inner->kind) + " (" + inner->description + ")");
  if (inner->kind == PlanKind::kFanOut) p.explain.push_back("  " + DescribeMerge(inner->merge));
  if (inner->kind == PlanKind::kModify) {
    p.explain.push_back(std::string("  Commit: ") + (analyze ? "atomic across shards (two-phase commit when several nodes)"
                                                             : "atomic across shards"));
  }
  for (auto& task : inner->tasks) {
    auto parsed = ParseSql(task.sql);
    if (!parsed) return std::move(parsed).error();
    std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)> copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    tree::FreeNode(copy->explain_stmt->query);
    copy->explain_stmt->query = tree::DeepCopy((*parsed)[0].node());
    auto sql = Deparse(copy.get());
    if (!sql) return std::move(sql).error();
    p.explain_task_sql.push_back(task.sql);
    task.sql = std::move(*sql);
    p.tasks.push_back(std::move(task));
  }
  return p;
}

}  // namespace planner

std::vector<std::string> AssembleExplain(const Plan& plan, const std::vector<std::vector<std::string>>& task_outputs) {
  std::vector<std::string> lines = plan.explain;
  lines.push_back("  Tasks: " + std::to_string(plan.tasks.size()));
  for (size_t i = 0; i < plan.tasks.size(); i++) {
    const Task& t = plan.tasks[i];
    std::string where = "node " + std::to_string(t.node.id) + " (" + t.node.host + ":" + std::to_string(t.node.port) + ")";
    lines.push_back("  ->  Task " + std::to_string(i + 1) +
                    (t.shard_id ? ": shard " + std::to_string(t.shard_id) + " on " : ": on ") + where);
    if (i < plan.explain_task_sql.size()) lines.push_back("        SQL: " + plan.explain_task_sql[i]);
    if (i < task_outputs.size()) {
      for (const auto& l : task_outputs[i]) lines.push_back("        " + l);
    }
  }
  return lines;
}

}  // namespace jade::coord
