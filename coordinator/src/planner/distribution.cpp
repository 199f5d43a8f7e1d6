// distribution.cpp — PlanDistribution(): create_distributed_table on an existing table.
//
// Steps for the executor: (1) create every shard table (atomically), (2) stream
// `COPY <table> TO STDOUT` from the source through a CopySplitter into the shard COPYs,
// (3) append the metadata command, (4) drop the source table. Only column names, types,
// NOT NULL and plain defaults carry over; indexes and constraints are created afterwards
// through the coordinator (they are then propagated to every shard).
#include <set>

#include "planner/planner_internal.h"

namespace jade::coord {
namespace {

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

// Parses and deparses generated SQL: proves it is exactly one statement of the expected kind.
Expected<std::string> Checked(const std::string& sql, PgQuery__Node__NodeCase kind) {
  auto parsed = ParseSql(sql);
  if (!parsed) return std::move(parsed).error();
  if (parsed->size() != 1 || (*parsed)[0].kind() != kind) {
    return MakeError(sqlstate::kInternalError, "generated shard DDL is not a single statement");
  }
  return Deparse((*parsed)[0].node());
}

}  // namespace

Expected<DistributionSteps> PlanDistribution(const Catalog& catalog, const DistributeRequest& request,
                                             const std::vector<Row>& rows) {
  if (rows.empty()) {
    return MakeError(sqlstate::kUndefinedTable, "relation \"" + request.table + "\" does not exist");
  }
  std::vector<std::string> columns;
  std::string defs;
  std::optional<KeyType> key_type;
  for (const Row& r : rows) {
    if (r.size() < 6 || !r[0] || !r[1]) return MakeError(sqlstate::kInternalError, "unexpected describe result");
    const std::string& name = *r[0];
    if (r[4] && !r[4]->empty()) return Unsupported("identity column \"" + name + "\"");
    if (r[5] && !r[5]->empty()) return Unsupported("generated column \"" + name + "\"");
    if (r[3] && UsesSequence(*r[3])) {
      return Unsupported("serial or sequence default on column \"" + name + "\"",
                         "Sequences are local to one node; generate keys in the application.");
    }
    if (name == request.shard_key) {
      auto kt = KeyTypeFromName(*r[1]);
      if (!kt) return std::move(kt).error();
      key_type = *kt;
    }
    columns.push_back(name);
    if (!defs.empty()) defs += ", ";
    defs += planner::QuoteIdent(name) + " " + *r[1];
    if (r[2] && *r[2] == "t") defs += " NOT NULL";
    if (r[3]) defs += " DEFAULT " + *r[3];
  }
  if (!key_type) {
    return MakeError(sqlstate::kUndefinedColumn,
                     "column \"" + request.shard_key + "\" of relation \"" + request.table + "\" does not exist");
  }
  auto cmd = MakeCreateDistributedTable(catalog, request.schema, request.table, request.shard_key, *key_type,
                                        request.shard_count, columns);
  if (!cmd) return std::move(cmd).error();

  DistributionSteps steps;
  steps.command = *cmd;
  const std::string qualified = planner::QuoteIdent(request.schema) + "." + planner::QuoteIdent(request.table);
  steps.copy_in.schema = request.schema;
  steps.copy_in.table = request.table;
  steps.copy_in.format = CopyFormat::Text();
  steps.copy_in.key_type = *key_type;
  steps.copy_in.shard_count = cmd->shard_count;
  for (size_t i = 0; i < columns.size(); i++) {
    if (columns[i] == request.shard_key) steps.copy_in.key_field = static_cast<int>(i);
  }
  for (uint32_t i = 0; i < cmd->shard_count; i++) {
    uint64_t shard_id = cmd->first_shard_id + i;
    const Node* node = catalog.FindNode(cmd->placements[i]);
    if (!node) return MakeError(sqlstate::kInternalError, "placement on unknown node");
    std::string shard = planner::QuoteIdent(request.schema) + "." +
                        planner::QuoteIdent(request.table + "_" + std::to_string(shard_id));
    auto create = Checked("CREATE TABLE " + shard + " (" + defs + ")", PG_QUERY__NODE__NODE_CREATE_STMT);
    if (!create) return std::move(create).error();
    steps.create_shards.push_back(Task{planner::ToNodeRef(*node), shard_id, *create, {}});
    auto copy = Checked("COPY " + shard + " FROM STDIN", PG_QUERY__NODE__NODE_COPY_STMT);
    if (!copy) return std::move(copy).error();
    steps.copy_in.shard_tasks.push_back(Task{planner::ToNodeRef(*node), shard_id, *copy, {}});
  }
  auto out = Checked("COPY " + qualified + " TO STDOUT", PG_QUERY__NODE__NODE_COPY_STMT);
  if (!out) return std::move(out).error();
  steps.copy_out = Task{request.source, 0, *out, {}};
  auto drop = Checked("DROP TABLE " + qualified, PG_QUERY__NODE__NODE_DROP_STMT);
  if (!drop) return std::move(drop).error();
  steps.drop_source = Task{request.source, 0, *drop, {}};
  return steps;
}

}  // namespace jade::coord
