// routing.cpp — relation resolution, parameter values, shard pruning and shard renaming.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "planner/key_value.h"
#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

// True when `n` is a reference to the shard key column of `rel`, under casts that keep its
// values (a cast that may change values, `k::varchar(2)`, makes it another expression).
bool IsKeyColumn(const PgQuery__Node* n, const RelRef& rel) {
  n = StripValuePreservingCasts(n, rel.table->key_type);
  if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) return false;
  const PgQuery__ColumnRef* c = n->column_ref;
  if (tree::ColumnName(c) != rel.table->shard_key) return false;
  if (c->n_fields == 1) return true;
  std::string q = tree::ColumnQualifier(c);
  return rel.alias.empty() ? q == rel.name : q == rel.alias;
}

// Strips casts around an expression (`id::bigint = 5`).
const PgQuery__Node* StripCasts(const PgQuery__Node* n) {
  while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) n = n->type_cast->arg;
  return n;
}

// Shard index of the key value `key = value` compares with, evaluated as PostgreSQL would
// (key_value.h); nullopt when it is not known exactly (then: no pruning).
std::optional<std::set<uint32_t>> IndexOf(const RelRef& rel, const PgQuery__Node* value, const Params& params) {
  KeyValue v = EvaluateKey(value, params, rel.table->key_type, KeyUse::kCompare, rel.table->key_length);
  if (v.kind == KeyValue::Kind::kNull) return std::set<uint32_t>{};  // key = NULL matches no row
  if (v.kind != KeyValue::Kind::kValue) return std::nullopt;
  auto idx = ShardIndexForKey(rel.table->key_type, v.text, rel.table->shard_count);
  if (!idx.ok()) return std::nullopt;
  return std::set<uint32_t>{*idx};
}

std::string OperatorName(const PgQuery__AExpr* e) { return tree::JoinNames(e->name, e->n_name); }

std::optional<std::set<uint32_t>> Prune(const RelRef& rel, const PgQuery__Node* n, const Params& params) {
  if (!n) return std::nullopt;
  if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR) {
    const PgQuery__BoolExpr* b = n->bool_expr;
    if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
      std::optional<std::set<uint32_t>> acc;
      for (size_t i = 0; i < b->n_args; i++) {
        auto r = Prune(rel, b->args[i], params);
        if (!r) continue;
        if (!acc) {
          acc = std::move(r);
        } else {
          std::set<uint32_t> both;
          std::set_intersection(acc->begin(), acc->end(), r->begin(), r->end(), std::inserter(both, both.end()));
          acc = std::move(both);
        }
      }
      return acc;
    }
    if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR) {
      std::set<uint32_t> acc;
      for (size_t i = 0; i < b->n_args; i++) {
        auto r = Prune(rel, b->args[i], params);
        if (!r) return std::nullopt;
        acc.insert(r->begin(), r->end());
      }
      return acc;
    }
    return std::nullopt;
  }
  if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR) return std::nullopt;
  const PgQuery__AExpr* e = n->a_expr;
  if (OperatorName(e) != "=") return std::nullopt;
  if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
    if (IsKeyColumn(e->lexpr, rel)) return IndexOf(rel, e->rexpr, params);
    if (IsKeyColumn(e->rexpr, rel)) return IndexOf(rel, e->lexpr, params);
    return std::nullopt;
  }
  if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && IsKeyColumn(e->lexpr, rel) && e->rexpr &&
      e->rexpr->node_case == PG_QUERY__NODE__NODE_LIST) {
    std::set<uint32_t> acc;
    const PgQuery__List* l = e->rexpr->list;
    for (size_t i = 0; i < l->n_items; i++) {
      auto r = IndexOf(rel, l->items[i], params);
      if (!r) return std::nullopt;
      acc.insert(r->begin(), r->end());
    }
    return acc;
  }
  return std::nullopt;
}

uint64_t ReadBigEndian(const std::string& s) {
  uint64_t v = 0;
  for (unsigned char ch : s) v = (v << 8) | ch;
  return v;
}

}  // namespace

namespace {
// The search path of the statement being planned on this thread (SearchPathScope).
thread_local const std::vector<std::string>* planning_search_path = nullptr;
}  // namespace

SearchPathScope::SearchPathScope(const std::vector<std::string>& path) : previous_(planning_search_path) {
  planning_search_path = &path;
}

SearchPathScope::~SearchPathScope() { planning_search_path = previous_; }

std::string SchemaOf(const PgQuery__RangeVar* rv) {
  if (rv->schemaname && rv->schemaname[0]) return rv->schemaname;
  if (planning_search_path) {
    for (const auto& s : *planning_search_path) {
      if (s != "pg_catalog" && s != "pg_temp") return s;
    }
  }
  return "public";
}

const DistributedTable* FindDistributed(const Catalog& catalog, const PgQuery__RangeVar* rv) {
  if (!rv) return nullptr;
  std::string rel = rv->relname ? rv->relname : "";
  if (rv->schemaname && rv->schemaname[0]) return catalog.FindTable(rv->schemaname, rel);
  if (!planning_search_path) return catalog.FindTable("public", rel);
  for (const auto& s : *planning_search_path) {
    if (const DistributedTable* t = catalog.FindTable(s, rel)) return t;
  }
  return nullptr;
}

std::vector<RelRef> CollectRelations(const PgQuery__Node* root, const Catalog& catalog) {
  std::vector<RelRef> out;
  tree::VisitMessages(const_cast<ProtobufCMessage*>(&root->base), [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__range_var__descriptor) return;
    auto* rv = reinterpret_cast<PgQuery__RangeVar*>(m);
    RelRef r;
    r.name = rv->relname ? rv->relname : "";
    if (rv->alias && rv->alias->aliasname) r.alias = rv->alias->aliasname;
    r.table = FindDistributed(catalog, rv);
    r.schema = r.table ? r.table->schema : SchemaOf(rv);
    out.push_back(std::move(r));
  });
  return out;
}

bool AnyDistributed(const std::vector<RelRef>& rels) {
  return std::any_of(rels.begin(), rels.end(), [](const RelRef& r) { return r.table != nullptr; });
}

NodeRef ToNodeRef(const Node& n) { return NodeRef{n.id, n.host, n.port}; }

const Shard& ShardFor(const Catalog& catalog, const DistributedTable& table, uint32_t index) {
  return *catalog.ShardAt(table, index);
}

namespace {
// Counts parameter values read by planning on this thread (see ParamValueReads).
thread_local uint64_t param_value_reads = 0;
}  // namespace

uint64_t ParamValueReads() { return param_value_reads; }

Expected<std::optional<std::string>> ParamText(const Params& params, int number) {
  ++param_value_reads;
  if (number < 1 || static_cast<size_t>(number) > params.size()) {
    return MakeError("42P02", "there is no parameter $" + std::to_string(number));
  }
  const Param& p = params[static_cast<size_t>(number - 1)];
  if (!p.value) return std::optional<std::string>();
  if (!p.binary) return std::optional<std::string>(*p.value);
  const std::string& v = *p.value;
  switch (p.type_oid) {
    case oid::kInt2:
      if (v.size() == 2) return std::optional<std::string>(std::to_string(static_cast<int16_t>(ReadBigEndian(v))));
      break;
    case oid::kInt4:
      if (v.size() == 4) return std::optional<std::string>(std::to_string(static_cast<int32_t>(ReadBigEndian(v))));
      break;
    case oid::kInt8:
      if (v.size() == 8) return std::optional<std::string>(std::to_string(static_cast<int64_t>(ReadBigEndian(v))));
      break;
    case oid::kText:
    case oid::kVarchar:
    case oid::kName:
      return std::optional<std::string>(v);
    case oid::kUuid:
      if (v.size() == 16) {
        static const char* hex = "0123456789abcdef";
        std::string out;
        for (size_t i = 0; i < 16; i++) {
          if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
          out.push_back(hex[static_cast<unsigned char>(v[i]) >> 4]);
          out.push_back(hex[static_cast<unsigned char>(v[i]) & 15]);
        }
        return std::optional<std::string>(out);
      }
      break;
    default:
      return MakeError(sqlstate::kFeatureNotSupported,
                       "binary parameter $" + std::to_string(number) + " of type " + std::to_string(p.type_oid) +
                           " cannot be used for shard routing");
  }
  return MakeError("22P03", "incorrect binary data format in bind parameter " + std::to_string(number));
}

Expected<std::optional<tree::ConstValue>> ResolveValue(const PgQuery__Node* n, const Params& params) {
  n = StripCasts(n);
  if (!n) return std::optional<tree::ConstValue>();
  if (auto c = tree::ConstText(n)) return std::optional<tree::ConstValue>(*c);
  if (n->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
    auto t = ParamText(params, n->param_ref->number);
    if (!t) return std::move(t).error();
    tree::ConstValue v;
    if (t->has_value()) {
      v.text = **t;
    } else {
      v.is_null = true;
    }
    return std::optional<tree::ConstValue>(v);
  }
  return std::optional<tree::ConstValue>();
}

std::optional<std::set<uint32_t>> PruneShards(const RelRef& rel, const PgQuery__Node* where, const Params& params) {
  if (!rel.table) return std::nullopt;
  return Prune(rel, where, params);
}

void RenameToShards(PgQuery__Node* root, const Catalog& catalog, uint32_t index, bool add_alias) {
  tree::VisitMessages(&root->base, [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__range_var__descriptor) return;
    auto* rv = reinterpret_cast<PgQuery__RangeVar*>(m);
    const DistributedTable* t = FindDistributed(catalog, rv);
    if (!t) return;
    const Shard* s = catalog.ShardAt(*t, index);
    if (!s) return;
    if (add_alias && !rv->alias) {
      PgQuery__Alias init = PG_QUERY__ALIAS__INIT;
      rv->alias = static_cast<PgQuery__Alias*>(std::malloc(sizeof(PgQuery__Alias)));
      std::memcpy(static_cast<void*>(rv->alias), &init, sizeof init);
      rv->alias->aliasname = nullptr;
      tree::SetString(&rv->alias->aliasname, t->name);
    }
    tree::SetString(&rv->relname, s->RelName());
  });
}

std::vector<int> IdentityParams(const Params& params) {
  std::vector<int> v(params.size());
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<int>(i);
  return v;
}

int MaxParamRef(const PgQuery__Node* root) {
  int mx = 0;
  tree::VisitMessages(const_cast<ProtobufCMessage*>(&root->base), [&](ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__param_ref__descriptor) {
      mx = std::max(mx, reinterpret_cast<PgQuery__ParamRef*>(m)->number);
    }
  });
  return mx;
}

std::string FigureColname(const PgQuery__ResTarget* rt) {
  if (rt->name && rt->name[0]) return rt->name;
  const PgQuery__Node* v = rt->val;
  while (v) {
    switch (v->node_case) {
      case PG_QUERY__NODE__NODE_COLUMN_REF: {
        const PgQuery__ColumnRef* c = v->column_ref;
        if (c->n_fields > 0 && c->fields[c->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_STRING) {
          return tree::StrVal(c->fields[c->n_fields - 1]);
        }
        return "?column?";
      }
      case PG_QUERY__NODE__NODE_FUNC_CALL:
        return tree::FuncName(v->func_call);
      case PG_QUERY__NODE__NODE_TYPE_CAST: {
        const PgQuery__Node* arg = v->type_cast->arg;
        if (arg && (arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF ||
                    arg->node_case == PG_QUERY__NODE__NODE_FUNC_CALL ||
                    arg->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)) {
          v = arg;
          continue;
        }
        const PgQuery__TypeName* tn = v->type_cast->type_name;
        if (tn && tn->n_names > 0) return tree::StrVal(tn->names[tn->n_names - 1]);
        return "?column?";
      }
      case PG_QUERY__NODE__NODE_CASE_EXPR:
        return "case";
      case PG_QUERY__NODE__NODE_COALESCE_EXPR:
        return "coalesce";
      case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
        return "array";
      case PG_QUERY__NODE__NODE_ROW_EXPR:
        return "row";
      case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
        return v->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "greatest" : "least";
      case PG_QUERY__NODE__NODE_A_EXPR:
        return v->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF ? "nullif" : "?column?";
      default:
        return "?column?";
    }
  }
  return "?column?";
}

std::string QuoteIdent(const std::string& ident) {
  std::string out = "\"";
  for (char ch : ident) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string ShardObjectName(const std::string& name, uint64_t shard_id) {
  std::string suffix = "_" + std::to_string(shard_id);
  std::string base = name.substr(0, std::min(name.size(), size_t{63} - suffix.size()));
  return base + suffix;
}

Expected<Task> MakeTask(const PgQuery__Node* stmt, const NodeRef& node, uint64_t shard_id, std::vector<int> params) {
  auto sql = Deparse(stmt);
  if (!sql) return std::move(sql).error();
  Task t;
  t.node = node;
  t.shard_id = shard_id;
  t.sql = std::move(*sql);
  t.params = std::move(params);
  return t;
}

Error NoDefaultNode() {
  return MakeError(sqlstate::kObjectNotInPrerequisiteState, "the coordinator has no worker nodes", {},
                   "Add one with SELECT jade_add_node('127.0.0.1', 5432).");
}

}  // namespace jade::coord::planner
