// utility_plan.cpp — transaction control, session settings, and DDL propagation.
//
// DDL on a distributed table runs once per shard with the relation renamed to the shard table
// (and index/constraint names suffixed with the shard id, since index names are per schema and
// several shards share a node). CREATE EXTENSION runs on every node. Everything else that does
// not touch a distributed table passes through to the default node unchanged.
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

using NodePtr = std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)>;

// True when an expression calls nextval() (a sequence default).
bool UsesNextval(const PgQuery__Node* expr) {
  bool found = false;
  tree::VisitMessages(const_cast<ProtobufCMessage*>(&expr->base), [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__func_call__descriptor) return;
    found |= tree::FuncName(reinterpret_cast<PgQuery__FuncCall*>(m)) == "nextval";
  });
  return found;
}

Expected<Plan> PlanTransaction(const Ctx& ctx) {
  const PgQuery__TransactionStmt* t = ctx.stmt.node()->transaction_stmt;
  Plan p;
  p.kind = PlanKind::kTransaction;
  p.txn.sql = ctx.stmt.text;
  p.txn.savepoint = t->savepoint_name ? t->savepoint_name : "";
  switch (t->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
      p.txn.kind = TxnKind::kBegin;
      p.command_tag = "BEGIN";
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
      if (t->chain) return Unsupported("COMMIT AND CHAIN");
      p.txn.kind = TxnKind::kCommit;
      p.command_tag = "COMMIT";
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
      if (t->chain) return Unsupported("ROLLBACK AND CHAIN");
      p.txn.kind = TxnKind::kRollback;
      p.command_tag = "ROLLBACK";
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
      p.txn.kind = TxnKind::kSavepoint;
      p.command_tag = "SAVEPOINT";
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
      p.txn.kind = TxnKind::kRelease;
      p.command_tag = "RELEASE";
      break;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
      p.txn.kind = TxnKind::kRollbackTo;
      p.command_tag = "ROLLBACK";
      break;
    default:
      return MakeError(sqlstate::kFeatureNotSupported,
                       "PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED are not supported through the "
                       "coordinator",
                       "The coordinator runs two-phase commit itself.");
  }
  p.description = "transaction control";
  return p;
}

// Text of SET's value list as SHOW would display simple values.
std::string SettingValue(const PgQuery__VariableSetStmt* s) {
  std::string out;
  for (size_t i = 0; i < s->n_args; i++) {
    const PgQuery__Node* a = s->args[i];
    while (a && a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) a = a->type_cast->arg;
    auto c = tree::ConstText(a);
    if (i) out += ", ";
    if (c) out += c->text;
  }
  return out;
}

// SET SESSION CHARACTERISTICS AS TRANSACTION <mode> is the session default of that mode:
// remembered (and replayed on pooled connections) as the default_transaction_* setting.
Expected<Plan> SessionCharacteristics(const PgQuery__VariableSetStmt* s, Plan p) {
  if (s->n_args != 1 || s->args[0]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
    return Unsupported("SET SESSION CHARACTERISTICS with several transaction modes",
                       "Set one transaction mode per statement.");
  }
  const PgQuery__DefElem* d = s->args[0]->def_elem;
  std::string mode = d->defname ? d->defname : "";
  auto c = tree::ConstText(d->arg);
  if (!c || (mode != "transaction_isolation" && mode != "transaction_read_only" && mode != "transaction_deferrable")) {
    return Unsupported("this SET SESSION CHARACTERISTICS");
  }
  std::string value = c->text;
  if (mode != "transaction_isolation") value = value == "0" ? "off" : "on";
  if (value.find_first_not_of("abcdefghijklmnopqrstuvwxyz ") != std::string::npos) {
    return Unsupported("this SET SESSION CHARACTERISTICS");
  }
  p.setting.kind = SettingKind::kSet;
  p.setting.name = "default_" + mode;
  p.setting.value = value;
  // Name and value come from the fixed sets checked above.
  p.setting.sql = "SET " + p.setting.name + " = '" + value + "'";
  p.description = "session setting";
  return p;
}

Expected<Plan> PlanSet(const Ctx& ctx) {
  const PgQuery__VariableSetStmt* s = ctx.stmt.node()->variable_set_stmt;
  Plan p;
  p.kind = PlanKind::kSessionSet;
  p.command_tag = "SET";
  p.setting.sql = ctx.stmt.text;
  std::string name = s->name ? s->name : "";
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  p.setting.name = name;
  switch (s->kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
      p.setting.kind = s->is_local ? SettingKind::kSetLocal : SettingKind::kSet;
      p.setting.value = SettingValue(s);
      for (size_t i = 0; i < s->n_args; i++) {
        const PgQuery__Node* a = s->args[i];
        while (a && a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) a = a->type_cast->arg;
        auto c = tree::ConstText(a);
        p.setting.values.push_back(c ? c->text : std::string());
      }
      break;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
      // SET LOCAL x TO DEFAULT lasts until the end of the transaction, like any SET LOCAL.
      p.setting.kind = s->is_local ? SettingKind::kSetLocal : SettingKind::kReset;
      break;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
      p.setting.kind = SettingKind::kReset;
      if (s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET) p.command_tag = "RESET";
      break;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
      p.setting.kind = SettingKind::kResetAll;
      p.setting.name.clear();
      p.command_tag = "RESET";
      break;
    default:
      p.setting.kind = SettingKind::kOther;
      if (name == "session characteristics") return SessionCharacteristics(s, std::move(p));
  }
  p.description = "session setting";
  return p;
}

// The statement unchanged, for the table's shell on the default node (see distribution.cpp):
// DDL reaches the shell too, so the default node's catalog keeps describing the table.
Expected<Task> ShellTask(const Ctx& ctx, const PgQuery__Node* stmt) {
  const Node* def = ctx.catalog.DefaultNode();
  if (!def) return NoDefaultNode();
  return MakeTask(stmt, ToNodeRef(*def), 0, {});
}

Expected<Plan> PlanDropSchema(const Ctx& ctx);

// Where DDL on a distributed table runs besides its shards.
enum class Shell : bool { kSkip = false, kAlso = true };

// Builds a broadcast plan from per-shard copies of the statement, edited by `edit` (and the
// unedited statement on the shell first, when `shell` says so).
template <typename Edit>
Expected<Plan> PerShard(const Ctx& ctx, const DistributedTable& t, Edit edit, const char* what, Shell shell) {
  Plan p;
  p.kind = PlanKind::kBroadcast;
  p.read_only = false;
  if (shell == Shell::kAlso) {
    auto task = ShellTask(ctx, ctx.stmt.node());
    if (!task) return std::move(task).error();
    p.tasks.push_back(std::move(*task));
  }
  for (uint32_t i = 0; i < t.shard_count; i++) {
    const Shard& s = ShardFor(ctx.catalog, t, i);
    NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    RenameToShards(copy.get(), ctx.catalog, i, false);
    edit(copy.get(), s);
    const Node* node = ctx.catalog.FindNode(s.node_id);
    if (!node) return MakeError(sqlstate::kInternalError, "shard " + std::to_string(s.id) + " has no node");
    auto task = MakeTask(copy.get(), ToNodeRef(*node), s.id, {});
    if (!task) return std::move(task).error();
    p.tasks.push_back(std::move(*task));
  }
  p.description = std::string(what) + " on " + std::to_string(t.shard_count) + " shards of " + t.name;
  return p;
}

const DistributedTable* TableOf(const Ctx& ctx, const PgQuery__RangeVar* rv) {
  return rv ? FindDistributed(ctx.catalog, rv) : nullptr;
}

Expected<Plan> PlanCreateIndex(const Ctx& ctx) {
  const PgQuery__IndexStmt* ix = ctx.stmt.node()->index_stmt;
  const DistributedTable* t = TableOf(ctx, ix->relation);
  if (!t) return Passthrough(ctx);
  if (ix->concurrent) return Unsupported("CREATE INDEX CONCURRENTLY");
  if (ix->unique || ix->primary) {
    bool has_key = false;
    for (size_t i = 0; i < ix->n_index_params; i++) {
      const PgQuery__Node* e = ix->index_params[i];
      if (e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && e->index_elem->name && t->shard_key == e->index_elem->name) {
        has_key = true;
      }
    }
    if (!has_key) {
      return Unsupported("a unique index without the shard key column \"" + t->shard_key + "\"",
                         "Uniqueness can only be enforced within a shard.");
    }
  }
  std::string name = ix->idxname ? ix->idxname : "";
  auto p = PerShard(
      ctx, *t,
      [&](PgQuery__Node* n, const Shard& s) {
        if (!name.empty()) tree::SetString(&n->index_stmt->idxname, ShardObjectName(name, s.id));
      },
      "CREATE INDEX", Shell::kAlso);
  if (p) p->command_tag = "CREATE INDEX";
  return p;
}

Expected<Plan> PlanDrop(const Ctx& ctx) {
  const PgQuery__DropStmt* d = ctx.stmt.node()->drop_stmt;
  if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) return PlanDropSchema(ctx);
  if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
    std::vector<std::pair<size_t, const DistributedTable*>> dist;  // (object position, table)
    for (size_t i = 0; i < d->n_objects; i++) {
      const PgQuery__List* names = d->objects[i]->list;
      std::string schema = "public", rel;
      if (names->n_items == 1) rel = tree::StrVal(names->items[0]);
      if (names->n_items == 2) {
        schema = tree::StrVal(names->items[0]);
        rel = tree::StrVal(names->items[1]);
      }
      if (const DistributedTable* t = ctx.catalog.FindTable(schema, rel)) dist.emplace_back(i, t);
    }
    if (dist.empty()) return Passthrough(ctx);
    Plan p;
    p.kind = PlanKind::kBroadcast;
    p.read_only = false;
    // First the statement itself on the default node: it drops the plain tables it names and the
    // distributed tables' shells. Dropping one distributed table alone, IF EXISTS is added, so a
    // shell dropped on the default node does not block it.
    NodePtr shell(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    if (d->n_objects == 1) shell->drop_stmt->missing_ok = true;
    auto shell_task = ShellTask(ctx, shell.get());
    if (!shell_task) return std::move(shell_task).error();
    p.tasks.push_back(std::move(*shell_task));
    // Then, per distributed table, one DROP per shard (the statement with only that object, renamed).
    std::string names;
    for (const auto& [pos, t] : dist) {
      for (uint32_t i = 0; i < t->shard_count; i++) {
        const Shard& s = ShardFor(ctx.catalog, *t, i);
        NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
        PgQuery__DropStmt* ds = copy->drop_stmt;
        for (size_t k = 0; k < ds->n_objects; k++) {
          if (k != pos) tree::FreeNode(ds->objects[k]);
        }
        ds->objects[0] = ds->objects[pos];
        ds->n_objects = 1;
        PgQuery__List* shard_names = ds->objects[0]->list;
        tree::SetString(&shard_names->items[shard_names->n_items - 1]->string->sval, s.RelName());
        auto task = MakeTask(copy.get(), ToNodeRef(*ctx.catalog.FindNode(s.node_id)), s.id, {});
        if (!task) return std::move(task).error();
        p.tasks.push_back(std::move(*task));
      }
      p.commands.push_back(DropDistributedTableCmd{t->schema, t->name});
      names += (names.empty() ? "" : ", ") + t->name;
    }
    p.command_tag = "DROP TABLE";
    p.description = "DROP TABLE on the default node and every shard of " + names;
    return p;
  }
  if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && !ctx.catalog.tables().empty()) {
    // Index names are not in the metadata: drop the shard-suffixed name on every shard (IF
    // EXISTS) and the plain name on the default node, so both kinds of index are found.
    if (d->concurrent) return Unsupported("DROP INDEX CONCURRENTLY while distributed tables exist");
    const Node* def = ctx.catalog.DefaultNode();
    if (!def) return NoDefaultNode();
    Plan p;
    p.kind = PlanKind::kBroadcast;
    p.read_only = false;
    NodePtr plain(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
    plain->drop_stmt->missing_ok = true;
    auto t0 = MakeTask(plain.get(), ToNodeRef(*def), 0, {});
    if (!t0) return std::move(t0).error();
    p.tasks.push_back(std::move(*t0));
    for (const auto& [id, s] : ctx.catalog.shards()) {
      NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
      copy->drop_stmt->missing_ok = true;
      for (size_t i = 0; i < copy->drop_stmt->n_objects; i++) {
        PgQuery__List* names = copy->drop_stmt->objects[i]->list;
        PgQuery__String* last = names->items[names->n_items - 1]->string;
        tree::SetString(&last->sval, ShardObjectName(last->sval, id));
      }
      auto task = MakeTask(copy.get(), ToNodeRef(*ctx.catalog.FindNode(s.node_id)), id, {});
      if (!task) return std::move(task).error();
      p.tasks.push_back(std::move(*task));
    }
    p.command_tag = "DROP INDEX";
    p.description = "DROP INDEX on the default node and every shard";
    return p;
  }
  // Other objects (views, functions, ...) live on the default node.
  return Passthrough(ctx);
}

// A constraint no shard can enforce alone: uniqueness without the shard key, exclusion, foreign
// keys. Returns the refusal, or nothing when each shard enforcing it enforces it for the table.
std::optional<Error> UnenforceableConstraint(const PgQuery__Constraint* k, const DistributedTable& t,
                                             const std::string& column) {
  switch (k->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE: {
      if (k->indexname && k->indexname[0]) {
        return Unsupported("a PRIMARY KEY or UNIQUE constraint USING INDEX on a distributed table",
                           "Create the constraint with its columns listed.");
      }
      // A column constraint (ADD COLUMN u int UNIQUE) is on that column alone.
      bool has_key = k->n_keys == 0 && column == t.shard_key;
      for (size_t j = 0; j < k->n_keys; j++) has_key |= tree::StrVal(k->keys[j]) == t.shard_key;
      if (!has_key) {
        return Unsupported("a PRIMARY KEY or UNIQUE constraint without the shard key column \"" + t.shard_key + "\"",
                           "Uniqueness can only be enforced within a shard.");
      }
      return std::nullopt;
    }
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
      return Unsupported("exclusion constraints on distributed tables");
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
      return Unsupported("foreign keys on distributed tables");
    case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
      return Unsupported("identity columns on distributed tables",
                         "Sequences are local to one node; generate keys in the application.");
    case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
      if (k->raw_expr && UsesNextval(k->raw_expr)) {
        return Unsupported("a sequence default on a distributed table",
                           "Sequences are local to one node; generate keys in the application.");
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// True for the serial types (a column of one gets a sequence default).
bool IsSerialType(const PgQuery__TypeName* tn) {
  if (!tn || tn->n_names == 0) return false;
  std::string name = tree::StrVal(tn->names[tn->n_names - 1]);
  return name == "serial" || name == "bigserial" || name == "smallserial" || name == "serial2" ||
         name == "serial4" || name == "serial8";
}

Expected<Plan> PlanAlterTable(const Ctx& ctx) {
  const PgQuery__AlterTableStmt* a = ctx.stmt.node()->alter_table_stmt;
  const DistributedTable* t = TableOf(ctx, a->relation);
  if (!t) return Passthrough(ctx);
  std::vector<std::string> columns = t->columns;
  bool columns_changed = false;
  for (size_t i = 0; i < a->n_cmds; i++) {
    const PgQuery__AlterTableCmd* c = a->cmds[i]->alter_table_cmd;
    std::string target = c->name ? c->name : "";
    switch (c->subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          const PgQuery__ColumnDef* col = c->def->column_def;
          if (IsSerialType(col->type_name)) {
            return Unsupported("a serial column on a distributed table",
                               "Sequences are local to one node; generate keys in the application.");
          }
          for (size_t j = 0; j < col->n_constraints; j++) {
            if (col->constraints[j]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) continue;
            if (auto e = UnenforceableConstraint(col->constraints[j]->constraint, *t, col->colname)) return *e;
          }
          columns.push_back(col->colname);
          columns_changed = true;
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
        if (target == t->shard_key) return Unsupported("dropping the shard key column \"" + t->shard_key + "\"");
        columns.erase(std::remove(columns.begin(), columns.end(), target), columns.end());
        columns_changed = true;
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        // Rows are placed by the hash of the key's type: another type would hash differently.
        if (target == t->shard_key) {
          return Unsupported("changing the type of the shard key column \"" + t->shard_key + "\"");
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
        if (c->def && UsesNextval(c->def)) {
          return Unsupported("a sequence default on a distributed table",
                             "Sequences are local to one node; generate keys in the application.");
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
        return Unsupported("identity columns on distributed tables");
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
        return Unsupported("a PRIMARY KEY or UNIQUE constraint USING INDEX on a distributed table");
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
        return Unsupported("partitioning or inheritance of a distributed table");
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
        if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
          if (auto e = UnenforceableConstraint(c->def->constraint, *t, "")) return *e;
        }
        break;
      default:
        break;
    }
  }
  auto p = PerShard(
      ctx, *t,
      [&](PgQuery__Node* n, const Shard& s) {
        // Constraint names become index names (per schema): unique per shard, as the shard DDL
        // named them; commands that name an existing constraint use that name.
        PgQuery__AlterTableStmt* as = n->alter_table_stmt;
        for (size_t i = 0; i < as->n_cmds; i++) {
          PgQuery__AlterTableCmd* c = as->cmds[i]->alter_table_cmd;
          if (c->def && c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && c->def->constraint->conname &&
              c->def->constraint->conname[0]) {
            tree::SetString(&c->def->constraint->conname, ShardObjectName(c->def->constraint->conname, s.id));
          }
          bool names_constraint = c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint ||
                                  c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint ||
                                  c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint;
          if (names_constraint && c->name && c->name[0]) {
            tree::SetString(&c->name, ShardObjectName(c->name, s.id));
          }
          if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint && c->def &&
              c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && c->def->constraint->conname) {
            tree::SetString(&c->def->constraint->conname, ShardObjectName(c->def->constraint->conname, s.id));
          }
        }
      },
      "ALTER TABLE", Shell::kAlso);
  if (!p) return p;
  if (columns_changed) p->commands.push_back(SetTableColumnsCmd{t->schema, t->name, columns});
  p->command_tag = "ALTER TABLE";
  return p;
}

Expected<Plan> PlanRename(const Ctx& ctx) {
  const PgQuery__RenameStmt* r = ctx.stmt.node()->rename_stmt;
  if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) {
    std::string from = r->subname ? r->subname : "";
    for (const auto& [key, t] : ctx.catalog.tables()) {
      if (t.schema == from) return Unsupported("renaming a schema that holds distributed tables");
    }
    return Passthrough(ctx);
  }
  if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && !ctx.catalog.tables().empty()) {
    // Index names are not in the metadata (as for DROP INDEX): the shards' copies, named
    // <index>_<shard id>, are renamed where they exist, and the default node's index as written.
    const Node* def = ctx.catalog.DefaultNode();
    if (!def) return NoDefaultNode();
    Plan p;
    p.kind = PlanKind::kBroadcast;
    p.read_only = false;
    auto first = MakeTask(ctx.stmt.node(), ToNodeRef(*def), 0, {});
    if (!first) return std::move(first).error();
    p.tasks.push_back(std::move(*first));
    std::string from = r->relation && r->relation->relname ? r->relation->relname : "";
    std::string to = r->newname ? r->newname : "";
    for (const auto& [id, sh] : ctx.catalog.shards()) {
      NodePtr copy(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
      copy->rename_stmt->missing_ok = true;
      tree::SetString(&copy->rename_stmt->relation->relname, ShardObjectName(from, id));
      tree::SetString(&copy->rename_stmt->newname, ShardObjectName(to, id));
      auto task = MakeTask(copy.get(), ToNodeRef(*ctx.catalog.FindNode(sh.node_id)), id, {});
      if (!task) return std::move(task).error();
      p.tasks.push_back(std::move(*task));
    }
    p.command_tag = "ALTER INDEX";
    p.description = "ALTER INDEX RENAME on the default node and every shard";
    return p;
  }
  const DistributedTable* t = TableOf(ctx, r->relation);
  if (!t) return Passthrough(ctx);
  if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
    std::string from = r->subname ? r->subname : "", to = r->newname ? r->newname : "";
    auto p = PerShard(
        ctx, *t,
        [&](PgQuery__Node* n, const Shard& s) {
          tree::SetString(&n->rename_stmt->subname, ShardObjectName(from, s.id));
          tree::SetString(&n->rename_stmt->newname, ShardObjectName(to, s.id));
        },
        "ALTER TABLE RENAME CONSTRAINT", Shell::kAlso);
    if (p) p->command_tag = "ALTER TABLE";
    return p;
  }
  if (r->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) return Unsupported("renaming a distributed table");
  std::string from = r->subname ? r->subname : "", to = r->newname ? r->newname : "";
  if (from == t->shard_key) return Unsupported("renaming the shard key column \"" + t->shard_key + "\"");
  std::vector<std::string> columns = t->columns;
  for (auto& c : columns) {
    if (c == from) c = to;
  }
  auto p = PerShard(ctx, *t, [](PgQuery__Node*, const Shard&) {}, "ALTER TABLE RENAME COLUMN", Shell::kAlso);
  if (!p) return p;
  p->commands.push_back(SetTableColumnsCmd{t->schema, t->name, columns});
  p->command_tag = "ALTER TABLE";
  return p;
}

// CREATE SCHEMA: on the default node as written (schema elements such as CREATE TABLE are plain
// tables there); on every other node the bare schema (IF NOT EXISTS), so that shard tables of
// distributed tables in it can be created there.
Expected<Plan> PlanCreateSchema(const Ctx& ctx) {
  const PgQuery__CreateSchemaStmt* cs = ctx.stmt.node()->create_schema_stmt;
  const Node* def = ctx.catalog.DefaultNode();
  if (!def || ctx.catalog.nodes().size() == 1) return Passthrough(ctx);
  std::string name = cs->schemaname && cs->schemaname[0] ? cs->schemaname
                     : cs->authrole && cs->authrole->rolename ? cs->authrole->rolename
                                                              : "";
  if (name.empty()) return Passthrough(ctx);
  Plan p;
  p.kind = PlanKind::kBroadcast;
  p.read_only = false;
  auto first = MakeTask(ctx.stmt.node(), ToNodeRef(*def), 0, {});
  if (!first) return std::move(first).error();
  p.tasks.push_back(std::move(*first));
  for (const auto& [id, n] : ctx.catalog.nodes()) {
    if (id == def->id) continue;
    Task t;
    t.node = ToNodeRef(n);
    t.sql = "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(name);
    p.tasks.push_back(std::move(t));
  }
  p.command_tag = "CREATE SCHEMA";
  p.description = "CREATE SCHEMA on every node";
  return p;
}

// DROP SCHEMA: on every node (IF EXISTS on all but the default node: the schema may never have
// been created there); with CASCADE its distributed tables go too, shards and metadata, in the
// same atomic statement. Without CASCADE the default node refuses a schema that still holds a
// table (its shell), and nothing is dropped anywhere.
Expected<Plan> PlanDropSchema(const Ctx& ctx) {
  const PgQuery__DropStmt* d = ctx.stmt.node()->drop_stmt;
  const Node* def = ctx.catalog.DefaultNode();
  if (!def) return Passthrough(ctx);
  std::set<std::string> schemas;
  for (size_t i = 0; i < d->n_objects; i++) {
    if (d->objects[i]->node_case == PG_QUERY__NODE__NODE_STRING) schemas.insert(tree::StrVal(d->objects[i]));
  }
  std::vector<const DistributedTable*> tables;
  for (const auto& [key, t] : ctx.catalog.tables()) {
    if (schemas.count(t.schema)) tables.push_back(&t);
  }
  if (ctx.catalog.nodes().size() == 1 && tables.empty()) return Passthrough(ctx);
  Plan p;
  p.kind = PlanKind::kBroadcast;
  p.read_only = false;
  auto first = MakeTask(ctx.stmt.node(), ToNodeRef(*def), 0, {});
  if (!first) return std::move(first).error();
  p.tasks.push_back(std::move(*first));
  NodePtr others(tree::DeepCopy(ctx.stmt.node()), tree::FreeNode);
  others->drop_stmt->missing_ok = true;
  for (const auto& [id, n] : ctx.catalog.nodes()) {
    if (id == def->id) continue;
    auto task = MakeTask(others.get(), ToNodeRef(n), 0, {});
    if (!task) return std::move(task).error();
    p.tasks.push_back(std::move(*task));
  }
  for (const DistributedTable* t : tables) p.commands.push_back(DropDistributedTableCmd{t->schema, t->name});
  p.command_tag = "DROP SCHEMA";
  p.description = "DROP SCHEMA on every node";
  return p;
}

// GRANT/REVOKE on a distributed table: the shell and every shard, so PostgreSQL's privilege
// checks on the workers (worker_role = client) see what the client granted.
Expected<Plan> PlanGrant(const Ctx& ctx) {
  const PgQuery__GrantStmt* g = ctx.stmt.node()->grant_stmt;
  std::vector<RelRef> rels = CollectRelations(ctx.stmt.node(), ctx.catalog);
  if (!AnyDistributed(rels)) return Passthrough(ctx);
  if (g->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || g->n_objects != 1 || rels.size() != 1) {
    return Unsupported("GRANT/REVOKE on several objects including a distributed table");
  }
  auto p = PerShard(ctx, *rels[0].table, [](PgQuery__Node*, const Shard&) {}, g->is_grant ? "GRANT" : "REVOKE",
                    Shell::kAlso);
  if (p) p->command_tag = g->is_grant ? "GRANT" : "REVOKE";
  return p;
}

Expected<Plan> PlanCreateExtension(const Ctx& ctx) {
  if (ctx.catalog.nodes().empty()) return NoDefaultNode();
  Plan p;
  p.kind = PlanKind::kBroadcast;
  p.read_only = false;
  for (const auto& [id, n] : ctx.catalog.nodes()) {
    Task t;
    t.node = ToNodeRef(n);
    t.sql = ctx.stmt.text;
    p.tasks.push_back(std::move(t));
  }
  p.command_tag = "CREATE EXTENSION";
  p.description = "CREATE EXTENSION on every node";
  return p;
}

}  // namespace

Expected<Plan> PlanUtility(const Ctx& ctx) {
  const PgQuery__Node* n = ctx.stmt.node();
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
      return PlanTransaction(ctx);
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
      return PlanSet(ctx);
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
      if (n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
        Plan p;
        p.kind = PlanKind::kSessionSet;
        p.setting.kind = SettingKind::kResetAll;
        p.setting.sql = ctx.stmt.text;
        p.command_tag = "DISCARD ALL";
        return p;
      }
      return Passthrough(ctx);
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      return PlanCreateIndex(ctx);
    case PG_QUERY__NODE__NODE_DROP_STMT:
      return PlanDrop(ctx);
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      return PlanAlterTable(ctx);
    case PG_QUERY__NODE__NODE_RENAME_STMT:
      return PlanRename(ctx);
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      return PlanTruncate(ctx);
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
      return PlanVacuum(ctx);
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
      return PlanReindex(ctx);
    case PG_QUERY__NODE__NODE_CLUSTER_STMT:
      return PlanCluster(ctx);
    case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
      return PlanCreateExtension(ctx);
    case PG_QUERY__NODE__NODE_GRANT_STMT:
      return PlanGrant(ctx);
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
      return PlanCreateSchema(ctx);
    default: {
      // Any other statement is fine on the default node unless it names a distributed table.
      std::vector<RelRef> rels = CollectRelations(n, ctx.catalog);
      if (AnyDistributed(rels)) {
        const char* name = protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, n->node_case)
                               ? protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, n->node_case)->name
                               : "statement";
        return Unsupported(std::string("this statement (") + name + ")");
      }
      return Passthrough(ctx);
    }
  }
}

}  // namespace jade::coord::planner
