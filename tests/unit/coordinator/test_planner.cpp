// Planner: routing decisions (golden-style SQL → route tables), rewrites, merge specs,
// DDL propagation, COPY, session/transaction classification, unsupported constructs → 0A000.
#include <catch2/catch.hpp>

#include "metadata/state_machine.h"
#include "planner/explain.h"
#include "planner/planner.h"

using namespace jade::coord;

namespace {

// 3 nodes; items(id bigint, category text, embedding vector(3), price int) in 4 shards;
// users(name text, age int) in 3 shards.
Catalog TestCatalog() {
  Catalog c;
  for (int port : {5433, 5434, 5435}) REQUIRE(ApplyCommand(c, MakeAddNode(c, "127.0.0.1", port).value()).ok());
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 4,
                                                     {"id", "category", "embedding", "price"})
                              .value())
              .ok());
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "users", "name", KeyType::kText, 3, {"name", "age"})
                              .value())
              .ok());
  return c;
}

Expected<Plan> PlanSql(const Catalog& c, const std::string& sql, const Params& params = {},
                       SessionInfo session = {}) {
  auto parsed = ParseSql(sql);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 1);
  return PlanStatement(c, (*parsed)[0], params, session);
}

uint64_t ItemsShard(int64_t id) { return 102008 + ShardIndexForKey(KeyType::kInt8, std::to_string(id), 4).value(); }

}  // namespace

TEST_CASE("routing decisions", "[planner]") {
  const Catalog c = TestCatalog();
  struct Case {
    const char* sql;
    PlanKind kind;
    size_t tasks;
  } cases[] = {
      {"SELECT 1", PlanKind::kPassthrough, 1},
      {"SELECT * FROM pgbench_accounts WHERE aid = 3", PlanKind::kPassthrough, 1},
      {"SELECT * FROM items WHERE id = 5", PlanKind::kSingleShard, 1},
      {"SELECT * FROM items WHERE 5 = id AND price > 3", PlanKind::kSingleShard, 1},
      {"SELECT * FROM items i WHERE i.id = 5::bigint", PlanKind::kSingleShard, 1},
      {"SELECT * FROM items WHERE id = 5 OR id = 6", PlanKind::kFanOut, 2},
      {"SELECT * FROM items WHERE id IN (1, 2, 3, 4, 5, 6, 7, 8, 9)", PlanKind::kFanOut, 4},
      {"SELECT * FROM items WHERE price = 5", PlanKind::kFanOut, 4},
      {"SELECT * FROM items WHERE id = NULL", PlanKind::kSingleShard, 1},
      {"SELECT * FROM users WHERE name = 'alice'", PlanKind::kSingleShard, 1},
      {"INSERT INTO items VALUES (1, 'a', '[1,2,3]', 3)", PlanKind::kSingleShard, 1},
      {"UPDATE items SET price = 1 WHERE id = 7", PlanKind::kSingleShard, 1},
      {"UPDATE items SET price = 1", PlanKind::kModify, 4},
      {"DELETE FROM items WHERE category = 'x'", PlanKind::kModify, 4},
      {"DELETE FROM items WHERE id = 7", PlanKind::kSingleShard, 1},
      {"CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)", PlanKind::kBroadcast, 5},  // 4 shards + shell
      {"CREATE EXTENSION IF NOT EXISTS jadevector", PlanKind::kBroadcast, 3},
      {"CREATE TABLE plain (a int)", PlanKind::kPassthrough, 1},
      {"ALTER TABLE items ADD COLUMN note text", PlanKind::kBroadcast, 5},
      {"TRUNCATE items", PlanKind::kBroadcast, 4},
      {"VACUUM ANALYZE items", PlanKind::kBroadcast, 4},
      {"VACUUM pgbench_accounts", PlanKind::kPassthrough, 1},
      {"SHOW hnsw.ef_search", PlanKind::kPassthrough, 1},
      {"BEGIN", PlanKind::kTransaction, 0},
      {"SET hnsw.ef_search = 100", PlanKind::kSessionSet, 0},
      {"SELECT * FROM jade_nodes", PlanKind::kLocal, 0},
      {"COPY items FROM STDIN", PlanKind::kCopyIn, 0},
      {"COPY pgbench_accounts FROM STDIN WITH (FREEZE ON)", PlanKind::kPassthrough, 1},
      {"EXPLAIN SELECT * FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 5", PlanKind::kExplain, 4},
      {"EXPLAIN SELECT 1", PlanKind::kPassthrough, 1},
  };
  for (const auto& tc : cases) {
    INFO(tc.sql);
    auto p = PlanSql(c, tc.sql);
    REQUIRE(p.ok());
    CHECK(PlanKindName(p->kind) == std::string(PlanKindName(tc.kind)));
    CHECK(p->tasks.size() == tc.tasks);
  }
}

TEST_CASE("single-shard statements are rewritten to the shard table with an alias", "[planner]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c, "SELECT items.category FROM items WHERE items.id = 42");
  REQUIRE(p.ok());
  const Shard* s = c.FindShard(ItemsShard(42));
  CHECK(p->tasks[0].shard_id == s->id);
  CHECK(p->tasks[0].node.id == s->node_id);
  CHECK(p->tasks[0].sql ==
        "SELECT items.category FROM items_" + std::to_string(s->id) + " items WHERE items.id = 42");
}

TEST_CASE("parameters route and are renumbered per task", "[planner]") {
  const Catalog c = TestCatalog();
  Params params = {{std::string("5"), 0, false}, {std::string("x"), 0, false}};
  auto p = PlanSql(c, "SELECT * FROM items WHERE id = $1 AND category = $2", params);
  REQUIRE(p.ok());
  CHECK(p->kind == PlanKind::kSingleShard);
  CHECK(p->tasks[0].shard_id == ItemsShard(5));
  CHECK(p->tasks[0].params == std::vector<int>{0, 1});
  // Binary int8 parameter: 8 bytes big-endian.
  Params bin = {{std::string("\0\0\0\0\0\0\0\x05", 8), 20, true}};
  auto b = PlanSql(c, "SELECT * FROM items WHERE id = $1", bin);
  REQUIRE(b.ok());
  CHECK(b->tasks[0].shard_id == ItemsShard(5));
  // Multi-row INSERT with parameters: each shard's statement gets only its own, renumbered.
  Params ins;
  for (int i = 1; i <= 8; i++) ins.push_back({std::to_string(i), 0, false});
  auto m = PlanSql(c, "INSERT INTO items (id, price) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)", ins);
  REQUIRE(m.ok());
  size_t total = 0;
  for (const auto& t : m->tasks) {
    total += t.params.size();
    for (size_t k = 0; k < t.params.size(); k += 2) {
      int id = std::stoi(*ins[static_cast<size_t>(t.params[k])].value);
      CHECK(t.shard_id == ItemsShard(id));
      CHECK(t.params[k + 1] == t.params[k] + 1);
    }
    CHECK(t.sql.find("$1") != std::string::npos);
  }
  CHECK(total == 8);
}

TEST_CASE("multi-row INSERT is split into one INSERT per shard", "[planner]") {
  const Catalog c = TestCatalog();
  std::string sql = "INSERT INTO items (id, category) VALUES ";
  for (int i = 1; i <= 20; i++) sql += (i > 1 ? ", (" : "(") + std::to_string(i) + ", 'c" + std::to_string(i) + "')";
  auto p = PlanSql(c, sql);
  REQUIRE(p.ok());
  CHECK(p->kind == PlanKind::kModify);
  CHECK(p->command_tag == "INSERT 0");
  CHECK_FALSE(p->read_only);
  CHECK(p->tasks.size() == 4);
  int rows = 0;
  for (const auto& t : p->tasks) {
    auto parsed = ParseSql(t.sql);
    REQUIRE(parsed.ok());
    const auto* sel = (*parsed)[0].node()->insert_stmt->select_stmt->select_stmt;
    for (size_t r = 0; r < sel->n_values_lists; r++) {
      int id = sel->values_lists[r]->list->items[0]->a_const->ival->ival;
      CHECK(t.shard_id == ItemsShard(id));
      rows++;
    }
  }
  CHECK(rows == 20);
}

TEST_CASE("top-k fan-out pushes ORDER BY + LIMIT down with a hidden distance column", "[planner][topk]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c, "SELECT id, category FROM items WHERE price > 10 ORDER BY embedding <-> '[1,2,3]' LIMIT 5 OFFSET 2");
  REQUIRE(p.ok());
  REQUIRE(p->kind == PlanKind::kFanOut);
  REQUIRE(p->tasks.size() == 4);
  CHECK(p->tasks[0].sql == "SELECT id, category, embedding <-> '[1,2,3]' AS jade_sort_0 FROM items_102008 items WHERE "
                           "price > 10 ORDER BY embedding <-> '[1,2,3]' LIMIT 7");
  const MergeSpec& m = p->merge;
  CHECK(m.mode == MergeMode::kSorted);
  CHECK(m.shard_columns == 3);
  CHECK(m.visible_outputs == 2);
  REQUIRE(m.sort.size() == 1);
  CHECK(m.sort[0].column == 2);
  CHECK_FALSE(m.sort[0].descending);
  CHECK(m.limit == 5u);
  CHECK(m.offset == 2u);
}

TEST_CASE("ORDER BY output columns, ordinals and SELECT *", "[planner]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c, "SELECT * FROM items ORDER BY price DESC, 1 LIMIT 3");
  REQUIRE(p.ok());
  CHECK(p->merge.shard_columns == 4);  // * expanded from the catalog, no hidden column needed
  REQUIRE(p->merge.sort.size() == 2);
  CHECK(p->merge.sort[0].column == 3);
  CHECK(p->merge.sort[0].descending);
  CHECK(p->merge.sort[0].nulls_first);
  CHECK(p->merge.sort[1].column == 0);
  auto q = PlanSql(c, "SELECT category AS c FROM items ORDER BY c NULLS FIRST");
  REQUIRE(q.ok());
  CHECK(q->merge.sort[0].column == 0);
  CHECK(q->merge.sort[0].nulls_first);
  CHECK_FALSE(q->merge.limit.has_value());
  auto lim = PlanSql(c, "SELECT id FROM items LIMIT $1", {{std::string("4"), 0, false}});
  REQUIRE(lim.ok());
  CHECK(lim->merge.mode == MergeMode::kConcat);
  CHECK(lim->merge.limit == 4u);
  CHECK(lim->tasks[0].params.empty());  // LIMIT $1 became a constant in the shard query
  CHECK(lim->tasks[0].sql.find("LIMIT 4") != std::string::npos);
  CHECK(PlanSql(c, "SELECT id FROM items LIMIT -1").error().sqlstate == "2201W");
}

TEST_CASE("aggregates are rewritten into partials and merged", "[planner][agg]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c,
                   "SELECT category, count(*), avg(price) AS ap, max(price) FROM items GROUP BY category "
                   "ORDER BY count(*) DESC, sum(price) LIMIT 3");
  REQUIRE(p.ok());
  REQUIRE(p->kind == PlanKind::kFanOut);
  CHECK(p->tasks[1].sql ==
        "SELECT category AS category, count(*) AS count, sum(price) AS ap, max(price) AS max, "
        "count(price) AS jade_cnt_2, sum(price) AS jade_agg_1 FROM items_102009 items GROUP BY category");
  const MergeSpec& m = p->merge;
  CHECK(m.mode == MergeMode::kAggregate);
  CHECK(m.group_columns == std::vector<int>{0});
  CHECK(m.visible_outputs == 4);
  REQUIRE(m.outputs.size() == 5);
  CHECK(m.outputs[1].kind == OutputKind::kCount);
  CHECK(m.outputs[2].kind == OutputKind::kAvg);
  CHECK(m.outputs[2].source == 2);
  CHECK(m.outputs[2].source2 == 4);
  CHECK(m.outputs[2].name == "ap");
  CHECK(m.outputs[4].kind == OutputKind::kSum);
  CHECK(m.outputs[4].source == 5);
  REQUIRE(m.sort.size() == 2);
  CHECK(m.sort[0].column == 1);
  CHECK(m.sort[1].column == 4);
  CHECK(m.limit == 3u);
  // Global aggregate without GROUP BY; GROUP BY a key that is not selected becomes hidden.
  auto g = PlanSql(c, "SELECT count(*) FROM items GROUP BY price");
  REQUIRE(g.ok());
  CHECK(g->merge.group_columns == std::vector<int>{1});
  CHECK(g->tasks[0].sql.find("price AS jade_group_0") != std::string::npos);
  auto d = PlanSql(c, "SELECT DISTINCT category FROM items ORDER BY category");
  REQUIRE(d.ok());
  CHECK(d->merge.mode == MergeMode::kAggregate);
  CHECK(d->merge.group_columns == std::vector<int>{0});
}

TEST_CASE("unsupported constructs fail with 0A000 naming the construct", "[planner]") {
  const Catalog c = TestCatalog();
  const char* cases[][2] = {
      {"SELECT category, count(*) FROM items GROUP BY category HAVING count(*) > 1", "HAVING"},
      {"SELECT count(DISTINCT category) FROM items", "count(DISTINCT"},
      {"SELECT string_agg(category, ',') FROM items", "string_agg"},
      {"SELECT id, row_number() OVER () FROM items", "window function"},
      {"SELECT * FROM items i JOIN users u ON u.name = i.category", "joins"},
      {"SELECT * FROM items WHERE price IN (SELECT age FROM users)", "joins"},
      {"SELECT id FROM items UNION SELECT age FROM users", "UNION"},
      {"SELECT sum(price) + 1 FROM items", "expressions over aggregates"},
      {"UPDATE items SET id = 3 WHERE id = 2", "shard key"},
      {"INSERT INTO items (id) SELECT age FROM users", "INSERT ... SELECT"},
      {"INSERT INTO items (id) VALUES (random()::int)", "not a constant"},
      {"INSERT INTO items (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 2", "ON CONFLICT"},
      {"CREATE UNIQUE INDEX ON items (category)", "unique index"},
      {"ALTER TABLE items ADD PRIMARY KEY (category)", "PRIMARY KEY"},
      {"COPY items TO STDOUT", "COPY ... TO"},
      {"SELECT DISTINCT ON (category) * FROM items", "DISTINCT ON"},
      {"PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION"},
      {"SELECT id FROM items ORDER BY id LIMIT 1 + 1", "LIMIT"},
  };
  for (const auto& tc : cases) {
    INFO(tc[0]);
    auto p = PlanSql(c, tc[0]);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().sqlstate == "0A000");
    CHECK(p.error().message.find(tc[1]) != std::string::npos);
  }
  // NULL and values PostgreSQL refuses go to shard index 0, whose server gives PostgreSQL's error.
  for (const char* sql : {"INSERT INTO items (id) VALUES (NULL)", "INSERT INTO items (id) VALUES ('abc')"}) {
    auto n = PlanSql(c, sql);
    REQUIRE(n.ok());
    CHECK(n->kind == PlanKind::kSingleShard);
    CHECK(n->tasks[0].shard_id == c.ShardAt(*c.FindTable("public", "items"), 0)->id);
  }
  CHECK(PlanSql(c, "INSERT INTO items (category) VALUES ('x')").error().sqlstate == "22004");
}

TEST_CASE("colocated joins pinned to one shard run as one statement", "[planner]") {
  Catalog c = TestCatalog();
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "orders", "item_id", KeyType::kInt8, 4,
                                                     {"item_id", "qty"})
                              .value())
              .ok());
  auto p = PlanSql(c, "SELECT * FROM items i JOIN orders o ON o.item_id = i.id WHERE i.id = 3 AND o.item_id = 3");
  REQUIRE(p.ok());
  CHECK(p->kind == PlanKind::kSingleShard);
  CHECK(p->tasks[0].sql.find("orders_") != std::string::npos);
  CHECK(p->tasks[0].sql.find("items_" + std::to_string(ItemsShard(3))) != std::string::npos);
}

TEST_CASE("DDL propagation renames relations, indexes and constraints per shard", "[planner][ddl]") {
  const Catalog c = TestCatalog();
  auto ix = PlanSql(c, "CREATE INDEX items_emb ON items USING faiss (embedding) WITH (factory = 'IVF4,Flat')");
  REQUIRE(ix.ok());
  // The shell on the default node first (names unchanged), then every shard.
  CHECK(ix->tasks[0].sql == "CREATE INDEX items_emb ON items USING faiss (embedding) WITH (factory='IVF4,Flat')");
  CHECK(ix->tasks[0].shard_id == 0);
  CHECK(ix->tasks[0].node.id == c.DefaultNode()->id);
  CHECK(ix->tasks[1].sql ==
        "CREATE INDEX items_emb_102008 ON items_102008 USING faiss (embedding) WITH (factory='IVF4,Flat')");
  CHECK(ix->command_tag == "CREATE INDEX");
  auto drop = PlanSql(c, "DROP TABLE items");
  REQUIRE(drop.ok());
  CHECK(drop->kind == PlanKind::kBroadcast);
  CHECK(drop->tasks[0].sql == "DROP TABLE IF EXISTS items");
  CHECK(drop->tasks[4].sql == "DROP TABLE items_102011");
  REQUIRE(drop->commands.size() == 1);
  CHECK(std::holds_alternative<DropDistributedTableCmd>(drop->commands[0]));
  // Several tables at once (pgbench -i drops its four): the statement on the default node (plain
  // tables and shells), then each distributed table's shards.
  auto many = PlanSql(c, "DROP TABLE IF EXISTS items, plain_t, users CASCADE");
  REQUIRE(many.ok());
  REQUIRE(many->tasks.size() == 1 + 4 + 3);
  CHECK(many->tasks[0].sql == "DROP TABLE IF EXISTS items, plain_t, users CASCADE");
  CHECK(many->tasks[0].node.id == c.DefaultNode()->id);
  CHECK(many->tasks[1].sql == "DROP TABLE IF EXISTS items_102008 CASCADE");
  CHECK(many->tasks[5].sql == "DROP TABLE IF EXISTS users_102012 CASCADE");
  CHECK(many->commands.size() == 2);
  auto add = PlanSql(c, "ALTER TABLE items ADD COLUMN note text");
  REQUIRE(add.ok());
  REQUIRE(add->commands.size() == 1);
  CHECK(std::get<SetTableColumnsCmd>(add->commands[0]).columns.back() == "note");
  auto pk = PlanSql(c, "ALTER TABLE items ADD CONSTRAINT items_pk PRIMARY KEY (id)");
  REQUIRE(pk.ok());
  CHECK(pk->tasks[0].sql == "ALTER TABLE items ADD CONSTRAINT items_pk PRIMARY KEY (id)");
  CHECK(pk->tasks[2].sql == "ALTER TABLE items_102009 ADD CONSTRAINT items_pk_102009 PRIMARY KEY (id)");
  auto truncate = PlanSql(c, "TRUNCATE items");
  REQUIRE(truncate.ok());
  CHECK(truncate->tasks.size() == 4);  // the shell is empty and guarded: shards only
  auto di = PlanSql(c, "DROP INDEX items_emb");
  REQUIRE(di.ok());
  CHECK(di->tasks.size() == 1 + c.shards().size());
  CHECK(di->tasks[0].sql == "DROP INDEX IF EXISTS items_emb");
  auto vac = PlanSql(c, "VACUUM items");
  REQUIRE(vac.ok());
  CHECK_FALSE(vac->atomic);
}

TEST_CASE("COPY into a distributed table: splitter config and shard statements", "[planner][copy]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c, "COPY items (category, id) FROM STDIN WITH (FORMAT csv, HEADER true, FREEZE true)");
  REQUIRE(p.ok());
  CHECK(p->kind == PlanKind::kCopyIn);
  CHECK(p->copy.format.csv);
  CHECK(p->copy.format.header);
  CHECK(p->copy.key_field == 1);
  CHECK(p->copy.shard_count == 4);
  REQUIRE(p->copy.shard_tasks.size() == 4);
  CHECK(p->copy.shard_tasks[2].sql == "COPY items_102010(category, id) FROM STDIN CSV");
  auto plain = PlanSql(c, "COPY plain FROM STDIN");
  REQUIRE(plain.ok());
  CHECK(plain->copy_in);
  CHECK(PlanSql(c, "COPY items (category) FROM STDIN").error().sqlstate == "22004");
}

TEST_CASE("transactions and session settings are classified", "[planner]") {
  const Catalog c = TestCatalog();
  CHECK(PlanSql(c, "START TRANSACTION ISOLATION LEVEL REPEATABLE READ")->txn.kind == TxnKind::kBegin);
  CHECK(PlanSql(c, "COMMIT")->txn.kind == TxnKind::kCommit);
  CHECK(PlanSql(c, "ROLLBACK")->txn.kind == TxnKind::kRollback);
  auto sp = PlanSql(c, "SAVEPOINT s1");
  CHECK(sp->txn.kind == TxnKind::kSavepoint);
  CHECK(sp->txn.savepoint == "s1");
  CHECK(PlanSql(c, "ROLLBACK TO SAVEPOINT s1")->txn.kind == TxnKind::kRollbackTo);
  CHECK(PlanSql(c, "RELEASE s1")->txn.kind == TxnKind::kRelease);
  auto set = PlanSql(c, "SET jadevector.nprobe = 16");
  CHECK(set->setting.kind == SettingKind::kSet);
  CHECK(set->setting.name == "jadevector.nprobe");
  CHECK(set->setting.value == "16");
  CHECK(set->setting.sql == "SET jadevector.nprobe = 16");
  CHECK(PlanSql(c, "SET LOCAL hnsw.ef_search TO 40")->setting.kind == SettingKind::kSetLocal);
  CHECK(PlanSql(c, "RESET hnsw.ef_search")->setting.kind == SettingKind::kReset);
  CHECK(PlanSql(c, "RESET ALL")->setting.kind == SettingKind::kResetAll);
  CHECK(PlanSql(c, "DISCARD ALL")->setting.kind == SettingKind::kResetAll);
  CHECK(PlanSql(c, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")->setting.kind == SettingKind::kOther);
  CHECK(PlanSql(c, "SET application_name = 'x'")->setting.value == "x");
}

TEST_CASE("metadata functions and views are answered by the coordinator", "[planner][local]") {
  const Catalog c = TestCatalog();
  auto add = PlanSql(c, "SELECT jade_add_node('10.0.0.5', 5432)");
  REQUIRE(add.ok());
  CHECK(add->kind == PlanKind::kLocal);
  REQUIRE(add->commands.size() == 1);
  CHECK(std::get<AddNodeCmd>(add->commands[0]).node_id == 4);
  CHECK(add->local.rows == std::vector<Row>{{"4"}});
  CHECK(PlanSql(c, "SELECT jade_add_node('127.0.0.1', 5433)").error().sqlstate == "42710");
  CHECK(PlanSql(c, "SELECT jade_remove_node('127.0.0.1', 5434)").error().sqlstate == "55006");

  auto dist = PlanSql(c, "SELECT create_distributed_table('Public.\"Docs\"', 'id', shard_count => 6)");
  REQUIRE(dist.ok());
  CHECK(dist->kind == PlanKind::kDistributeTable);
  CHECK(dist->distribute.schema == "public");
  CHECK(dist->distribute.table == "Docs");
  CHECK(dist->distribute.shard_count == 6);
  CHECK(dist->distribute.describe_sql.find("'\"public\".\"Docs\"'::regclass") != std::string::npos);
  CHECK(PlanSql(c, "SELECT create_distributed_table('items', 'id')").error().sqlstate == "42P07");
  CHECK(PlanSql(c, "SELECT create_distributed_table('t', 'id', shard_count => 0)").error().sqlstate == "22023");
  SessionInfo in_txn;
  in_txn.in_transaction = true;
  CHECK(PlanSql(c, "SELECT create_distributed_table('t', 'id')", {}, in_txn).error().sqlstate == "25001");

  auto nodes = PlanSql(c, "SELECT node_id, port FROM jade_nodes WHERE is_default = true");
  REQUIRE(nodes.ok());
  CHECK(nodes->local.rows == std::vector<Row>{{"1", "5433"}});
  auto shards = PlanSql(c, "SELECT shard_name, node_id FROM jade_shards WHERE table_name = 'users' ORDER BY shard_id DESC");
  REQUIRE(shards.ok());
  CHECK(shards->local.rows == std::vector<Row>{{"users_102014", "3"}, {"users_102013", "2"}, {"users_102012", "1"}});
  auto cnt = PlanSql(c, "SELECT count(*) FROM jade_shards");
  CHECK(cnt->local.rows == std::vector<Row>{{"7"}});
  auto tables = PlanSql(c, "SELECT * FROM jade_tables");
  CHECK(tables->local.rows.size() == 2);
  CHECK(PlanSql(c, "SELECT nope FROM jade_nodes").error().sqlstate == "42703");
}

TEST_CASE("create_distributed_table steps from the described columns", "[planner][local]") {
  const Catalog c = TestCatalog();
  auto plan = PlanSql(c, "SELECT create_distributed_table('docs', 'id', shard_count => 3)");
  REQUIRE(plan.ok());
  CHECK(plan->distribute.constraints_sql.find("pg_get_constraintdef") != std::string::npos);
  CHECK(plan->distribute.indexes_sql.find("pg_get_indexdef") != std::string::npos);
  // Rows as the default node's catalog returns them (see TableDescription).
  TableDescription d;
  d.columns = {
      {"id", "bigint", "t", std::nullopt, "", "", "1", std::nullopt, std::nullopt, "r"},
      {"body", "text", "f", "'none'::text", "", "", "2", "pg_catalog", "C", "r"},
      {"embedding", "vector(3)", "f", std::nullopt, "", "", "4", std::nullopt, std::nullopt, "r"},
  };
  d.constraints = {
      {"docs_body_check", "c", "CHECK ((length(body) < 100)) NOT VALID", std::nullopt, "t", std::nullopt, "f", "f"},
      {"docs_pkey", "p", "PRIMARY KEY (id) WITH (fillfactor='90')", "{1}", "t",
       "CREATE UNIQUE INDEX docs_pkey ON public.docs USING btree (id) WITH (fillfactor='90')", "t", "t"},
  };
  d.indexes = {
      {"docs_emb", "CREATE INDEX docs_emb ON public.docs USING faiss (embedding) WITH (factory='IVF4,Flat')", "f",
       "4", "1"},
      {"docs_uniq", "CREATE UNIQUE INDEX docs_uniq ON public.docs USING btree (body, id) INCLUDE (embedding)", "t",
       "2 1 4", "2"},
  };
  auto steps = PlanDistribution(c, plan->distribute, d);
  REQUIRE(steps.ok());
  CHECK(steps->command.first_shard_id == c.next_shard_id());
  REQUIRE(steps->copy_in.shard_tasks.size() == 3);
  REQUIRE(steps->copy_in.shard_setup.size() == 3);
  CHECK(steps->copy_in.shard_setup[0] ==
        std::vector<std::string>{"CREATE TABLE public.docs_102015 (id bigint NOT NULL, body text DEFAULT 'none'::text "
                                 "COLLATE pg_catalog.\"C\", embedding vector(3))"});
  CHECK(steps->copy_in.shard_finish[1] ==
        std::vector<std::string>{
            "ALTER TABLE public.docs_102016 ADD CONSTRAINT docs_body_check_102016 CHECK (length(body) < 100) NOT VALID",
            "CREATE UNIQUE INDEX docs_pkey_102016 ON public.docs_102016 USING btree (id) WITH (fillfactor='90')",
            "ALTER TABLE public.docs_102016 ADD CONSTRAINT docs_pkey_102016 PRIMARY KEY USING INDEX docs_pkey_102016 "
            "DEFERRABLE INITIALLY DEFERRED",
            "CREATE INDEX docs_emb_102016 ON public.docs_102016 USING faiss (embedding) WITH (factory='IVF4,Flat')",
            "CREATE UNIQUE INDEX docs_uniq_102016 ON public.docs_102016 USING btree (body, id) INCLUDE (embedding)"});
  CHECK(steps->copy_in.shard_tasks[1].sql == "COPY public.docs_102016 FROM STDIN");
  CHECK(steps->copy_in.key_field == 0);
  CHECK(steps->source.before == std::vector<std::string>{"LOCK TABLE ONLY public.docs"});  // ACCESS EXCLUSIVE
  CHECK(steps->source.copy_out == "COPY public.docs TO STDOUT");
  REQUIRE(steps->source.after.size() == 4);
  CHECK(steps->source.after[0] == "TRUNCATE ONLY public.docs");
  CHECK(steps->source.after[3] ==
        "CREATE TRIGGER jade_shell_guard BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.docs EXECUTE "
        "FUNCTION jade_coordinator.reject_shell_write()");  // FOR EACH STATEMENT is the default

  auto refused = [&](TableDescription t) {
    auto r = PlanDistribution(c, plan->distribute, t);
    return r.ok() ? std::string("ok") : r.error().sqlstate;
  };
  TableDescription t = d;
  t.columns[0][3] = "nextval('docs_id_seq'::regclass)";
  CHECK(refused(t) == "0A000");
  CHECK(refused(TableDescription{}) == "42P01");
  t = d;
  t.columns[0][1] = "numeric";
  CHECK(refused(t) == "0A000");
  t = d;
  t.columns[0][9] = "p";  // partitioned table
  CHECK(refused(t) == "0A000");
  t = d;
  t.constraints[1][3] = "{2}";  // primary key without the shard key
  CHECK(refused(t) == "0A000");
  t = d;
  // A part of a definition the deparser would drop (libpg_query 15-4.0.0 loses a constraint's
  // NULLS NOT DISTINCT and WITH options) is refused, never silently lost.
  t.constraints[0][2] = "UNIQUE NULLS NOT DISTINCT (id)";
  CHECK(refused(t) == "0A000");
  t.constraints[0][2] = "UNIQUE (id) WITH (fillfactor='90')";
  CHECK(refused(t) == "0A000");
  CHECK(refused(t) == "0A000");
  t = d;
  t.indexes[1][4] = "1";  // id only INCLUDEd: not a key column of the unique index
  t.indexes[1][3] = "2 1";
  CHECK(refused(t) == "0A000");
  t = d;
  t.constraints.push_back({"docs_fk", "f", "FOREIGN KEY (id) REFERENCES other(id)", "{1}", "t", std::nullopt, "f", "f"});
  CHECK(refused(t) == "0A000");
  t = d;
  t.constraints.push_back({"other_fk", "f", "FOREIGN KEY (x) REFERENCES docs(id)", "{1}", "f", std::nullopt, "f", "f"});
  CHECK(refused(t) == "0A000");
  t = d;
  t.constraints.push_back({"audit", "trigger", std::nullopt, std::nullopt, "t", std::nullopt, "f", "f"});
  CHECK(refused(t) == "0A000");
  t = d;
  t.constraints.push_back({"no_overlap", "x", "EXCLUDE USING gist (id WITH =)", "{1}", "t", std::nullopt, "f", "f"});
  CHECK(refused(t) == "0A000");
  // A definition that is not exactly one statement of its kind is never run.
  t = d;
  t.constraints[0][2] = "CHECK (true); DROP TABLE docs";
  CHECK(refused(t) == "XX000");
  t = d;
  t.indexes[0][1] = "DROP TABLE docs";
  CHECK(refused(t) == "XX000");
  t = d;
  t.columns[1][3] = "'x'::text); DROP TABLE docs; CREATE TABLE t (a int";
  CHECK(refused(t) != "ok");
}

TEST_CASE("EXPLAIN shows route, merge, shard SQL and shard plans", "[planner][explain]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c, "EXPLAIN ANALYZE SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 2");
  REQUIRE(p.ok());
  CHECK(p->explain_analyze);
  CHECK(p->tasks[0].sql.rfind("EXPLAIN (ANALYZE) SELECT id", 0) == 0);
  std::vector<std::vector<std::string>> outputs(p->tasks.size(), {"Limit  (cost=0.00..1.00 rows=2 width=8)"});
  auto lines = AssembleExplain(*p, outputs);
  CHECK(lines[0].find("Distributed Plan: fan-out") == 0);
  CHECK(lines[1].find("k-way merge") != std::string::npos);
  bool saw_sql = false;
  for (const auto& l : lines) saw_sql |= l.find("SQL: SELECT id, embedding <-> '[1,2,3]' AS jade_sort_0") != std::string::npos;
  CHECK(saw_sql);
  CHECK(lines.size() == 3 + 4 * 3);
}

TEST_CASE("empty catalog: plain workloads pass through, no node is an error", "[planner]") {
  Catalog empty;
  CHECK(PlanSql(empty, "SELECT 1").error().sqlstate == "55000");
  Catalog one;
  REQUIRE(ApplyCommand(one, MakeAddNode(one, "127.0.0.1", 5433).value()).ok());
  // pgbench's partition-detection catalog query.
  auto p = PlanSql(one,
                   "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join "
                   "pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select "
                   "pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join "
                   "pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits "
                   "as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by "
                   "1, 2 order by 1 asc limit 1");
  REQUIRE(p.ok());
  CHECK(p->kind == PlanKind::kPassthrough);
  CHECK(p->tasks[0].node.port == 5433);
}

TEST_CASE("merged output columns are named as PostgreSQL names them", "[planner]") {
  const Catalog c = TestCatalog();
  auto p = PlanSql(c,
                   "SELECT id * 2, CASE WHEN price > 1 THEN 1 END, coalesce(category, 'x'), items.category, "
                   "price::text, greatest(price, 1), 7 AS seven FROM items ORDER BY 1");
  REQUIRE(p.ok());
  std::vector<std::string> names;
  for (size_t i = 0; i < p->merge.visible_outputs; i++) names.push_back(p->merge.outputs[i].name);
  CHECK(names == std::vector<std::string>{"?column?", "case", "coalesce", "category", "price", "greatest", "seven"});
  auto a = PlanSql(c, "SELECT count(*), avg(price), max(price) AS top FROM items");
  REQUIRE(a.ok());
  CHECK(a->merge.outputs[0].name == "count");
  CHECK(a->merge.outputs[1].name == "avg");
  CHECK(a->merge.outputs[2].name == "top");
  CHECK(OutputTypes(a->merge, {20, 20, 23, 20}) == std::vector<uint32_t>{20, 1700, 23});  // 4th: hidden count
}

TEST_CASE("join pins spread along shard-key equalities, subqueries are never pinned by the outer WHERE",
          "[planner]") {
  Catalog c = TestCatalog();
  REQUIRE(ApplyCommand(c, MakeCreateDistributedTable(c, "public", "orders", "item_id", KeyType::kInt8, 4,
                                                     {"item_id", "qty"})
                              .value())
              .ok());
  auto on = PlanSql(c, "SELECT * FROM items i JOIN orders o ON o.item_id = i.id WHERE i.id = 3");
  REQUIRE(on.ok());
  CHECK(on->kind == PlanKind::kSingleShard);
  CHECK(on->tasks[0].shard_id == ItemsShard(3));
  auto left = PlanSql(c, "SELECT * FROM orders o LEFT JOIN items i ON i.id = o.item_id WHERE o.item_id = $1",
                      {{std::string("9"), 0, false}});
  REQUIRE(left.ok());
  CHECK(left->kind == PlanKind::kSingleShard);
  // Joined on a non-key column: the other side needs every shard.
  auto nonkey = PlanSql(c, "SELECT * FROM items a JOIN items b ON a.category = b.category WHERE a.id = 5");
  REQUIRE_FALSE(nonkey.ok());
  CHECK(nonkey.error().sqlstate == "0A000");
  // The subquery's `items` must not be pinned by the outer `id = 5`.
  auto sub = PlanSql(c, "SELECT * FROM items WHERE id = 5 AND price IN (SELECT price FROM items)");
  REQUIRE_FALSE(sub.ok());
  CHECK(sub.error().sqlstate == "0A000");
  auto from_sub = PlanSql(c, "SELECT count(*) FROM (SELECT * FROM items WHERE id = 5) s");
  REQUIRE_FALSE(from_sub.ok());
  // users has a different shard count: not co-located, never joined on one shard.
  auto other = PlanSql(c, "SELECT * FROM items i JOIN users u ON u.name = i.category WHERE i.id = 1 AND u.name = 'x'");
  REQUIRE_FALSE(other.ok());
}

TEST_CASE("a reusable fan-out runs one statement per node", "[planner][combine]") {
  const Catalog c = TestCatalog();  // items: 4 shards on 3 nodes, shards 0 and 3 on node 1
  Params vec = {{std::string("[1,2,3]"), 0, false}};
  auto p = PlanSql(c, "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10", vec);
  REQUIRE(p.ok());
  CHECK_FALSE(p->param_values_used);
  CHECK(PlanIsReusable(*p));
  auto comb = CombineFanOutByNode(*p);
  REQUIRE(comb.ok());
  CHECK(comb->merge_input_count == 4);
  REQUIRE(comb->tasks.size() == 3);
  const Task* node1 = nullptr;
  for (const Task& t : comb->tasks) {
    if (t.node.id == p->tasks[0].node.id) node1 = &t;
  }
  REQUIRE(node1 != nullptr);
  CHECK(node1->merge_inputs == std::vector<uint32_t>{0, 3});
  CHECK(node1->sql == "SELECT 0 AS jade_shard, q.* FROM (" + p->tasks[0].sql +
                          ") q UNION ALL SELECT 3 AS jade_shard, q.* FROM (" + p->tasks[3].sql + ") q");
  CHECK(node1->params == p->tasks[0].params);
  // Aggregates and plain concatenation combine too; a streaming sorted merge does not.
  auto agg = PlanSql(c, "SELECT category, count(*) FROM items GROUP BY category");
  CHECK(CombineFanOutByNode(*agg)->tasks.size() == 3);
  auto all = PlanSql(c, "SELECT id FROM items");
  CHECK(CombineFanOutByNode(*all)->tasks.size() == 3);
  auto sorted = PlanSql(c, "SELECT id FROM items ORDER BY price");
  CHECK(CombineFanOutByNode(*sorted)->merge_input_count == 0);
  auto big = PlanSql(c, "SELECT id FROM items ORDER BY price LIMIT 5000");
  CHECK(CombineFanOutByNode(*big)->tasks.size() == 4);
  // Plans that read parameter values are not reusable (LIMIT $1 folded, key pruning).
  auto lim = PlanSql(c, "SELECT id FROM items ORDER BY price LIMIT $1", {{std::string("5"), 0, false}});
  CHECK(lim->param_values_used);
  CHECK_FALSE(PlanIsReusable(*lim));
  auto point = PlanSql(c, "SELECT * FROM items WHERE id = $1", {{std::string("5"), 0, false}});
  CHECK(point->param_values_used);
  auto literal = PlanSql(c, "SELECT * FROM items WHERE id = 5");
  CHECK(PlanIsReusable(*literal));
  CHECK_FALSE(PlanIsReusable(*PlanSql(c, "SELECT jade_add_node('10.0.0.9', 5432)")));
  // Already one shard per node: unchanged.
  auto users = PlanSql(c, "SELECT name FROM users");
  CHECK(CombineFanOutByNode(*users)->merge_input_count == 0);
}
