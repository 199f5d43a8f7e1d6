// shard_sql.cpp — deparse once, splice shard names at lexer-identified placeholder tokens.
#include "planner/shard_sql.h"

#include <cstring>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

constexpr const char* kPlaceholderPrefix = "jade_shard_placeholder_";

}  // namespace

std::string ShardRelSql(const std::string& name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char ch : name) plain &= (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  // Shard names end in _<digits>, so a plain one can never be a keyword.
  return plain ? name : QuoteIdent(name);
}

Expected<ShardSqlTemplate> ShardSqlTemplate::Build(PgQuery__Node* stmt, const Catalog& catalog, bool add_alias) {
  ShardSqlTemplate t;
  t.catalog_ = &catalog;
  std::vector<const DistributedTable*> tables;  // placeholder number → table
  tree::VisitMessages(&stmt->base, [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__range_var__descriptor) return;
    auto* rv = reinterpret_cast<PgQuery__RangeVar*>(m);
    const DistributedTable* table = catalog.FindTable(SchemaOf(rv), rv->relname ? rv->relname : "");
    if (!table) return;
    size_t n = 0;
    while (n < tables.size() && tables[n] != table) n++;
    if (n == tables.size()) tables.push_back(table);
    if (add_alias && !rv->alias) {
      PgQuery__Alias init = PG_QUERY__ALIAS__INIT;
      rv->alias = static_cast<PgQuery__Alias*>(std::malloc(sizeof(PgQuery__Alias)));
      std::memcpy(static_cast<void*>(rv->alias), &init, sizeof init);
      rv->alias->aliasname = nullptr;
      tree::SetString(&rv->alias->aliasname, table->name);
    }
    tree::SetString(&rv->relname, kPlaceholderPrefix + std::to_string(n));
  });
  auto sql = Deparse(stmt);
  if (!sql) return std::move(sql).error();

  PgQueryScanResult scan = pg_query_scan(sql->c_str());
  if (scan.error) {
    Error e = MakeError(sqlstate::kInternalError, std::string("could not scan rewritten statement: ") + scan.error->message);
    pg_query_free_scan_result(scan);
    return e;
  }
  PgQuery__ScanResult* tokens = pg_query__scan_result__unpack(
      nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
  pg_query_free_scan_result(scan);
  if (!tokens) return MakeError(sqlstate::kInternalError, "could not unpack scan result");
  size_t prefix_len = std::strlen(kPlaceholderPrefix);
  size_t last = 0;
  for (size_t i = 0; i < tokens->n_tokens; i++) {
    const PgQuery__ScanToken* tok = tokens->tokens[i];
    if (tok->token != PG_QUERY__TOKEN__IDENT) continue;
    std::string_view text(sql->data() + tok->start, static_cast<size_t>(tok->end - tok->start));
    if (text.size() <= prefix_len || text.substr(0, prefix_len) != kPlaceholderPrefix) continue;
    size_t n = std::stoul(std::string(text.substr(prefix_len)));
    if (n >= tables.size()) continue;
    t.pieces_.push_back(sql->substr(last, static_cast<size_t>(tok->start) - last));
    t.slots_.push_back(tables[n]);
    last = static_cast<size_t>(tok->end);
  }
  pg_query__scan_result__free_unpacked(tokens, nullptr);
  t.pieces_.push_back(sql->substr(last));
  return t;
}

std::string ShardSqlTemplate::ForShard(uint32_t index) const {
  std::string out = pieces_[0];
  for (size_t i = 0; i < slots_.size(); i++) {
    const Shard* s = catalog_->ShardAt(*slots_[i], index);
    out += ShardRelSql(s ? s->RelName() : slots_[i]->name);
    out += pieces_[i + 1];
  }
  return out;
}

}  // namespace jade::coord::planner
