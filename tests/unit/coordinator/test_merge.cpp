// Result merging: k-way top-k merge vs a global sort (with the early-stop bound), ORDER BY /
// LIMIT / OFFSET, aggregates and GROUP BY, and PostgreSQL-exact numeric/float text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include "merge/decimal.h"
#include "merge/result_merger.h"
#include "merge/value.h"

using namespace jade::coord;

namespace {

// Formats a distance the way a worker would (shortest float8 text).
std::string Dist(double d) { return FormatFloat8(d); }

// Drives a merger to completion, feeding shards round-robin one row at a time while they want more.
std::vector<Row> Drive(ResultMerger& m, std::vector<std::vector<Row>> shards) {
  std::vector<size_t> pos(shards.size(), 0);
  std::vector<Row> out;
  Row r;
  for (int guard = 0; guard < 1000000 && !m.Done(); guard++) {
    bool progressed = false;
    for (size_t s = 0; s < shards.size(); s++) {
      if (!m.WantsMore(s)) continue;
      progressed = true;
      if (pos[s] < shards[s].size()) {
        REQUIRE(m.Push(s, shards[s][pos[s]++]).ok());
      } else {
        REQUIRE(m.Finish(s).ok());
      }
    }
    while (m.Pop(&r)) out.push_back(r);
    if (!progressed && !m.Done()) {
      // Nothing wanted more but not done: only legal if output is pending.
      REQUIRE(m.Pop(&r) == false);
      break;
    }
  }
  while (m.Pop(&r)) out.push_back(r);
  return out;
}

MergeSpec TopKSpec(uint64_t k, uint64_t offset = 0) {
  MergeSpec s;
  s.mode = MergeMode::kSorted;
  s.shard_columns = 2;  // id, hidden jade_sort_0
  s.outputs = {{"id", OutputKind::kColumn, 0, -1}};
  s.visible_outputs = 1;
  s.sort = {{1, false, false}};
  s.limit = k;
  s.offset = offset;
  return s;
}

}  // namespace

TEST_CASE("top-k merge equals a global sort and reads at most k+shards rows", "[merge][topk]") {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 60; trial++) {
    size_t nshards = 1 + rng() % 8;
    uint64_t k = 1 + rng() % 20;
    uint64_t offset = trial % 3 == 0 ? rng() % 5 : 0;
    std::vector<std::vector<Row>> shards(nshards);
    std::vector<std::pair<double, std::string>> all;
    int id = 0;
    for (size_t s = 0; s < nshards; s++) {
      size_t n = rng() % 40;
      std::vector<double> ds;
      for (size_t i = 0; i < n; i++) ds.push_back(static_cast<double>(rng() % 1000) / 7.0);
      std::sort(ds.begin(), ds.end());
      // Each shard returns its own top offset+k (the pushed-down LIMIT).
      ds.resize(std::min<size_t>(ds.size(), offset + k));
      for (double d : ds) {
        std::string sid = std::to_string(id++);
        shards[s].push_back({sid, Dist(d)});
        all.push_back({d, sid});
      }
    }
    // Expected: global order by distance, ties by shard order then position (stable on shard index).
    std::vector<std::tuple<double, size_t, size_t, std::string>> keyed;
    for (size_t s = 0; s < nshards; s++) {
      for (size_t i = 0; i < shards[s].size(); i++) {
        keyed.emplace_back(std::stod(*shards[s][i][1]), s, i, *shards[s][i][0]);
      }
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<Row> expected;
    for (size_t i = offset; i < keyed.size() && i < offset + k; i++) expected.push_back({std::get<3>(keyed[i])});

    auto m = ResultMerger::Create(TopKSpec(k, offset), nshards, {oid::kInt8, oid::kFloat8});
    REQUIRE(m.ok());
    auto got = Drive(**m, shards);
    INFO("trial " << trial << " shards " << nshards << " k " << k << " offset " << offset);
    CHECK(got == expected);
    uint64_t consumed = 0;
    for (size_t s = 0; s < nshards; s++) consumed += (*m)->RowsConsumed(s);
    // Early stop: only emitted rows are consumed from the shard queues.
    CHECK(consumed == std::min<uint64_t>(offset + k, keyed.size()));
  }
}

TEST_CASE("top-k merge stops asking a shard once the limit is reached", "[merge][topk]") {
  auto m = ResultMerger::Create(TopKSpec(2), 2, {oid::kInt8, oid::kFloat8});
  REQUIRE(m.ok());
  auto& mg = **m;
  REQUIRE(mg.Push(0, {"a", "0.1"}).ok());
  Row r;
  CHECK_FALSE(mg.Pop(&r));  // shard 1 has no head yet: the minimum is unknown
  CHECK(mg.WantsMore(1));
  CHECK_FALSE(mg.WantsMore(0));  // shard 0 already has a head row buffered
  REQUIRE(mg.Push(1, {"b", "0.05"}).ok());
  REQUIRE(mg.Pop(&r));
  CHECK(r == Row{"b"});
  CHECK(mg.WantsMore(1));
  REQUIRE(mg.Push(1, {"c", "0.2"}).ok());
  REQUIRE(mg.Pop(&r));
  CHECK(r == Row{"a"});
  CHECK(mg.Done());
  CHECK_FALSE(mg.WantsMore(0));
  CHECK_FALSE(mg.WantsMore(1));
  CHECK(mg.RowsConsumed(1) == 1);  // "c" was buffered but never consumed
}

TEST_CASE("sorted merge: DESC, NULLS placement, text and numeric keys", "[merge]") {
  MergeSpec s;
  s.mode = MergeMode::kSorted;
  s.shard_columns = 2;
  s.outputs = {{"n", OutputKind::kColumn, 0, -1}, {"t", OutputKind::kColumn, 1, -1}};
  s.visible_outputs = 2;
  s.sort = {{0, true, true}, {1, false, false}};  // ORDER BY n DESC (NULLS FIRST), t
  auto m = ResultMerger::Create(s, 2, {oid::kNumeric, oid::kText});
  REQUIRE(m.ok());
  auto got = Drive(**m, {{{std::nullopt, "z"}, {"10.5", "b"}, {"2", "a"}}, {{"10.50", "a"}, {"9.99", "x"}}});
  std::vector<Row> expected = {{std::nullopt, "z"}, {"10.50", "a"}, {"10.5", "b"}, {"9.99", "x"}, {"2", "a"}};
  CHECK(got == expected);
}

TEST_CASE("concat merge applies global offset and limit", "[merge]") {
  MergeSpec s;
  s.mode = MergeMode::kConcat;
  s.shard_columns = 1;
  s.outputs = {{"x", OutputKind::kColumn, 0, -1}};
  s.visible_outputs = 1;
  s.limit = 3;
  s.offset = 2;
  auto m = ResultMerger::Create(s, 2, {oid::kInt4});
  REQUIRE(m.ok());
  auto got = Drive(**m, {{{"1"}, {"2"}, {"3"}}, {{"4"}, {"5"}, {"6"}}});
  CHECK(got.size() == 3);
  CHECK(m->get()->Done());
  uint64_t consumed = (*m)->RowsConsumed(0) + (*m)->RowsConsumed(1);
  CHECK(consumed == 5);
}

TEST_CASE("aggregate merge: count/sum/min/max/avg with GROUP BY, ORDER BY and LIMIT", "[merge][agg]") {
  // Shard query: SELECT cat, count(*), sum(v), min(v), max(v), sum(v) AS avg_sum, count(v) AS avg_cnt
  MergeSpec s;
  s.mode = MergeMode::kAggregate;
  s.shard_columns = 7;
  s.group_columns = {0};
  s.outputs = {{"cat", OutputKind::kColumn, 0, -1}, {"count", OutputKind::kCount, 1, -1},
               {"sum", OutputKind::kSum, 2, -1},    {"min", OutputKind::kMin, 3, -1},
               {"max", OutputKind::kMax, 4, -1},    {"avg", OutputKind::kAvg, 5, 6}};
  s.visible_outputs = 6;
  s.sort = {{1, true, true}, {0, false, false}};  // ORDER BY count DESC, cat
  std::vector<uint32_t> types = {oid::kText, oid::kInt8, oid::kInt8, oid::kInt4, oid::kInt4, oid::kInt8, oid::kInt8};
  auto m = ResultMerger::Create(s, 3, types);
  REQUIRE(m.ok());
  auto got = Drive(**m, {
                            {{"a", "2", "3", "1", "2", "3", "2"}, {"b", "1", "10", "10", "10", "10", "1"}},
                            {{"a", "1", "2", "2", "2", "2", "1"}},
                            {{"c", "1", std::nullopt, std::nullopt, std::nullopt, std::nullopt, "0"},
                             {"b", "1", "-4", "-4", "-4", "-4", "1"}},
                        });
  std::vector<Row> expected = {
      {"a", "3", "5", "1", "2", "1.6666666666666667"},
      {"b", "2", "6", "-4", "10", "3.0000000000000000"},
      {"c", "1", std::nullopt, std::nullopt, std::nullopt, std::nullopt},
  };
  CHECK(got == expected);

  s.limit = 1;
  s.offset = 1;
  auto lim = ResultMerger::Create(s, 1, types);
  REQUIRE(lim.ok());
  auto one = Drive(**lim, {{{"a", "3", "5", "1", "2", "5", "3"}, {"b", "2", "6", "-4", "10", "6", "2"}}});
  REQUIRE(one.size() == 1);
  CHECK(*one[0][0] == "b");
}

TEST_CASE("aggregate without GROUP BY returns one row even with no shard rows", "[merge][agg]") {
  MergeSpec s;
  s.mode = MergeMode::kAggregate;
  s.shard_columns = 2;
  s.outputs = {{"count", OutputKind::kCount, 0, -1}, {"sum", OutputKind::kSum, 1, -1}};
  s.visible_outputs = 2;
  auto m = ResultMerger::Create(s, 2, {oid::kInt8, oid::kNumeric});
  REQUIRE(m.ok());
  auto got = Drive(**m, {{}, {}});
  CHECK(got == std::vector<Row>{{"0", std::nullopt}});
  auto m2 = ResultMerger::Create(s, 2, {oid::kInt8, oid::kNumeric});
  auto got2 = Drive(**m2, {{{"2", "1.5"}}, {{"1", "-0.25"}}});
  CHECK(got2 == std::vector<Row>{{"3", "1.25"}});
}

TEST_CASE("integer sum overflow is an error, not a wrap", "[merge][agg]") {
  MergeSpec s;
  s.mode = MergeMode::kAggregate;
  s.shard_columns = 1;
  s.outputs = {{"sum", OutputKind::kSum, 0, -1}};
  s.visible_outputs = 1;
  auto m = ResultMerger::Create(s, 2, {oid::kInt8});
  REQUIRE((*m)->Push(0, {"9223372036854775807"}).ok());
  auto st = (*m)->Push(1, {"1"});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().sqlstate == "22003");
}

TEST_CASE("DISTINCT merges equal rows across shards", "[merge][agg]") {
  MergeSpec s;
  s.mode = MergeMode::kAggregate;
  s.shard_columns = 1;
  s.group_columns = {0};
  s.outputs = {{"x", OutputKind::kColumn, 0, -1}};
  s.visible_outputs = 1;
  s.sort = {{0, false, false}};
  auto m = ResultMerger::Create(s, 2, {oid::kNumeric});
  auto got = Drive(**m, {{{"1.0"}, {"2"}}, {{"1.00"}, {"3"}, {std::nullopt}}});
  CHECK(got.size() == 4);  // 1.0 == 1.00, NULL is its own group
  CHECK(*got[1][0] == "2");
  CHECK_FALSE(got[3][0].has_value());
}

TEST_CASE("invalid merge specs and malformed rows are rejected", "[merge]") {
  MergeSpec s = TopKSpec(3);
  CHECK_FALSE(ResultMerger::Create(s, 2, {oid::kInt8}).ok());  // column count mismatch
  s.sort = {{5, false, false}};
  CHECK_FALSE(ResultMerger::Create(s, 2, {oid::kInt8, oid::kFloat8}).ok());
  auto m = ResultMerger::Create(TopKSpec(3), 2, {oid::kInt8, oid::kFloat8});
  CHECK_FALSE((*m)->Push(0, {"1"}).ok());
  auto bad = (*m)->Push(0, {"1", "not a float"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().sqlstate == "22P02");
}

TEST_CASE("numeric avg text matches PostgreSQL numeric_div", "[merge][decimal]") {
  // SELECT avg(x) FROM (VALUES ...) v(x) on PostgreSQL 15.
  struct Case {
    const char* sum;
    uint64_t count;
    const char* expected;
  } cases[] = {
      {"3", 2, "1.5000000000000000"},
      {"5", 3, "1.6666666666666667"},
      {"300001", 2, "150000.500000000000"},
      {"3.625", 2, "1.8125000000000000"},
      {"0.007", 3, "0.00233333333333333333"},
      {"-7", 3, "-2.3333333333333333"},
      {"123456789013", 2, "61728394506.50000000"},
      {"0", 1, "0.00000000000000000000"},
  };
  for (const auto& c : cases) {
    INFO(c.sum << " / " << c.count);
    CHECK(Decimal::Parse(c.sum).value().DivideByCount(c.count).ToString() == c.expected);
  }
  // SELECT sum(x) FROM (VALUES (1.5),(2.25),(-10)) → -6.25
  auto s = Decimal::Parse("1.5").value().Add(Decimal::Parse("2.25").value()).Add(Decimal::Parse("-10").value());
  CHECK(s.ToString() == "-6.25");
  CHECK(Decimal::Parse("1e3").value().ToString() == "1000");
  CHECK(Decimal::Parse("NaN").value().Compare(Decimal::Parse("Infinity").value()) > 0);
  CHECK(Decimal::Parse("-0.5").value().Compare(Decimal::Parse("0.25").value()) < 0);
  CHECK_FALSE(Decimal::Parse("1.2.3").ok());
}

TEST_CASE("float text matches PostgreSQL float8out/float4out", "[merge][float]") {
  // SELECT 100000::float8, 1e15::float8, ... on PostgreSQL 15.
  CHECK(FormatFloat8(100000) == "100000");
  CHECK(FormatFloat8(1e15) == "1e+15");
  CHECK(FormatFloat8(1e16) == "1e+16");
  CHECK(FormatFloat8(0.0001) == "0.0001");
  CHECK(FormatFloat8(0.00001) == "1e-05");
  CHECK(FormatFloat8(123.456) == "123.456");
  CHECK(FormatFloat8(1.5e300) == "1.5e+300");
  CHECK(FormatFloat8(-2.5e-7) == "-2.5e-07");
  CHECK(FormatFloat8(1.0 / 3) == "0.3333333333333333");
  CHECK(FormatFloat8(5.0 / 3) == "1.6666666666666667");
  CHECK(FormatFloat4(100000.0f) == "100000");
  CHECK(FormatFloat4(1000000.0f) == "1e+06");
  CHECK(FormatFloat4(0.1f) == "0.1");
}
