// copy_plan.cpp — COPY FROM STDIN into a distributed table: per-shard COPY statements plus the
// splitter configuration; COPY of plain tables passes through.
#include <cctype>
#include <memory>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

using NodePtr = std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)>;

std::string Lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Reads a DefElem argument as text ("" when absent).
std::string DefText(const PgQuery__DefElem* d) {
  if (!d->arg) return {};
  if (d->arg->node_case == PG_QUERY__NODE__NODE_STRING) return tree::StrVal(d->arg);
  if (d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN) return d->arg->boolean->boolval ? "true" : "false";
  if (d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER) return std::to_string(d->arg->integer->ival);
  if (auto c = tree::ConstText(d->arg)) return c->text;
  return {};
}

bool DefBool(const PgQuery__DefElem* d) {
  if (!d->arg) return true;
  std::string v = Lower(DefText(d));
  return v == "true" || v == "on" || v == "1" || v == "yes" || v == "match";
}

Expected<char> SingleChar(const PgQuery__DefElem* d, const char* what) {
  std::string v = DefText(d);
  if (v.size() != 1) {
    return MakeError(sqlstate::kFeatureNotSupported,
                     std::string("COPY ") + what + " must be a single one-byte character");
  }
  return v[0];
}

}  // namespace

Expected<Plan> PlanCopy(const Ctx& ctx) {
  const PgQuery__CopyStmt* c = ctx.stmt.node()->copy_stmt;
  std::vector<RelRef> rels = CollectRelations(ctx.stmt.node(), ctx.catalog);
  const DistributedTable* t =
      c->relation ? FindDistributed(ctx.catalog, c->relation)
                  : nullptr;
  bool stdin_copy = c->is_from && !c->is_program && (!c->filename || !c->filename[0]);
  if (!t) {
    if (AnyDistributed(rels)) return Unsupported("COPY (query) over a distributed table", {});
    auto p = Passthrough(ctx);
    if (p) {
      p->copy_in = stdin_copy;
      p->read_only = !c->is_from;
    }
    return p;
  }
  if (!c->is_from) {
    return Unsupported("COPY ... TO from a distributed table", "Use SELECT, or COPY each shard.");
  }
  if (!stdin_copy) return Unsupported("COPY FROM a file or program into a distributed table");
  if (c->where_clause) return Unsupported("COPY FROM ... WHERE into a distributed table");

  CopyPlan cp;
  cp.schema = t->schema;
  cp.table = t->name;
  cp.key_type = t->key_type;
  cp.key_length = t->key_length;
  cp.shard_count = t->shard_count;
  CopyFormat fmt = CopyFormat::Text();
  // First pass: the format decides the other defaults.
  for (size_t i = 0; i < c->n_options; i++) {
    const PgQuery__DefElem* d = c->options[i]->def_elem;
    if (Lower(d->defname) == "format") {
      std::string f = Lower(DefText(d));
      if (f == "csv") fmt = CopyFormat::Csv();
      else if (f == "binary") fmt = CopyFormat::Binary();
      else if (f != "text") return MakeError(sqlstate::kInvalidParameterValue, "COPY format \"" + f + "\" not recognized");
    }
  }
  bool escape_set = false;
  for (size_t i = 0; i < c->n_options; i++) {
    const PgQuery__DefElem* d = c->options[i]->def_elem;
    std::string name = Lower(d->defname);
    // As PostgreSQL's ProcessCopyOptions: text/CSV options make no sense for binary data.
    if (fmt.binary && (name == "delimiter" || name == "null" || name == "header")) {
      std::string opt = name;
      for (auto& ch : opt) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return MakeError(sqlstate::kFeatureNotSupported, "cannot specify " + opt + " in BINARY mode");
    }
    if (!fmt.csv && (name == "quote" || name == "escape")) {
      return MakeError(sqlstate::kFeatureNotSupported, "COPY " + name + " available only in CSV mode");
    }
    if (name == "delimiter") {
      auto ch = SingleChar(d, "delimiter");
      if (!ch) return std::move(ch).error();
      fmt.delimiter = *ch;
    } else if (name == "null") {
      fmt.null_string = DefText(d);
    } else if (name == "header") {
      fmt.header = DefBool(d);
    } else if (name == "quote") {
      auto ch = SingleChar(d, "quote");
      if (!ch) return std::move(ch).error();
      fmt.quote = *ch;
      if (!escape_set) fmt.escape = *ch;
    } else if (name == "escape") {
      auto ch = SingleChar(d, "escape");
      if (!ch) return std::move(ch).error();
      fmt.escape = *ch;
      escape_set = true;
    } else if (name == "encoding") {
      return Unsupported("COPY ... ENCODING into a distributed table");
    }
  }
  cp.format = fmt;
  std::vector<std::string> cols;
  for (size_t i = 0; i < c->n_attlist; i++) cols.push_back(tree::StrVal(c->attlist[i]));
  if (cols.empty()) cols = t->columns;
  cp.key_field = -1;
  for (size_t i = 0; i < cols.size(); i++) {
    if (cols[i] == t->shard_key) cp.key_field = static_cast<int>(i);
  }
  if (cp.key_field < 0) {
    return MakeError("22004", "COPY into distributed table \"" + t->name + "\" must include the shard key column \"" +
                                  t->shard_key + "\"");
  }
  for (uint32_t i = 0; i < t->shard_count; i++) {
    const Shard& s = ShardFor(ctx.catalog, *t, i);
    NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    RenameToShards(copy.get(), ctx.catalog, i, false);
    // The splitter consumes the header line; FREEZE needs a table created in the same transaction.
    PgQuery__CopyStmt* cs = copy->copy_stmt;
    size_t kept = 0;
    for (size_t k = 0; k < cs->n_options; k++) {
      std::string name = Lower(cs->options[k]->def_elem->defname);
      if (name == "header" || name == "freeze") {
        tree::FreeNode(cs->options[k]);
      } else {
        cs->options[kept++] = cs->options[k];
      }
    }
    cs->n_options = kept;
    auto task = MakeTask(copy.get(), ToNodeRef(*ctx.catalog.FindNode(s.node_id)), s.id, {});
    if (!task) return std::move(task).error();
    cp.shard_tasks.push_back(std::move(*task));
  }
  Plan p;
  p.kind = PlanKind::kCopyIn;
  p.read_only = false;
  p.copy = std::move(cp);
  p.command_tag = "COPY";
  p.description = "COPY split into " + std::to_string(t->shard_count) + " shards of " + t->name;
  return p;
}

}  // namespace jade::coord::planner
