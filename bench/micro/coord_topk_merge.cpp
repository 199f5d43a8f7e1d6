// Cross-shard top-k merge: the streaming k-way merge (ResultMerger, kSorted) against the naive
// "gather shards × k rows, sort, cut" baseline. Rows look like what workers return for
// `SELECT id, embedding <-> $1 AS jade_sort_0 ... ORDER BY 2 LIMIT k`: an int8 id and a float8
// distance as text. Args: shards, k.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>

#include "merge/result_merger.h"
#include "merge/value.h"

using namespace jade::coord;

namespace {

// Per-shard sorted top-k rows with random distances (deterministic seed).
std::vector<std::vector<Row>> MakeShards(int shards, int k) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(0.0, 100.0);
  std::vector<std::vector<Row>> out(static_cast<size_t>(shards));
  int id = 0;
  for (auto& rows : out) {
    std::vector<double> d(static_cast<size_t>(k));
    for (auto& x : d) x = dist(rng);
    std::sort(d.begin(), d.end());
    for (double x : d) rows.push_back({std::to_string(id++), FormatFloat8(x)});
  }
  return out;
}

MergeSpec Spec(int k) {
  MergeSpec s;
  s.mode = MergeMode::kSorted;
  s.shard_columns = 2;
  s.outputs = {{"id", OutputKind::kColumn, 0, -1}};
  s.visible_outputs = 1;
  s.sort = {{1, false, false}};
  s.limit = static_cast<uint64_t>(k);
  return s;
}

void BM_TopKStreamingMerge(benchmark::State& state) {
  int shards = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
  auto data = MakeShards(shards, k);
  MergeSpec spec = Spec(k);
  uint64_t consumed = 0;
  for (auto _ : state) {
    auto m = ResultMerger::Create(spec, static_cast<size_t>(shards), {oid::kInt8, oid::kFloat8});
    auto& mg = **m;
    std::vector<size_t> pos(static_cast<size_t>(shards), 0);
    Row r;
    int out = 0;
    // The executor's loop: feed shards that want rows, pop whatever is ready.
    while (!mg.Done()) {
      for (size_t s = 0; s < data.size(); s++) {
        if (!mg.WantsMore(s)) continue;
        if (pos[s] < data[s].size()) {
          (void)mg.Push(s, data[s][pos[s]++]);
        } else {
          (void)mg.Finish(s);
        }
      }
      while (mg.Pop(&r)) out++;
    }
    benchmark::DoNotOptimize(out);
    for (size_t s = 0; s < data.size(); s++) consumed += mg.RowsConsumed(s);
  }
  state.counters["rows_consumed/query"] = static_cast<double>(consumed) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}

void BM_TopKGatherSortBaseline(benchmark::State& state) {
  int shards = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
  auto data = MakeShards(shards, k);
  for (auto _ : state) {
    std::vector<std::pair<double, Row>> all;
    all.reserve(static_cast<size_t>(shards * k));
    for (const auto& rows : data) {
      for (const auto& row : rows) all.emplace_back(ParseFloat(*row[1]).value(), row);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    all.resize(static_cast<size_t>(k));
    benchmark::DoNotOptimize(all.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_TopKStreamingMerge)->Args({3, 10})->Args({3, 100})->Args({8, 10})->Args({32, 10})->Args({32, 100});
BENCHMARK(BM_TopKGatherSortBaseline)->Args({3, 10})->Args({3, 100})->Args({8, 10})->Args({32, 10})->Args({32, 100});
