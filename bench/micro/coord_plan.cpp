// Planning cost per statement (parse + plan + rewrite + deparse), the coordinator's CPU share of
// the added latency of a shard-key point query. Catalog: 3 nodes, items in 8 shards.
#include <benchmark/benchmark.h>

#include "metadata/state_machine.h"
#include "planner/planner.h"

using namespace jade::coord;

namespace {

Catalog BenchCatalog() {
  Catalog c;
  for (int port : {5433, 5434, 5435}) (void)ApplyCommand(c, MakeAddNode(c, "127.0.0.1", port).value());
  (void)ApplyCommand(c, MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 8,
                                                   {"id", "category", "embedding"})
                            .value());
  return c;
}

void RunPlan(benchmark::State& state, const char* sql, const Params& params) {
  Catalog c = BenchCatalog();
  for (auto _ : state) {
    auto parsed = ParseSql(sql);
    auto plan = PlanStatement(c, (*parsed)[0], params, SessionInfo{});
    benchmark::DoNotOptimize(plan.ok());
  }
}

void BM_ParseOnly(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseSql("SELECT id, category FROM items WHERE id = $1").ok());
}
void BM_PlanPointSelect(benchmark::State& state) {
  RunPlan(state, "SELECT id, category FROM items WHERE id = $1", {{std::string("42"), 0, false}});
}
void BM_PlanPassthrough(benchmark::State& state) {
  RunPlan(state, "SELECT abalance FROM pgbench_accounts WHERE aid = $1", {{std::string("42"), 0, false}});
}
void BM_PlanTopK(benchmark::State& state) {
  RunPlan(state, "SELECT id FROM items WHERE category = 'a' ORDER BY embedding <-> $1 LIMIT 10",
          {{std::string("[1,2,3]"), 0, false}});
}

}  // namespace

BENCHMARK(BM_ParseOnly);
BENCHMARK(BM_PlanPointSelect);
BENCHMARK(BM_PlanPassthrough);
BENCHMARK(BM_PlanTopK);
