// distribution.cpp — create_distributed_table on an existing table: describe it, plan the move.
//
// The source table is described on the default node by three catalog queries (columns;
// constraints and triggers; indexes). Every shard table is then built from that description in
// its own transaction: CREATE TABLE (columns, NOT NULL, DEFAULT, collation), COPY of its rows,
// then the PRIMARY KEY / UNIQUE / CHECK constraints and the other indexes, as pg_dump orders them
// (bulk index builds after the data; a NOT VALID check stays unvalidated). Constraint and index
// definitions are PostgreSQL's own pg_get_constraintdef/pg_get_indexdef text: it is parsed, must
// be exactly one statement of the expected kind, and only names are changed in the tree (shard
// table, shard-suffixed index/constraint name) before it is deparsed. No user value is pasted
// into SQL text.
//
// The source keeps its definition: in one transaction on the default node it is locked, copied
// out, emptied (TRUNCATE) and given a statement trigger that rejects writes, so it stays as the
// catalog shell of the distributed table (pgbench and other tools read pg_class; writes through
// the coordinator go to the shards; a write that reaches the shell otherwise fails instead of
// being lost). The shard transactions and the source transaction commit together (2PC).
#include <algorithm>
#include <memory>

#include "planner/planner_internal.h"

namespace jade::coord {
namespace {

// The relation name in statement templates, replaced in the tree.
constexpr const char* kPlaceholder = "jade_relation";

// Catalog queries on the default node; 'jade_relation' becomes the quoted qualified name, as a
// string constant placed by the deparser.
constexpr const char* kDescribeColumns =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), "
    "a.attidentity, a.attgenerated, a.attnum, "
    "CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname END, "
    "CASE WHEN a.attcollation <> t.typcollation THEN co.collname END, c.relkind, "
    "(SELECT n.nspname FROM pg_namespace n WHERE n.oid = c.relnamespace), "
    "CASE WHEN a.attcollation <> t.typcollation THEN co.collisdeterministic END "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace "
    "WHERE a.attrelid = 'jade_relation'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
constexpr const char* kDescribeConstraints =
    "SELECT k.conname, k.contype::text, pg_get_constraintdef(k.oid), k.conkey::text, "
    "k.conrelid = 'jade_relation'::regclass, CASE WHEN k.contype IN ('p', 'u') THEN pg_get_indexdef(k.conindid) END, "
    "k.condeferrable, k.condeferred FROM pg_constraint k "
    "WHERE k.conrelid = 'jade_relation'::regclass OR k.confrelid = 'jade_relation'::regclass "
    "UNION ALL SELECT g.tgname, 'trigger', NULL, NULL, true, NULL, false, false FROM pg_trigger g "
    "WHERE g.tgrelid = 'jade_relation'::regclass AND NOT g.tgisinternal ORDER BY 2, 1";
constexpr const char* kDescribeIndexes =
    "SELECT ic.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indkey::text, i.indnkeyatts "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = 'jade_relation'::regclass "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) "
    "ORDER BY ic.relname";

// The shell guard: one shared trigger function on the default node (schema jade_coordinator),
// and a statement trigger per shell. The function's text is a constant.
constexpr const char* kGuardSchema = "CREATE SCHEMA IF NOT EXISTS jade_coordinator";
constexpr const char* kGuardFunction =
    "CREATE OR REPLACE FUNCTION jade_coordinator.reject_shell_write() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "  RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',\n"
    "    MESSAGE = format('table %I.%I is distributed: write to it through the coordinator', TG_TABLE_SCHEMA, "
    "TG_TABLE_NAME),\n"
    "    DETAIL = 'On this node the table is an empty catalog shell; its rows are in shard tables.';\n"
    "END\n"
    "$fn$";
constexpr const char* kGuardTrigger =
    "CREATE TRIGGER jade_shell_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON jade_relation "
    "FOR EACH STATEMENT EXECUTE FUNCTION jade_coordinator.reject_shell_write()";

using NodePtr = std::unique_ptr<PgQuery__Node, void (*)(PgQuery__Node*)>;

// Parses generated SQL into a private tree: exactly one statement of the expected kind.
Expected<NodePtr> ParseOne(const std::string& sql, PgQuery__Node__NodeCase kind, const std::string& what) {
  auto parsed = ParseSql(sql);
  if (!parsed) {
    return MakeError(sqlstate::kInternalError, "cannot use the definition of " + what, parsed.error().message);
  }
  if (parsed->size() != 1 || (*parsed)[0].kind() != kind) {
    return MakeError(sqlstate::kInternalError, "the definition of " + what + " is not a single statement of its kind");
  }
  return NodePtr(tree::DeepCopy((*parsed)[0].node()), tree::FreeNode);
}

// Points a RangeVar at schema.rel.
void SetRelation(PgQuery__RangeVar* rv, const std::string& schema, const std::string& rel) {
  tree::SetString(&rv->schemaname, schema);
  tree::SetString(&rv->relname, rel);
}

// A statement template with every `jade_relation` RangeVar pointed at schema.rel, deparsed.
Expected<std::string> OnRelation(const char* tmpl, PgQuery__Node__NodeCase kind, const std::string& schema,
                                 const std::string& rel) {
  auto n = ParseOne(tmpl, kind, "a generated statement");
  if (!n) return std::move(n).error();
  tree::VisitMessages(&(*n)->base, [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__range_var__descriptor) return;
    auto* rv = reinterpret_cast<PgQuery__RangeVar*>(m);
    if (rv->relname && std::string(rv->relname) == kPlaceholder) SetRelation(rv, schema, rel);
  });
  return Deparse(n->get());
}

// The describe query with 'jade_relation' replaced by the qualified table name (a constant).
Expected<std::string> DescribeSql(const char* tmpl, const std::string& qualified) {
  auto parsed = ParseSql(tmpl);
  if (!parsed) return std::move(parsed).error();
  auto clone = CloneStatement((*parsed)[0]);
  if (!clone) return std::move(clone).error();
  tree::VisitMessages(&clone->node()->base, [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__string__descriptor) return;
    auto* s = reinterpret_cast<PgQuery__String*>(m);
    if (s->sval && std::string(s->sval) == kPlaceholder) tree::SetString(&s->sval, qualified);
  });
  return Deparse(clone->node());
}

// True when a default expression calls nextval() (a serial/sequence default).
bool UsesSequence(const std::string& expr) {
  auto parsed = ParseSql("SELECT " + expr);
  if (!parsed || parsed->size() != 1) return true;  // unparsable: refuse rather than guess
  bool found = false;
  tree::VisitMessages(const_cast<ProtobufCMessage*>(&(*parsed)[0].node()->base), [&](ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__func_call__descriptor &&
        tree::FuncName(reinterpret_cast<PgQuery__FuncCall*>(m)) == "nextval") {
      found = true;
    }
  });
  return found;
}

// The integers of an int2vector ("1 0 3") or int2[] ("{1,3}") text.
std::vector<int> AttNums(const std::string& text) {
  std::vector<int> out;
  std::string cur;
  for (char ch : text + " ") {
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
      cur.push_back(ch);
    } else if (!cur.empty()) {
      out.push_back(std::stoi(cur));
      cur.clear();
    }
  }
  return out;
}

bool IsTrue(const std::optional<std::string>& v) { return v && *v == "t"; }

// True when deparsing `n` and parsing the text again gives the same tree: the deparser kept every
// part of the definition (libpg_query 15-4.0.0 drops e.g. a constraint's WITH (...) options).
bool Reproducible(const PgQuery__Node* n) {
  auto sql = Deparse(n);
  if (!sql) return false;
  auto again = ParseSql(*sql);
  return again && again->size() == 1 && planner::ExprKey((*again)[0].node()) == planner::ExprKey(n);
}

// One statement of the shard DDL: its tree (relation `jade_relation`) and the object name that
// gets the shard suffix ("" = none).
struct DdlStep {
  NodePtr stmt;
  std::string name;
};

// The shard DDL built from a TableDescription: CREATE TABLE, and what runs after the COPY.
struct ShardDdl {
  NodePtr create{nullptr, tree::FreeNode};
  std::vector<DdlStep> finish;  ///< CREATE [UNIQUE] INDEX, ALTER TABLE ADD CONSTRAINT, in order
};

// Parses a definition that must survive deparsing unchanged.
Expected<NodePtr> ParseDefinition(const std::string& sql, PgQuery__Node__NodeCase kind, const std::string& what) {
  auto n = ParseOne(sql, kind, what);
  if (!n) return n;
  if (!Reproducible(n->get())) {
    return MakeError(sqlstate::kFeatureNotSupported,
                     "the definition of " + what + " cannot be reproduced on the shards exactly", sql);
  }
  return n;
}

// Builds the CREATE TABLE of a shard (relation `jade_relation`) and finds the shard key.
// The n of "character varying(n)" (format_type's text of a varchar key), -1 without a length.
int32_t DeclaredLength(const std::string& type) {
  size_t open = type.find('(');
  size_t close = type.find(')', open);
  if (open == std::string::npos || close == std::string::npos || close <= open + 1 || close - open > 10) return -1;
  std::string digits = type.substr(open + 1, close - open - 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return static_cast<int32_t>(std::stol(digits));
}

Expected<NodePtr> CreateTable(const DistributeRequest& request, const std::vector<Row>& columns,
                              std::vector<std::string>* names, std::optional<KeyType>* key_type, int* key_attnum,
                              int32_t* key_length) {
  std::string defs;
  for (const Row& r : columns) {
    if (r.size() < 10 || !r[0] || !r[1] || !r[6]) return MakeError(sqlstate::kInternalError, "unexpected describe result");
    const std::string& name = *r[0];
    if (r[9] && *r[9] != "r") {
      return Unsupported("distributing a relation that is not a plain table (relkind '" + *r[9] + "')");
    }
    if (r[4] && !r[4]->empty()) return Unsupported("identity column \"" + name + "\"");
    if (r[5] && !r[5]->empty()) return Unsupported("generated column \"" + name + "\"");
    if (r[3] && UsesSequence(*r[3])) {
      return Unsupported("serial or sequence default on column \"" + name + "\"",
                         "Sequences are local to one node; generate keys in the application.");
    }
    if (name == request.shard_key) {
      auto kt = KeyTypeFromName(*r[1]);
      if (!kt) return std::move(kt).error();
      // Equal values must hash equal: a collation that compares different bytes as equal
      // cannot place rows by their bytes.
      if (r.size() > 11 && r[11] && !IsTrue(r[11])) {
        return Unsupported("a shard key column with a nondeterministic collation");
      }
      *key_type = *kt;
      *key_attnum = std::stoi(*r[6]);
      *key_length = *kt == KeyType::kVarchar ? DeclaredLength(*r[1]) : -1;
    }
    names->push_back(name);
    // Type and default are PostgreSQL's own text (format_type, pg_get_expr); names are quoted.
    if (!defs.empty()) defs += ", ";
    defs += planner::QuoteIdent(name) + " " + *r[1];
    if (r[7] && r[8]) defs += " COLLATE " + planner::QuoteIdent(*r[7]) + "." + planner::QuoteIdent(*r[8]);
    if (IsTrue(r[2])) defs += " NOT NULL";
    if (r[3]) defs += " DEFAULT " + *r[3];
  }
  if (!*key_type) {
    return MakeError(sqlstate::kUndefinedColumn,
                     "column \"" + request.shard_key + "\" of relation \"" + request.table + "\" does not exist");
  }
  auto create = ParseDefinition(std::string("CREATE TABLE ") + kPlaceholder + " (" + defs + ")",
                                PG_QUERY__NODE__NODE_CREATE_STMT, "the columns of \"" + request.table + "\"");
  if (!create) return std::move(create).error();
  if ((*create)->create_stmt->n_table_elts != columns.size()) {
    return MakeError(sqlstate::kInternalError, "the column definitions of \"" + request.table + "\" do not parse back");
  }
  return std::move(create).value();
}

// Checks the table's constraints and triggers; parses the ones shards carry. PRIMARY KEY and
// UNIQUE become their index (pg_get_indexdef: options, INCLUDE, NULLS NOT DISTINCT) plus
// ADD CONSTRAINT ... USING INDEX, which keeps every property the constraint text would.
Status Constraints(const DistributeRequest& request, const std::vector<Row>& rows, int key_attnum, ShardDdl* ddl) {
  for (const Row& r : rows) {
    if (r.size() < 8 || !r[0] || !r[1]) return MakeError(sqlstate::kInternalError, "unexpected describe result");
    const std::string& name = *r[0];
    const std::string& kind = *r[1];
    if (!IsTrue(r[4])) {
      return Unsupported("distributing a table referenced by a foreign key (\"" + name + "\")",
                         "Foreign keys cannot point into a distributed table.");
    }
    if (kind == "trigger" || kind == "t") {
      return Unsupported("distributing a table with trigger \"" + name + "\"",
                         "Triggers are not created on shard tables.");
    }
    if (kind == "f") return Unsupported("foreign keys on distributed tables (\"" + name + "\")");
    if (kind == "x") return Unsupported("exclusion constraint \"" + name + "\" on a distributed table");
    if (kind == "c") {
      if (!r[2]) return MakeError(sqlstate::kInternalError, "constraint \"" + name + "\" has no definition");
      auto alter = ParseDefinition(std::string("ALTER TABLE ") + kPlaceholder + " ADD CONSTRAINT jade_constraint " + *r[2],
                                   PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, "constraint \"" + name + "\"");
      if (!alter) return std::move(alter).error();
      const PgQuery__AlterTableStmt* a = (*alter)->alter_table_stmt;
      if (a->n_cmds != 1 || a->cmds[0]->alter_table_cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
          !a->cmds[0]->alter_table_cmd->def ||
          a->cmds[0]->alter_table_cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
        return MakeError(sqlstate::kInternalError, "the definition of constraint \"" + name + "\" is not a constraint");
      }
      ddl->finish.push_back(DdlStep{std::move(alter).value(), name});
      continue;
    }
    if (kind != "p" && kind != "u") {
      return Unsupported("constraint \"" + name + "\" of type '" + kind + "' on a distributed table");
    }
    std::vector<int> keys = AttNums(r[3] ? *r[3] : "");
    if (std::find(keys.begin(), keys.end(), key_attnum) == keys.end()) {
      return Unsupported("a PRIMARY KEY or UNIQUE constraint without the shard key column \"" + request.shard_key +
                             "\" (\"" + name + "\")",
                         "Uniqueness can only be enforced within a shard.");
    }
    if (!r[5]) return MakeError(sqlstate::kInternalError, "constraint \"" + name + "\" has no index");
    auto index = ParseDefinition(*r[5], PG_QUERY__NODE__NODE_INDEX_STMT, "the index of constraint \"" + name + "\"");
    if (!index) return std::move(index).error();
    auto alter = ParseOne(std::string("ALTER TABLE ") + kPlaceholder + " ADD CONSTRAINT jade_constraint " +
                              (kind == "p" ? "PRIMARY KEY" : "UNIQUE") + " USING INDEX jade_constraint",
                          PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, "constraint \"" + name + "\"");
    if (!alter) return std::move(alter).error();
    PgQuery__Constraint* k = (*alter)->alter_table_stmt->cmds[0]->alter_table_cmd->def->constraint;
    k->deferrable = IsTrue(r[6]);
    k->initdeferred = IsTrue(r[7]);
    ddl->finish.push_back(DdlStep{std::move(index).value(), name});
    ddl->finish.push_back(DdlStep{std::move(alter).value(), name});
  }
  return {};
}

// Checks and parses the indexes that back no constraint.
Status Indexes(const DistributeRequest& request, const std::vector<Row>& rows, int key_attnum, ShardDdl* ddl) {
  for (const Row& r : rows) {
    if (r.size() < 5 || !r[0] || !r[1]) return MakeError(sqlstate::kInternalError, "unexpected describe result");
    const std::string& name = *r[0];
    if (IsTrue(r[2])) {
      std::vector<int> keys = AttNums(r[3] ? *r[3] : "");
      size_t nkey = r[4] ? static_cast<size_t>(std::stoi(*r[4])) : keys.size();
      keys.resize(std::min(nkey, keys.size()));
      if (std::find(keys.begin(), keys.end(), key_attnum) == keys.end()) {
        return Unsupported("a unique index without the shard key column \"" + request.shard_key + "\" (\"" + name +
                               "\")",
                           "Uniqueness can only be enforced within a shard.");
      }
    }
    auto index = ParseDefinition(*r[1], PG_QUERY__NODE__NODE_INDEX_STMT, "index \"" + name + "\"");
    if (!index) return std::move(index).error();
    ddl->finish.push_back(DdlStep{std::move(index).value(), name});
  }
  return {};
}

// Points one finish statement at a shard: relation, and the shard-suffixed object name.
void ForShard(const DdlStep& step, const std::string& schema, const std::string& shard, uint64_t shard_id) {
  std::string name = planner::ShardObjectName(step.name, shard_id);
  PgQuery__Node* n = step.stmt.get();
  if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
    SetRelation(n->index_stmt->relation, schema, shard);
    tree::SetString(&n->index_stmt->idxname, name);
    return;
  }
  PgQuery__Constraint* k = n->alter_table_stmt->cmds[0]->alter_table_cmd->def->constraint;
  SetRelation(n->alter_table_stmt->relation, schema, shard);
  tree::SetString(&k->conname, name);
  if (k->indexname && k->indexname[0]) tree::SetString(&k->indexname, name);
}

}  // namespace

Status SetDescribeQueries(DistributeRequest* request) {
  // Unqualified (no schema yet): the default node resolves it with the session's search_path.
  const std::string qualified = request->schema.empty()
                                    ? planner::QuoteIdent(request->table)
                                    : planner::QuoteIdent(request->schema) + "." + planner::QuoteIdent(request->table);
  auto columns = DescribeSql(kDescribeColumns, qualified);
  if (!columns) return std::move(columns).error();
  auto constraints = DescribeSql(kDescribeConstraints, qualified);
  if (!constraints) return std::move(constraints).error();
  auto indexes = DescribeSql(kDescribeIndexes, qualified);
  if (!indexes) return std::move(indexes).error();
  request->describe_sql = std::move(*columns);
  request->constraints_sql = std::move(*constraints);
  request->indexes_sql = std::move(*indexes);
  return {};
}

Expected<DistributionSteps> PlanDistribution(const Catalog& catalog, const DistributeRequest& unresolved,
                                             const TableDescription& described) {
  if (described.columns.empty()) {
    return MakeError(sqlstate::kUndefinedTable, "relation \"" + unresolved.table + "\" does not exist");
  }
  // An unqualified name was resolved by the default node with the session's search_path.
  DistributeRequest request = unresolved;
  if (request.schema.empty()) {
    const Row& first = described.columns[0];
    request.schema = first.size() > 10 && first[10] ? *first[10] : "public";
  }
  std::vector<std::string> columns;
  std::optional<KeyType> key_type;
  int key_attnum = 0;
  ShardDdl ddl;
  int32_t key_length = -1;
  auto create = CreateTable(request, described.columns, &columns, &key_type, &key_attnum, &key_length);
  if (!create) return std::move(create).error();
  ddl.create = std::move(create).value();
  JADE_TRY_STATUS(Constraints(request, described.constraints, key_attnum, &ddl));
  JADE_TRY_STATUS(Indexes(request, described.indexes, key_attnum, &ddl));

  auto cmd = MakeCreateDistributedTable(catalog, request.schema, request.table, request.shard_key, *key_type,
                                        request.shard_count, columns, key_length);
  if (!cmd) return std::move(cmd).error();

  DistributionSteps steps;
  steps.command = *cmd;
  steps.copy_in.schema = request.schema;
  steps.copy_in.table = request.table;
  steps.copy_in.format = CopyFormat::Text();
  steps.copy_in.key_type = *key_type;
  steps.copy_in.key_length = key_length;
  steps.copy_in.shard_count = cmd->shard_count;
  for (size_t i = 0; i < columns.size(); i++) {
    if (columns[i] == request.shard_key) steps.copy_in.key_field = static_cast<int>(i);
  }
  for (uint32_t i = 0; i < cmd->shard_count; i++) {
    uint64_t shard_id = cmd->first_shard_id + i;
    const Node* node = catalog.FindNode(cmd->placements[i]);
    if (!node) return MakeError(sqlstate::kInternalError, "placement on unknown node");
    const std::string shard = request.table + "_" + std::to_string(shard_id);
    std::vector<std::string> setup, finish;

    SetRelation(ddl.create->create_stmt->relation, request.schema, shard);
    auto create_sql = Deparse(ddl.create.get());
    if (!create_sql) return std::move(create_sql).error();
    setup.push_back(std::move(*create_sql));
    // Index and constraint names are per schema: shard-suffixed, as DDL propagation does.
    for (const DdlStep& step : ddl.finish) {
      ForShard(step, request.schema, shard, shard_id);
      auto sql = Deparse(step.stmt.get());
      if (!sql) return std::move(sql).error();
      finish.push_back(std::move(*sql));
    }
    auto copy = OnRelation("COPY jade_relation FROM STDIN", PG_QUERY__NODE__NODE_COPY_STMT, request.schema, shard);
    if (!copy) return std::move(copy).error();
    steps.copy_in.shard_tasks.push_back(Task{planner::ToNodeRef(*node), shard_id, *copy, {}});
    steps.copy_in.shard_setup.push_back(std::move(setup));
    steps.copy_in.shard_finish.push_back(std::move(finish));
  }

  // The source: locked for the move, copied out, then emptied and guarded as the shell.
  steps.source.node = request.source;
  auto lock = OnRelation("LOCK TABLE ONLY jade_relation IN ACCESS EXCLUSIVE MODE", PG_QUERY__NODE__NODE_LOCK_STMT,
                         request.schema, request.table);
  if (!lock) return std::move(lock).error();
  steps.source.before.push_back(std::move(*lock));
  auto out = OnRelation("COPY jade_relation TO STDOUT", PG_QUERY__NODE__NODE_COPY_STMT, request.schema, request.table);
  if (!out) return std::move(out).error();
  steps.source.copy_out = std::move(*out);
  auto truncate =
      OnRelation("TRUNCATE ONLY jade_relation", PG_QUERY__NODE__NODE_TRUNCATE_STMT, request.schema, request.table);
  if (!truncate) return std::move(truncate).error();
  steps.source.after.push_back(std::move(*truncate));
  steps.source.after.push_back(kGuardSchema);
  steps.source.after.push_back(kGuardFunction);
  auto trigger = OnRelation(kGuardTrigger, PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, request.schema, request.table);
  if (!trigger) return std::move(trigger).error();
  steps.source.after.push_back(std::move(*trigger));
  return steps;
}

}  // namespace jade::coord
