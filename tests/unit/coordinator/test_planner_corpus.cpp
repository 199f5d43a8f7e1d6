// Robustness: a corpus of varied statements must each plan to a value or a clean Error (never a
// crash), and every SQL text the planner emits must parse again as exactly one statement.
#include <catch2/catch.hpp>

#include "metadata/state_machine.h"
#include "planner/planner.h"

using namespace jade::coord;

namespace {

Catalog CorpusCatalog() {
  Catalog c;
  for (int port : {5433, 5434}) REQUIRE(ApplyCommand(c, MakeAddNode(c, "127.0.0.1", port).value()).ok());
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 3,
                                                     {"id", "category", "embedding", "price"})
                              .value())
              .ok());
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "app", "Docs", "key", KeyType::kText, 2, {"key", "body"}).value())
              .ok());
  return c;
}

void CheckSql(const std::string& sql) {
  INFO("emitted: " << sql);
  auto p = ParseSql(sql);
  REQUIRE(p.ok());
  CHECK(p->size() == 1);
}

}  // namespace

TEST_CASE("every statement of the corpus plans cleanly and emits parseable SQL", "[planner][corpus]") {
  const Catalog c = CorpusCatalog();
  const char* corpus[] = {
      "SELECT * FROM items",
      "SELECT * FROM ONLY items WHERE id = 1",
      "SELECT i.* FROM items AS i WHERE i.id = 2 FOR UPDATE",
      "SELECT * FROM app.\"Docs\" WHERE key = 'k1'",
      "SELECT body FROM app.\"Docs\" ORDER BY key DESC LIMIT 3",
      "SELECT count(*) FROM app.\"Docs\"",
      "INSERT INTO app.\"Docs\" VALUES ('a', 'x'), ('b', 'y'), ('c', 'z'), ('d', 'w')",
      "DELETE FROM app.\"Docs\" WHERE body = 'x' RETURNING key",
      "CREATE INDEX \"MyIdx\" ON app.\"Docs\" (body)",
      "ALTER TABLE app.\"Docs\" ADD COLUMN \"Extra\" int",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "WITH x AS (SELECT * FROM items) SELECT * FROM x",
      "SELECT * FROM items, LATERAL (SELECT 1) l WHERE id = 4",
      "SELECT * FROM generate_series(1, 3)",
      "VALUES (1), (2)",
      "SELECT id FROM items WHERE id = ANY('{1,2}'::bigint[])",
      "SELECT id FROM items WHERE id BETWEEN 1 AND 10 ORDER BY id",
      "SELECT id FROM items WHERE category LIKE 'a%' ORDER BY category COLLATE \"C\", id LIMIT 2",
      "SELECT id, embedding <#> '[1,2,3]' AS d FROM items ORDER BY d LIMIT 4",
      "SELECT id FROM items ORDER BY embedding <=> '[1,2,3]' DESC NULLS LAST LIMIT 4",
      "SELECT max(price), min(category) FROM items WHERE price IS NOT NULL",
      "SELECT category, count(*) FILTER (WHERE price > 2) FROM items GROUP BY category",
      "SELECT count(*) OVER () FROM items",
      "SELECT category FROM items GROUP BY ROLLUP (category)",
      "SELECT array_agg(id) FROM items",
      "SELECT id FROM items EXCEPT SELECT id FROM items",
      "SELECT id FROM items ORDER BY id FETCH FIRST 2 ROWS WITH TIES",
      "SELECT id FROM items ORDER BY id USING <",
      "SELECT id FROM items LIMIT ALL OFFSET 2",
      "SELECT id FROM items OFFSET 3",
      "INSERT INTO items DEFAULT VALUES",
      "INSERT INTO items (id, price) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET price = EXCLUDED.price",
      "INSERT INTO items (id) VALUES (1), (2), (3) RETURNING *",
      "INSERT INTO items (id) VALUES (DEFAULT)",
      "UPDATE items SET price = price * 2 WHERE id IN (1, 2) RETURNING id",
      "UPDATE items SET price = 1 FROM app.\"Docs\" d WHERE d.key = items.category",
      "DELETE FROM items USING items i2 WHERE items.id = i2.id",
      "DELETE FROM items WHERE id = 9 OR id = 10",
      "TRUNCATE items, app.\"Docs\"",
      "DROP TABLE IF EXISTS items CASCADE",
      "DROP TABLE plain1, plain2",
      "DROP INDEX IF EXISTS some_idx",
      "DROP VIEW v",
      "ALTER TABLE items RENAME COLUMN category TO cat",
      "ALTER TABLE items RENAME TO things",
      "ALTER TABLE items DROP COLUMN id",
      "ALTER TABLE items ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES other (id)",
      "ALTER TABLE items ADD CONSTRAINT uq UNIQUE (id, category)",
      "CREATE INDEX CONCURRENTLY ON items (price)",
      "CREATE UNIQUE INDEX ON items (id, price)",
      "CREATE TABLE t2 AS SELECT * FROM items",
      "CREATE VIEW v AS SELECT * FROM items",
      "CREATE TABLE plain (a int PRIMARY KEY, b text)",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
      "PREPARE q AS SELECT * FROM items WHERE id = $1",
      "EXECUTE q(1)",
      "LISTEN chan",
      "ANALYZE",
      "VACUUM (VERBOSE) items",
      "CLUSTER items",
      "COPY items (id, category) FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL 'nil')",
      "COPY items FROM STDIN (FORMAT binary)",
      "COPY items FROM '/tmp/x.csv' CSV",
      "COPY (SELECT * FROM items) TO STDOUT",
      "COPY (SELECT 1) TO STDOUT",
      "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM items WHERE id = 1",
      "EXPLAIN (FORMAT JSON) SELECT * FROM items",
      "EXPLAIN UPDATE items SET price = 0",
      "EXPLAIN INSERT INTO items (id) VALUES (1), (2), (3), (4)",
      "SHOW ALL",
      "SET search_path TO app, public",
      "SET TIME ZONE 'UTC'",
      "RESET search_path",
      "BEGIN ISOLATION LEVEL SERIALIZABLE",
      "COMMIT AND CHAIN",
      "COMMIT PREPARED 'x'",
      "SELECT jade_add_node('::1', 5432)",
      "SELECT jade_add_node('h', 'notaport')",
      "SELECT jade_add_node('h')",
      "SELECT create_distributed_table('a.b.c', 'id')",
      "SELECT create_distributed_table('\"unterminated', 'id')",
      "SELECT create_distributed_table('t', 'id', shard_count => 'x')",
      "SELECT create_distributed_table('t', 'id', colocate_with => 'none')",
      "SELECT * FROM jade_shards ORDER BY shard_id LIMIT 2",
      "SELECT host FROM jade_nodes WHERE port = $1",
      "SELECT * FROM jade_tables WHERE shard_count > 1",
      "SELECT id FROM items WHERE id = $1",
      "SELECT id FROM items LIMIT $1",
  };
  Params one = {{std::string("1"), 0, false}};
  for (const char* sql : corpus) {
    INFO("statement: " << sql);
    auto parsed = ParseSql(sql);
    REQUIRE(parsed.ok());
    auto plan = PlanStatement(c, (*parsed)[0], one, SessionInfo{});
    if (!plan.ok()) {
      // Errors are clean: a five-character SQLSTATE and a message.
      CHECK(plan.error().sqlstate.size() == 5);
      CHECK_FALSE(plan.error().message.empty());
      continue;
    }
    for (const auto& t : plan->tasks) CheckSql(t.sql);
    for (const auto& t : plan->copy.shard_tasks) CheckSql(t.sql);
    if (!plan->distribute.describe_sql.empty()) {
      CheckSql(plan->distribute.describe_sql);
      CheckSql(plan->distribute.constraints_sql);
      CheckSql(plan->distribute.indexes_sql);
    }
    if (plan->kind == PlanKind::kTransaction) CheckSql(plan->txn.sql);
    if (plan->kind == PlanKind::kSessionSet) CheckSql(plan->setting.sql);
  }
}
