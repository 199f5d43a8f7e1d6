// planner.cpp — PlanStatement(): dispatch by statement kind, and helpers shared by sub-planners.
#include "planner/planner.h"

#include <cstring>
#include <map>

#include "planner/planner_internal.h"

namespace jade::coord {

const char* PlanKindName(PlanKind kind) {
  switch (kind) {
    case PlanKind::kLocal: return "coordinator";
    case PlanKind::kPassthrough: return "passthrough";
    case PlanKind::kSingleShard: return "single shard";
    case PlanKind::kFanOut: return "fan-out";
    case PlanKind::kModify: return "multi-shard modify";
    case PlanKind::kBroadcast: return "broadcast";
    case PlanKind::kCopyIn: return "copy";
    case PlanKind::kTransaction: return "transaction";
    case PlanKind::kSessionSet: return "session";
    case PlanKind::kDistributeTable: return "distribute table";
    case PlanKind::kExplain: return "explain";
  }
  return "?";
}

namespace {

Expected<Plan> Dispatch(const planner::Ctx& ctx) {
  switch (ctx.stmt.kind()) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: {
      if (auto local = planner::PlanLocal(ctx)) return std::move(*local);
      return planner::PlanSelect(ctx);
    }
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      return planner::PlanInsert(ctx);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
    case PG_QUERY__NODE__NODE_DELETE_STMT:
      return planner::PlanUpdateDelete(ctx);
    case PG_QUERY__NODE__NODE_COPY_STMT:
      return planner::PlanCopy(ctx);
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
      return planner::PlanExplain(ctx);
    default:
      return planner::PlanUtility(ctx);
  }
}

}  // namespace

Expected<Plan> PlanStatement(const Catalog& catalog, const ParsedStatement& stmt, const Params& params,
                             const SessionInfo& session) {
  // Planning is pure: an exception (a bug, or memory) fails this statement only, with XX000,
  // and the session carries on.
  try {
    planner::Ctx ctx{catalog, stmt, params, session};
    planner::SearchPathScope path(session.search_path);
    uint64_t reads = planner::ParamValueReads();
    auto plan = Dispatch(ctx);
    if (plan) plan->param_values_used = planner::ParamValueReads() != reads;
    return plan;
  } catch (const std::exception& e) {
    return MakeError(sqlstate::kInternalError, "internal error while planning the statement", e.what());
  }
}

bool PlanIsReusable(const Plan& plan) {
  if (plan.param_values_used || !plan.commands.empty()) return false;
  switch (plan.kind) {
    case PlanKind::kPassthrough:
    case PlanKind::kSingleShard:
    case PlanKind::kFanOut:
    case PlanKind::kModify:
      return true;
    default:
      return false;
  }
}

namespace planner {

std::string ExprKey(const PgQuery__Node* n) {
  if (!n) return {};
  PgQuery__Node* copy = tree::DeepCopy(n);
  tree::VisitMessages(&copy->base, [](ProtobufCMessage* m) {
    const ProtobufCFieldDescriptor* f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "location");
    if (f && f->type == PROTOBUF_C_TYPE_INT32) *reinterpret_cast<int32_t*>(reinterpret_cast<char*>(m) + f->offset) = 0;
  });
  std::string buf(pg_query__node__get_packed_size(copy), '\0');
  pg_query__node__pack(copy, reinterpret_cast<uint8_t*>(buf.data()));
  tree::FreeNode(copy);
  return buf;
}

std::vector<int> RenumberParams(PgQuery__Node* root) {
  std::map<int, int> renum;
  tree::VisitMessages(&root->base, [&](ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__param_ref__descriptor) renum[reinterpret_cast<PgQuery__ParamRef*>(m)->number] = 0;
  });
  std::vector<int> out;
  for (auto& [old_no, new_no] : renum) {
    out.push_back(old_no - 1);
    new_no = static_cast<int>(out.size());
  }
  tree::VisitMessages(&root->base, [&](ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__param_ref__descriptor) {
      auto* p = reinterpret_cast<PgQuery__ParamRef*>(m);
      p->number = renum[p->number];
    }
  });
  return out;
}

Expected<Plan> Passthrough(const Ctx& ctx) {
  const Node* def = ctx.catalog.DefaultNode();
  if (!def) return NoDefaultNode();
  Plan p;
  p.kind = PlanKind::kPassthrough;
  Task t;
  t.node = ToNodeRef(*def);
  t.sql = ctx.stmt.text;
  t.params = IdentityParams(ctx.params);
  p.tasks.push_back(std::move(t));
  p.read_only = ctx.stmt.kind() == PG_QUERY__NODE__NODE_SELECT_STMT ||
                ctx.stmt.kind() == PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT;
  p.description = "passthrough to default node " + std::to_string(def->id);
  return p;
}

Expected<Plan> SingleShardPlan(const Ctx& ctx, uint32_t index, const DistributedTable& anchor, bool add_alias) {
  auto clone = CloneStatement(ctx.stmt);
  if (!clone) return std::move(clone).error();
  RenameToShards(clone->node(), ctx.catalog, index, add_alias);
  std::vector<int> params = RenumberParams(clone->node());
  const Shard& s = ShardFor(ctx.catalog, anchor, index);
  const Node* node = ctx.catalog.FindNode(s.node_id);
  if (!node) return MakeError(sqlstate::kInternalError, "shard " + std::to_string(s.id) + " has no node");
  auto task = MakeTask(clone->node(), ToNodeRef(*node), s.id, std::move(params));
  if (!task) return std::move(task).error();
  Plan p;
  p.kind = PlanKind::kSingleShard;
  p.tasks.push_back(std::move(*task));
  p.read_only = ctx.stmt.kind() == PG_QUERY__NODE__NODE_SELECT_STMT;
  p.description = "single shard " + s.RelName() + " on node " + std::to_string(node->id);
  return p;
}

bool IsMergeableAggregate(const std::string& name) {
  return name == "count" || name == "sum" || name == "min" || name == "max" || name == "avg";
}

bool IsUnmergeableAggregate(const std::string& name) {
  static const char* kNames[] = {
      "string_agg", "array_agg", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "xmlagg",
      "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "bool_and", "bool_or", "every",
      "bit_and", "bit_or", "bit_xor", "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count",
      "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "percentile_cont",
      "percentile_disc", "mode", "rank", "dense_rank", "percent_rank", "cume_dist", "range_agg",
      "range_intersect_agg", "any_value"};
  for (const char* k : kNames) {
    if (name == k) return true;
  }
  return false;
}

}  // namespace planner
}  // namespace jade::coord
