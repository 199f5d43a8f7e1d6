// shard_sql.cpp — deparse once, splice shard names at lexer-identified placeholder tokens.
#include "planner/shard_sql.h"

#include <cctype>
#include <cstring>
#include <optional>
#include <string_view>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

constexpr const char* kPlaceholderStem = "jade_shard_placeholder_";

// True when `hay` contains `needle`, ignoring ASCII case (an unquoted identifier is folded).
bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); i++) {
    size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + k])) == needle[k]) k++;
    if (k == needle.size()) return true;
  }
  return false;
}

// Every string field of every message in the tree: identifiers, aliases, literals, names.
void CollectStrings(ProtobufCMessage* root, std::vector<std::string_view>* out) {
  tree::VisitMessages(root, [out](ProtobufCMessage* m) {
    const ProtobufCMessageDescriptor* d = m->descriptor;
    auto* base = reinterpret_cast<char*>(m);
    for (unsigned i = 0; i < d->n_fields; i++) {
      const ProtobufCFieldDescriptor& f = d->fields[i];
      if (f.type != PROTOBUF_C_TYPE_STRING) continue;
      if (f.label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *reinterpret_cast<size_t*>(base + f.quantifier_offset);
        auto** arr = *reinterpret_cast<char***>(base + f.offset);
        for (size_t k = 0; k < n; k++) {
          if (arr[k]) out->emplace_back(arr[k]);
        }
      } else if (const char* str = *reinterpret_cast<char**>(base + f.offset)) {
        out->emplace_back(str);
      }
    }
  });
}

// A placeholder prefix that no string of the statement contains, so no identifier the client
// wrote (or a column name from the catalog) can be mistaken for a placeholder: the deparsed text
// holds the prefix only where a renamed relation is.
std::string UnforgeablePrefix(PgQuery__Node* stmt) {
  std::vector<std::string_view> strings;
  CollectStrings(&stmt->base, &strings);
  for (uint64_t attempt = 0;; attempt++) {
    std::string prefix = kPlaceholderStem;
    if (attempt > 0) prefix += std::to_string(attempt) + "_";
    bool taken = false;
    for (std::string_view s : strings) taken = taken || ContainsNoCase(s, prefix);
    // Each attempt is defeated by at most one distinct string, so this ends within strings.size()+1.
    if (!taken) return prefix;
  }
}

// Parses the decimal placeholder number after the prefix; nullopt when it is not all digits.
std::optional<size_t> PlaceholderNumber(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  size_t n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(ch - '0');
  }
  return n;
}

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
  const std::string prefix = UnforgeablePrefix(stmt);
  size_t renamed = 0;
  tree::VisitMessages(&stmt->base, [&](ProtobufCMessage* m) {
    if (m->descriptor != &pg_query__range_var__descriptor) return;
    auto* rv = reinterpret_cast<PgQuery__RangeVar*>(m);
    const DistributedTable* table = FindDistributed(catalog, rv);
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
    tree::SetString(&rv->relname, prefix + std::to_string(n));
    renamed++;
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
  size_t last = 0;
  for (size_t i = 0; i < tokens->n_tokens; i++) {
    const PgQuery__ScanToken* tok = tokens->tokens[i];
    if (tok->token != PG_QUERY__TOKEN__IDENT) continue;
    std::string_view text(sql->data() + tok->start, static_cast<size_t>(tok->end - tok->start));
    if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) continue;
    std::optional<size_t> n = PlaceholderNumber(text.substr(prefix.size()));
    if (!n || *n >= tables.size()) continue;
    t.pieces_.push_back(sql->substr(last, static_cast<size_t>(tok->start) - last));
    t.slots_.push_back(tables[*n]);
    last = static_cast<size_t>(tok->end);
  }
  pg_query__scan_result__free_unpacked(tokens, nullptr);
  if (t.slots_.size() != renamed) {
    // Every renamed relation is deparsed as exactly one identifier; anything else is a bug here,
    // reported for this statement only.
    return MakeError(sqlstate::kInternalError, "could not build the shard statements",
                     "Expected " + std::to_string(renamed) + " shard relations in the rewritten statement, found " +
                         std::to_string(t.slots_.size()) + ".");
  }
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
