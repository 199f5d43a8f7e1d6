// libpg_query wrapper: statement splitting, errors with positions, clone + deparse round trips.
#include <catch2/catch.hpp>

#include "sql/parser.h"

using namespace jade::coord;

TEST_CASE("multi-statement strings split into statements with their own text", "[parser]") {
  auto r = ParseSql("BEGIN; INSERT INTO t VALUES (1, 'a;b');\n  SELECT $$x;y$$ /* ; */ ;COMMIT");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].text == "BEGIN");
  CHECK((*r)[0].kind() == PG_QUERY__NODE__NODE_TRANSACTION_STMT);
  CHECK((*r)[1].text == "INSERT INTO t VALUES (1, 'a;b')");
  CHECK((*r)[1].kind() == PG_QUERY__NODE__NODE_INSERT_STMT);
  CHECK((*r)[2].text == "SELECT $$x;y$$ /* ; */");
  CHECK((*r)[3].text == "COMMIT");
}

TEST_CASE("empty and comment-only strings have no statements", "[parser]") {
  CHECK(ParseSql("").value().empty());
  CHECK(ParseSql("  -- nothing\n ; ;").value().empty());
}

TEST_CASE("syntax errors become 42601 with PostgreSQL's message and position", "[parser]") {
  auto r = ParseSql("SELECT * FROM WHERE x = 1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().sqlstate == "42601");
  CHECK(r.error().message == "syntax error at or near \"WHERE\"");
  CHECK(r.error().position == 15);
  // One bad statement rejects the whole string, as PostgreSQL does.
  CHECK_FALSE(ParseSql("SELECT 1; SELEC 2").ok());
  CHECK(ParseSql(std::string("SELECT 1\0", 9)).error().sqlstate == "08P01");
}

TEST_CASE("deparse round trip keeps the fingerprint", "[parser]") {
  const char* queries[] = {
      "SELECT id, embedding <-> '[1,2,3]' AS d FROM items WHERE category = 'x' ORDER BY d LIMIT 10",
      "INSERT INTO items (id, v) VALUES (1, '[1,2]'), (2, '[3,4]')",
      "CREATE INDEX ON items USING faiss (embedding) WITH (factory = 'IVF16,Flat')",
      "UPDATE items SET v = $1 WHERE id = $2",
      "SELECT category, count(*), avg(price) FROM items GROUP BY category ORDER BY 2 DESC",
  };
  for (const char* q : queries) {
    INFO(q);
    auto parsed = ParseSql(q);
    REQUIRE(parsed.ok());
    auto sql = Deparse((*parsed)[0].node());
    REQUIRE(sql.ok());
    CHECK(Fingerprint(*sql).value() == Fingerprint(q).value());
  }
}

TEST_CASE("clones are independent of the shared tree", "[parser]") {
  auto parsed = ParseSql("SELECT * FROM items WHERE id = 7");
  REQUIRE(parsed.ok());
  auto clone = CloneStatement((*parsed)[0]);
  REQUIRE(clone.ok());
  PgQuery__SelectStmt* sel = clone->node()->select_stmt;
  REQUIRE(sel->n_from_clause == 1);
  // Rename in the clone (memory of the unpacked tree is owned by protobuf-c's allocator).
  char* old_name = sel->from_clause[0]->range_var->relname;
  static char new_name[] = "items_102008";
  sel->from_clause[0]->range_var->relname = new_name;
  CHECK(Deparse(clone->node()).value() == "SELECT * FROM items_102008 WHERE id = 7");
  sel->from_clause[0]->range_var->relname = old_name;  // give the original back before freeing
  CHECK(Deparse((*parsed)[0].node()).value() == "SELECT * FROM items WHERE id = 7");
}
