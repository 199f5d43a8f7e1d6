// Shard statement templates (planner/shard_sql): the placeholder relation names cannot be forged
// by identifiers or literals in the client's statement. `SELECT count(*) FROM items
// jade_shard_placeholder_x` used to end the coordinator process (std::stoul threw on "x").
#include <catch2/catch.hpp>

#include "metadata/state_machine.h"
#include "planner/planner.h"

using namespace jade::coord;

namespace {

// 2 nodes; items(id bigint, category text, embedding vector(3)) in 4 shards.
Catalog PlaceholderCatalog() {
  Catalog c;
  for (int port : {5433, 5434}) REQUIRE(ApplyCommand(c, MakeAddNode(c, "127.0.0.1", port).value()).ok());
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 4,
                                                     {"id", "category", "embedding"})
                              .value())
              .ok());
  return c;
}

Plan PlanOk(const Catalog& c, const std::string& sql) {
  auto parsed = ParseSql(sql);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 1);
  auto plan = PlanStatement(c, (*parsed)[0], {}, {});
  INFO(sql << " -> " << (plan.ok() ? std::string("ok") : plan.error().message));
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

// Counts non-overlapping occurrences of `needle` in `hay`.
size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size())) n++;
  return n;
}

}  // namespace

TEST_CASE("placeholder-like identifiers are the client's, never shard names", "[planner][security]") {
  const Catalog c = PlaceholderCatalog();
  const char* statements[] = {
      "SELECT count(*) FROM items jade_shard_placeholder_x",
      "SELECT count(*) FROM items jade_shard_placeholder_0",
      "SELECT count(*) FROM items jade_shard_placeholder_99999999999999999999",
      "SELECT count(*) FROM items \"JADE_SHARD_PLACEHOLDER_0\"",
      "SELECT id AS jade_shard_placeholder_0 FROM items ORDER BY id LIMIT 3",
      "SELECT id FROM items WHERE category = 'jade_shard_placeholder_0'",
      "SELECT id FROM items jade_shard_placeholder_1_0 WHERE category = 'jade_shard_placeholder_0'",
  };
  for (const char* sql : statements) {
    INFO(sql);
    Plan p = PlanOk(c, sql);
    REQUIRE(p.kind == PlanKind::kFanOut);
    REQUIRE(p.tasks.size() == 4);
    const std::string original(sql);
    for (size_t i = 0; i < p.tasks.size(); i++) {
      const std::string& task = p.tasks[i].sql;
      INFO(task);
      // Exactly one shard relation per task, the right one, and every client string kept.
      CHECK(Count(task, "items_" + std::to_string(102008 + i)) == 1);
      CHECK(Count(task, "items_1020") == 1);
      CHECK(Count(task, "jade_shard_placeholder") + Count(task, "JADE_SHARD_PLACEHOLDER") ==
            Count(original, "jade_shard_placeholder") + Count(original, "JADE_SHARD_PLACEHOLDER"));
    }
  }
}

TEST_CASE("a self-join keeps both shard relations and the client's alias", "[planner][security]") {
  const Catalog c = PlaceholderCatalog();
  Plan p = PlanOk(c, "SELECT a.id FROM items a JOIN items jade_shard_placeholder_0 ON "
                     "a.id = jade_shard_placeholder_0.id WHERE a.id = 5");
  REQUIRE(p.kind == PlanKind::kSingleShard);
  const std::string& task = p.tasks[0].sql;
  INFO(task);
  CHECK(Count(task, "items_1020") == 2);
  CHECK(Count(task, "jade_shard_placeholder_0") == 2);  // the alias and its qualifier
}
