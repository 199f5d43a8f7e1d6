// parser.h — RAII access to libpg_query: parse SQL into protobuf parse trees and deparse them back.
//
// The coordinator understands SQL only through PostgreSQL's own grammar (libpg_query 15-4.0.0).
// ParseSql() parses a whole simple-query string once (so a syntax error anywhere rejects the whole
// string, as PostgreSQL does) and returns one ParsedStatement per statement. The trees are
// libpg_query's protobuf-c structs (`<pg_query/pg_query.pb-c.h>`), owned by a shared ParseTree.
//
// Rewriting never edits a shared tree: CloneStatement() makes a private, mutable copy of one
// statement, the planner edits RangeVar names / LIMIT nodes in it, and Deparse() turns it back
// into SQL. User values are never concatenated into SQL text; the deparser quotes them.
//
// Rules (DEPENDENCIES.md §3): never call pg_query_exit(); never load libpg_query into a backend.
#pragma once

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace jade::coord {

/** Owner of one unpacked libpg_query parse result (PgQuery__ParseResult). Move-only. */
class ParseTree {
 public:
  explicit ParseTree(PgQuery__ParseResult* result) : result_(result) {}
  ~ParseTree();
  ParseTree(const ParseTree&) = delete;
  ParseTree& operator=(const ParseTree&) = delete;

  PgQuery__ParseResult* get() const { return result_; }
  size_t size() const { return result_ ? result_->n_stmts : 0; }
  PgQuery__RawStmt* stmt(size_t i) const { return result_->stmts[i]; }

 private:
  PgQuery__ParseResult* result_;
};

/** One statement of a query string: its tree (shared, read-only) and its own source text. */
struct ParsedStatement {
  std::shared_ptr<const ParseTree> tree;  ///< keeps `raw` alive
  const PgQuery__RawStmt* raw = nullptr;  ///< the statement; raw->stmt is the Node
  std::string text;                       ///< this statement's source text, without the trailing ';'
  int location = 0;                       ///< byte offset of `text` in the original string

  /** The statement node (never null for a successfully parsed statement). */
  const PgQuery__Node* node() const { return raw->stmt; }
  /** Which statement this is, e.g. PG_QUERY__NODE__NODE_SELECT_STMT. */
  PgQuery__Node__NodeCase kind() const { return raw->stmt->node_case; }
};

/** A private, mutable copy of one statement, for rewriting. Move-only. */
class MutableStatement {
 public:
  explicit MutableStatement(std::unique_ptr<ParseTree> tree) : tree_(std::move(tree)) {}
  PgQuery__Node* node() const { return tree_->stmt(0)->stmt; }
  PgQuery__ParseResult* result() const { return tree_->get(); }

 private:
  std::unique_ptr<ParseTree> tree_;
};

/**
 * Parses `sql` (one or more ';'-separated statements). An empty or comment-only string yields
 * zero statements (the wire layer answers EmptyQueryResponse). A syntax error yields
 * Error{42601, message, position} with PostgreSQL's message and 1-based cursor position.
 */
Expected<std::vector<ParsedStatement>> ParseSql(std::string_view sql);

/** Copies one statement into a tree the caller may edit (pack + unpack of that statement). */
Expected<MutableStatement> CloneStatement(const ParsedStatement& stmt);

/** Deparses one statement node back into SQL text (no trailing ';'). */
Expected<std::string> Deparse(const PgQuery__Node* stmt);

/** libpg_query's fingerprint of `sql` (ignores constants); the key for a future plan cache. */
Expected<uint64_t> Fingerprint(std::string_view sql);

}  // namespace jade::coord
