// local_plan.cpp — statements the coordinator answers itself: the metadata functions
// jade_add_node / jade_remove_node / create_distributed_table and the jade_nodes /
// jade_tables / jade_shards views (columns, simple `col = value` filters, ORDER BY, LIMIT,
// count(*)).
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "merge/value.h"
#include "metadata/state_machine.h"
#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

Expected<int64_t> IntArg(const std::optional<std::string>& v, const char* what);

constexpr uint32_t kVoidOid = 2278;

struct View {
  std::vector<ColumnDesc> columns;
  std::vector<Row> rows;
};

std::string B(bool v) { return v ? "t" : "f"; }

View NodesView(const Catalog& c) {
  View v;
  v.columns = {{"node_id", oid::kInt4}, {"host", oid::kText}, {"port", oid::kInt4}, {"is_default", oid::kBool},
               {"active", oid::kBool}};
  for (const auto& [id, n] : c.nodes()) {
    v.rows.push_back({std::to_string(id), n.host, std::to_string(n.port), B(n.is_default), B(n.active)});
  }
  return v;
}

std::string QualifiedName(const std::string& schema, const std::string& name) {
  return schema == "public" ? name : schema + "." + name;
}

View TablesView(const Catalog& c) {
  View v;
  v.columns = {{"table_name", oid::kText},  {"shard_key", oid::kText},   {"key_type", oid::kText},
               {"strategy", oid::kText},    {"shard_count", oid::kInt4}, {"first_shard_id", oid::kInt8}};
  for (const auto& [key, t] : c.tables()) {
    v.rows.push_back({QualifiedName(t.schema, t.name), t.shard_key, std::string(KeyTypeName(t.key_type)), "hash",
                      std::to_string(t.shard_count),
                      t.shard_ids.empty() ? Cell() : Cell(std::to_string(t.shard_ids.front()))});
  }
  return v;
}

View ShardsView(const Catalog& c) {
  View v;
  v.columns = {{"shard_id", oid::kInt8},      {"table_name", oid::kText},     {"shard_name", oid::kText},
               {"hash_modulus", oid::kInt4},  {"hash_remainder", oid::kInt4}, {"node_id", oid::kInt4},
               {"host", oid::kText},          {"port", oid::kInt4}};
  for (const auto& [id, s] : c.shards()) {
    const Node* n = c.FindNode(s.node_id);
    v.rows.push_back({std::to_string(id), QualifiedName(s.schema, s.table), s.RelName(), std::to_string(s.modulus),
                      std::to_string(s.index), std::to_string(s.node_id), n ? Cell(n->host) : Cell(),
                      n ? Cell(std::to_string(n->port)) : Cell()});
  }
  return v;
}

int ColumnIndex(const View& v, const std::string& name) {
  for (size_t i = 0; i < v.columns.size(); i++) {
    if (v.columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Error NoColumn(const std::string& name) {
  return MakeError(sqlstate::kUndefinedColumn, "column \"" + name + "\" does not exist");
}

// Evaluates a WHERE made of `column = constant` terms joined by AND.
Expected<std::vector<std::pair<int, std::optional<std::string>>>> Filters(const View& v, const PgQuery__Node* w,
                                                                          const Params& params) {
  std::vector<std::pair<int, std::optional<std::string>>> out;
  std::function<Status(const PgQuery__Node*)> walk = [&](const PgQuery__Node* n) -> Status {
    if (!n) return {};
    if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
      for (size_t i = 0; i < n->bool_expr->n_args; i++) JADE_TRY_STATUS(walk(n->bool_expr->args[i]));
      return {};
    }
    if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
        tree::JoinNames(n->a_expr->name, n->a_expr->n_name) == "=") {
      const PgQuery__Node* l = n->a_expr->lexpr;
      const PgQuery__Node* r = n->a_expr->rexpr;
      if (l && l->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) std::swap(l, r);
      if (l && l->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
        std::string col = tree::ColumnName(l->column_ref);
        int idx = ColumnIndex(v, col);
        if (idx < 0) return NoColumn(col);
        auto val = ResolveValue(r, params);
        if (!val) return std::move(val).error();
        if (val->has_value()) {
          out.push_back({idx, (*val)->is_null ? std::nullopt : std::optional<std::string>((*val)->text)});
          return {};
        }
      }
    }
    return Unsupported("this WHERE clause on a jade_* view", "Only column = value conditions joined by AND work.");
  };
  JADE_TRY_STATUS(walk(w));
  return out;
}

// Boolean cells compare as PostgreSQL prints them ('t'/'f'); accept true/false spellings too.
bool CellEquals(const Cell& cell, const std::optional<std::string>& want, uint32_t type) {
  if (!cell || !want) return false;
  if (type == oid::kBool) {
    std::string w = *want;
    for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool wb = w == "t" || w == "true" || w == "on" || w == "1" || w == "yes";
    return (*cell == "t") == wb;
  }
  return *cell == *want;
}

Expected<Plan> PlanView(const Ctx& ctx, View v) {
  const PgQuery__SelectStmt* sel = ctx.stmt.node()->select_stmt;
  if (sel->n_group_clause || sel->having_clause || sel->n_distinct_clause || sel->with_clause) {
    return Unsupported("GROUP BY, HAVING, DISTINCT and WITH on jade_* views");
  }
  auto filters = Filters(v, sel->where_clause, ctx.params);
  if (!filters) return std::move(filters).error();
  std::vector<Row> rows;
  for (auto& r : v.rows) {
    bool keep = true;
    for (const auto& [idx, want] : *filters) keep &= CellEquals(r[static_cast<size_t>(idx)], want, v.columns[static_cast<size_t>(idx)].type_oid);
    if (keep) rows.push_back(r);
  }
  // ORDER BY plain columns.
  std::vector<std::pair<int, bool>> order;
  for (size_t i = 0; i < sel->n_sort_clause; i++) {
    const PgQuery__SortBy* s = sel->sort_clause[i]->sort_by;
    if (!s->node || s->node->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) return Unsupported("ORDER BY expressions on jade_* views");
    std::string col = tree::ColumnName(s->node->column_ref);
    int idx = ColumnIndex(v, col);
    if (idx < 0) return NoColumn(col);
    order.push_back({idx, s->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC});
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    for (const auto& [idx, desc] : order) {
      ValueClass cls = ClassifyType(v.columns[static_cast<size_t>(idx)].type_oid);
      auto x = MakeKeyValue(cls, a[static_cast<size_t>(idx)]);
      auto y = MakeKeyValue(cls, b[static_cast<size_t>(idx)]);
      if (!x.ok() || !y.ok() || x->null || y->null) continue;
      int c = CompareKeyValues(*x, *y);
      if (c != 0) return desc ? c > 0 : c < 0;
    }
    return false;
  });
  if (sel->limit_count) {
    auto lim = ResolveValue(sel->limit_count, ctx.params);
    if (!lim || !lim->has_value()) return Unsupported("this LIMIT on a jade_* view");
    if (!(*lim)->is_null) {
      auto n = IntArg((*lim)->text, "LIMIT");  // int8 syntax and range checked before conversion
      if (!n) return std::move(n).error();
      rows.resize(std::min(rows.size(), static_cast<size_t>(std::max<int64_t>(0, *n))));
    }
  }
  Plan p;
  p.kind = PlanKind::kLocal;
  p.description = "coordinator metadata view";
  // Targets: *, column names, or a lone count(*).
  if (sel->n_target_list == 1) {
    const PgQuery__ResTarget* rt = sel->target_list[0]->res_target;
    if (rt->val && rt->val->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && tree::FuncName(rt->val->func_call) == "count") {
      p.local.columns = {{FigureColname(rt), oid::kInt8}};
      p.local.rows = {{std::to_string(rows.size())}};
      p.command_tag = "SELECT 1";
      return p;
    }
  }
  std::vector<int> proj;
  for (size_t i = 0; i < sel->n_target_list; i++) {
    const PgQuery__ResTarget* rt = sel->target_list[i]->res_target;
    if (!rt->val || rt->val->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) {
      return Unsupported("expressions in the select list of jade_* views");
    }
    const PgQuery__ColumnRef* c = rt->val->column_ref;
    if (c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
      for (size_t k = 0; k < v.columns.size(); k++) {
        proj.push_back(static_cast<int>(k));
        p.local.columns.push_back(v.columns[k]);
      }
      continue;
    }
    std::string col = tree::ColumnName(c);
    int idx = ColumnIndex(v, col);
    if (idx < 0) return NoColumn(col);
    proj.push_back(idx);
    ColumnDesc d = v.columns[static_cast<size_t>(idx)];
    if (rt->name && rt->name[0]) d.name = rt->name;
    p.local.columns.push_back(d);
  }
  for (const auto& r : rows) {
    Row out;
    for (int idx : proj) out.push_back(r[static_cast<size_t>(idx)]);
    p.local.rows.push_back(std::move(out));
  }
  p.command_tag = "SELECT " + std::to_string(p.local.rows.size());
  return p;
}

// Parses a regclass-style name: optional schema, double quotes keep case, else lowercased.
Expected<std::pair<std::string, std::string>> ParseQualifiedName(const std::string& text) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); i++) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        parts.back() += '"';
        i++;
      } else if (ch == '"') {
        quoted = false;
      } else {
        parts.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == '.') {
      parts.emplace_back();
    } else {
      parts.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  if (quoted || parts.size() > 2 || parts.back().empty() || parts.front().empty()) {
    return MakeError("42602", "invalid name syntax: \"" + text + "\"");
  }
  // Unqualified: the schema is left empty, to be found through the session's search_path when
  // the table is described on the default node.
  if (parts.size() == 1) return std::make_pair(std::string(), parts[0]);
  return std::make_pair(parts[0], parts[1]);
}

struct Args {
  std::vector<std::optional<std::string>> positional;
  std::map<std::string, std::optional<std::string>> named;
};

Expected<Args> ReadArgs(const PgQuery__FuncCall* f, const Params& params) {
  Args a;
  for (size_t i = 0; i < f->n_args; i++) {
    const PgQuery__Node* n = f->args[i];
    std::string name;
    if (n->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
      name = n->named_arg_expr->name ? n->named_arg_expr->name : "";
      n = n->named_arg_expr->arg;
    }
    auto v = ResolveValue(n, params);
    if (!v) return std::move(v).error();
    if (!v->has_value()) {
      return MakeError(sqlstate::kFeatureNotSupported,
                       "arguments of " + tree::FuncName(f) + "() must be constants or parameters");
    }
    std::optional<std::string> val = (*v)->is_null ? std::nullopt : std::optional<std::string>((*v)->text);
    if (name.empty()) a.positional.push_back(val);
    else a.named[name] = val;
  }
  return a;
}

Expected<int64_t> IntArg(const std::optional<std::string>& v, const char* what) {
  if (!v) return MakeError(sqlstate::kInvalidParameterValue, std::string(what) + " must not be NULL");
  auto h = ShardIndexForKey(KeyType::kInt8, *v, 1);
  if (!h) return std::move(h).error();
  return std::stoll(*v);
}

Plan FunctionResult(const std::string& name, uint32_t type, Cell value, std::vector<Command> cmds) {
  Plan p;
  p.kind = PlanKind::kLocal;
  p.local.columns = {{name, type}};
  p.local.rows = {{std::move(value)}};
  p.commands = std::move(cmds);
  p.command_tag = "SELECT 1";
  p.read_only = false;
  p.description = "coordinator function " + name + "()";
  return p;
}

Expected<Plan> PlanFunction(const Ctx& ctx, const PgQuery__FuncCall* f, const std::string& out_name) {
  std::string name = tree::FuncName(f);
  auto args = ReadArgs(f, ctx.params);
  if (!args) return std::move(args).error();
  auto& pos = args->positional;
  if ((name == "jade_add_node" || name == "jade_remove_node") && ctx.session.in_transaction) {
    // Node membership has no worker transaction to commit with: refused, never half applied.
    return MakeError(sqlstate::kActiveSqlTransaction, name + "() cannot run inside a transaction block");
  }
  if (name == "jade_add_node" || name == "jade_remove_node") {
    if (pos.size() != 2 || !pos[0]) {
      return MakeError(sqlstate::kUndefinedFunction, "function " + name + "() takes (host text, port integer)");
    }
    auto port = IntArg(pos[1], "port");
    if (!port) return std::move(port).error();
    if (name == "jade_add_node") {
      auto cmd = MakeAddNode(ctx.catalog, *pos[0], *port);
      if (!cmd) return std::move(cmd).error();
      return FunctionResult(out_name, oid::kInt4, std::to_string(cmd->node_id), {*cmd});
    }
    const Node* n = (*port > 0 && *port <= 65535) ? ctx.catalog.FindNodeByAddress(*pos[0], static_cast<uint16_t>(*port))
                                                 : nullptr;
    if (!n) return MakeError(sqlstate::kUndefinedObject, "node " + *pos[0] + ":" + std::to_string(*port) + " does not exist");
    RemoveNodeCmd cmd{n->id};
    Catalog probe = ctx.catalog;  // surface the state machine's verdict now, not at append time
    JADE_TRY_STATUS(ApplyCommand(probe, cmd));
    return FunctionResult(out_name, kVoidOid, std::string(), {cmd});
  }
  // create_distributed_table(table, column [, shard_count]) with shard_count => n also accepted.
  if (pos.size() < 2 || pos.size() > 3 || !pos[0] || !pos[1]) {
    return MakeError(sqlstate::kUndefinedFunction,
                     "function create_distributed_table() takes (table regclass, column text, shard_count => integer)");
  }
  int64_t shard_count = kDefaultShardCount;
  std::optional<std::string> sc = pos.size() == 3 ? pos[2] : std::nullopt;
  for (const auto& [k, v] : args->named) {
    if (k == "shard_count") sc = v;
    else return MakeError(sqlstate::kUndefinedFunction, "create_distributed_table() has no parameter \"" + k + "\"");
  }
  if (sc) {
    auto v = IntArg(sc, "shard_count");
    if (!v) return std::move(v).error();
    shard_count = *v;
  }
  if (shard_count < 1 || shard_count > kMaxShardCount) {
    return MakeError(sqlstate::kInvalidParameterValue,
                     "shard_count must be between 1 and " + std::to_string(kMaxShardCount));
  }
  auto qn = ParseQualifiedName(*pos[0]);
  if (!qn) return std::move(qn).error();
  bool distributed = false;
  if (!qn->first.empty()) {
    distributed = ctx.catalog.FindTable(qn->first, qn->second) != nullptr;
  } else {
    for (const auto& schema : ctx.session.search_path) distributed |= ctx.catalog.FindTable(schema, qn->second) != nullptr;
  }
  if (distributed) {
    return MakeError(sqlstate::kDuplicateTable, "table \"" + qn->second + "\" is already distributed");
  }
  const Node* def = ctx.catalog.DefaultNode();
  if (!def) return NoDefaultNode();
  if (ctx.session.in_transaction) {
    return MakeError(sqlstate::kActiveSqlTransaction, "create_distributed_table() cannot run inside a transaction block");
  }
  Plan p;
  p.kind = PlanKind::kDistributeTable;
  p.read_only = false;
  p.distribute.schema = qn->first;
  p.distribute.table = qn->second;
  p.distribute.shard_key = *pos[1];
  p.distribute.shard_count = shard_count;
  p.distribute.source = ToNodeRef(*def);
  // The table name reaches the describe queries as a string constant placed by the deparser.
  JADE_TRY_STATUS(SetDescribeQueries(&p.distribute));
  p.local.columns = {{out_name, kVoidOid}};
  p.local.rows = {{std::string()}};
  p.command_tag = "SELECT 1";
  p.description = "distribute " + qn->second + " by " + *pos[1] + " into " + std::to_string(shard_count) + " shards";
  return p;
}

}  // namespace

std::optional<Expected<Plan>> PlanLocal(const Ctx& ctx) {
  const PgQuery__SelectStmt* sel = ctx.stmt.node()->select_stmt;
  if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE) return std::nullopt;
  if (sel->n_from_clause == 0 && sel->n_target_list == 1) {
    const PgQuery__ResTarget* rt = sel->target_list[0]->res_target;
    if (rt->val && rt->val->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
      std::string name = tree::FuncName(rt->val->func_call);
      if (name == "jade_add_node" || name == "jade_remove_node" || name == "create_distributed_table") {
        if (sel->where_clause || sel->n_sort_clause || sel->limit_count) {
          return Expected<Plan>(Unsupported(name + "() with WHERE/ORDER BY/LIMIT"));
        }
        return PlanFunction(ctx, rt->val->func_call, FigureColname(rt));
      }
    }
    return std::nullopt;
  }
  if (sel->n_from_clause != 1 || sel->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) return std::nullopt;
  const PgQuery__RangeVar* rv = sel->from_clause[0]->range_var;
  std::string rel = rv->relname ? rv->relname : "";
  if (rv->schemaname && rv->schemaname[0] && std::string(rv->schemaname) != "public") return std::nullopt;
  if (ctx.catalog.FindTable("public", rel)) return std::nullopt;
  if (rel == "jade_nodes") return PlanView(ctx, NodesView(ctx.catalog));
  if (rel == "jade_tables") return PlanView(ctx, TablesView(ctx.catalog));
  if (rel == "jade_shards") return PlanView(ctx, ShardsView(ctx.catalog));
  return std::nullopt;
}

}  // namespace jade::coord::planner
