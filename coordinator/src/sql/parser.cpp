// parser.cpp — libpg_query calls behind RAII: parse to protobuf, unpack, clone, deparse.
#include "sql/parser.h"

#include <cctype>
#include <string>

namespace jade::coord {
namespace {

// Frees a libpg_query protobuf parse result when leaving scope.
struct ProtobufResultGuard {
  PgQueryProtobufParseResult r;
  ~ProtobufResultGuard() { pg_query_free_protobuf_parse_result(r); }
};

// Converts a libpg_query error into our Error (42601 with the cursor position).
Error ToError(const PgQueryError* err) {
  Error e = MakeError(sqlstate::kSyntaxError, err->message ? err->message : "syntax error");
  e.position = err->cursorpos;
  return e;
}

// Packs a one-statement ParseResult around `stmt` (the node is not modified by packing).
std::string PackOne(const PgQuery__Node* stmt) {
  PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
  raw.stmt = const_cast<PgQuery__Node*>(stmt);
  PgQuery__RawStmt* stmts[1] = {&raw};
  PgQuery__ParseResult result = PG_QUERY__PARSE_RESULT__INIT;
  result.version = PG_VERSION_NUM;
  result.n_stmts = 1;
  result.stmts = stmts;
  std::string buf(pg_query__parse_result__get_packed_size(&result), '\0');
  pg_query__parse_result__pack(&result, reinterpret_cast<uint8_t*>(buf.data()));
  return buf;
}

// Trims ASCII whitespace on both ends of a statement's source text.
std::string_view Trim(std::string_view s, int* skipped) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  size_t e = s.size();
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  *skipped = static_cast<int>(b);
  return s.substr(b, e - b);
}

}  // namespace

ParseTree::~ParseTree() {
  if (result_) pg_query__parse_result__free_unpacked(result_, nullptr);
}

Expected<std::vector<ParsedStatement>> ParseSql(std::string_view sql) {
  // libpg_query wants a NUL-terminated string; a NUL inside the text is rejected like PG does.
  if (sql.find('\0') != std::string_view::npos) {
    return MakeError(sqlstate::kProtocolViolation, "query string contains a zero byte");
  }
  std::string text(sql);
  ProtobufResultGuard g{pg_query_parse_protobuf(text.c_str())};
  if (g.r.error) return ToError(g.r.error);
  PgQuery__ParseResult* unpacked = pg_query__parse_result__unpack(
      nullptr, g.r.parse_tree.len, reinterpret_cast<const uint8_t*>(g.r.parse_tree.data));
  if (!unpacked) return MakeError(sqlstate::kInternalError, "could not unpack the parse tree");
  auto tree = std::make_shared<const ParseTree>(unpacked);

  std::vector<ParsedStatement> out;
  out.reserve(tree->size());
  for (size_t i = 0; i < tree->size(); i++) {
    const PgQuery__RawStmt* raw = tree->stmt(i);
    if (!raw->stmt) continue;  // empty statement between two ';'
    size_t loc = static_cast<size_t>(raw->stmt_location);
    size_t len = raw->stmt_len == 0 ? text.size() - loc : static_cast<size_t>(raw->stmt_len);
    int skipped = 0;
    std::string_view piece = Trim(std::string_view(text).substr(loc, len), &skipped);
    ParsedStatement st;
    st.tree = tree;
    st.raw = raw;
    st.text = std::string(piece);
    st.location = static_cast<int>(loc) + skipped;
    out.push_back(std::move(st));
  }
  return out;
}

Expected<MutableStatement> CloneStatement(const ParsedStatement& stmt) {
  std::string buf = PackOne(stmt.node());
  PgQuery__ParseResult* copy =
      pg_query__parse_result__unpack(nullptr, buf.size(), reinterpret_cast<const uint8_t*>(buf.data()));
  if (!copy) return MakeError(sqlstate::kInternalError, "could not copy the parse tree");
  return MutableStatement(std::make_unique<ParseTree>(copy));
}

Expected<std::string> Deparse(const PgQuery__Node* stmt) {
  std::string buf = PackOne(stmt);
  PgQueryProtobuf pb;
  pb.len = buf.size();
  pb.data = buf.data();
  PgQueryDeparseResult r = pg_query_deparse_protobuf(pb);
  if (r.error) {
    Error e = MakeError(sqlstate::kInternalError, std::string("could not deparse statement: ") +
                                                      (r.error->message ? r.error->message : "unknown error"));
    pg_query_free_deparse_result(r);
    return e;
  }
  std::string out = r.query ? r.query : "";
  pg_query_free_deparse_result(r);
  return out;
}

Expected<uint64_t> Fingerprint(std::string_view sql) {
  std::string text(sql);
  PgQueryFingerprintResult r = pg_query_fingerprint(text.c_str());
  if (r.error) {
    Error e = ToError(r.error);
    pg_query_free_fingerprint_result(r);
    return e;
  }
  uint64_t fp = r.fingerprint;
  pg_query_free_fingerprint_result(r);
  return fp;
}

}  // namespace jade::coord
