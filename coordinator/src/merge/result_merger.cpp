// result_merger.cpp — the three merge strategies behind ResultMerger (see merge_spec.h).
//
// ConcatMerger forwards rows as they arrive; SortedMerger is the streaming k-way merge (a
// binary heap of shards keyed by each shard's head row; a shard's next row is only looked at
// when its previous one was emitted); AggregateMerger combines partial aggregates per group.
#include "merge/result_merger.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>

#include "merge/decimal.h"
#include "merge/value.h"

namespace jade::coord {
namespace {

Error BadRow(size_t shard, size_t got, size_t want) {
  return MakeError(sqlstate::kInternalError, "shard " + std::to_string(shard) + " returned " + std::to_string(got) +
                                                 " columns, expected " + std::to_string(want));
}

// Compares two rows on sort keys given their pre-parsed key values (NULL placement per key).
int CompareKeys(const std::vector<SortKey>& keys, const std::vector<KeyValue>& a, const std::vector<KeyValue>& b) {
  for (size_t i = 0; i < keys.size(); i++) {
    const KeyValue& x = a[i];
    const KeyValue& y = b[i];
    int c;
    if (x.null || y.null) {
      if (x.null && y.null) continue;
      // A NULL is "first" or "last" independent of direction.
      c = x.null ? (keys[i].nulls_first ? -1 : 1) : (keys[i].nulls_first ? 1 : -1);
      return c;
    }
    c = CompareKeyValues(x, y);
    if (c != 0) return keys[i].descending ? -c : c;
  }
  return 0;
}

// Projects a shard row onto the visible outputs.
Row Project(const MergeSpec& spec, Row&& row) {
  bool identity = true;
  for (size_t i = 0; i < spec.visible_outputs; i++) identity &= spec.outputs[i].source == static_cast<int>(i);
  if (identity) {
    row.resize(spec.visible_outputs);
    return std::move(row);
  }
  Row out;
  out.reserve(spec.visible_outputs);
  for (size_t i = 0; i < spec.visible_outputs; i++) out.push_back(std::move(row[static_cast<size_t>(spec.outputs[i].source)]));
  return out;
}

uint64_t LimitEnd(const MergeSpec& spec) {
  if (!spec.limit) return std::numeric_limits<uint64_t>::max();
  uint64_t end = spec.offset + *spec.limit;
  return end < spec.offset ? std::numeric_limits<uint64_t>::max() : end;
}

/** kConcat: rows in arrival order, global OFFSET/LIMIT. */
class ConcatMerger final : public ResultMerger {
 public:
  ConcatMerger(MergeSpec spec, size_t shards)
      : spec_(std::move(spec)), finished_(shards, false), consumed_(shards, 0), end_(LimitEnd(spec_)) {}

  Status Push(size_t shard, Row row) override {
    if (row.size() != spec_.shard_columns) return BadRow(shard, row.size(), spec_.shard_columns);
    if (taken_ >= end_) return {};
    consumed_[shard]++;
    if (taken_++ < spec_.offset) return {};
    ready_.push_back(Project(spec_, std::move(row)));
    return {};
  }
  Status Finish(size_t shard) override {
    finished_[shard] = true;
    return {};
  }
  bool Pop(Row* out) override {
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }
  bool WantsMore(size_t shard) const override { return !finished_[shard] && taken_ < end_; }
  bool Done() const override {
    if (!ready_.empty()) return false;
    if (taken_ >= end_) return true;
    return std::all_of(finished_.begin(), finished_.end(), [](bool f) { return f; });
  }
  uint64_t RowsConsumed(size_t shard) const override { return consumed_[shard]; }

 private:
  MergeSpec spec_;
  std::vector<bool> finished_;
  std::vector<uint64_t> consumed_;
  std::deque<Row> ready_;
  uint64_t end_;
  uint64_t taken_ = 0;
};

/** kSorted: streaming k-way merge of pre-sorted shard streams. */
class SortedMerger final : public ResultMerger {
 public:
  SortedMerger(MergeSpec spec, size_t shards, std::vector<ValueClass> key_classes)
      : spec_(std::move(spec)), classes_(std::move(key_classes)), queues_(shards), finished_(shards, false),
        consumed_(shards, 0), end_(LimitEnd(spec_)), blocked_(shards) {}

  Status Push(size_t shard, Row row) override {
    if (row.size() != spec_.shard_columns) return BadRow(shard, row.size(), spec_.shard_columns);
    if (emitted_ >= end_) return {};
    Entry e;
    e.row = std::move(row);
    JADE_TRY_STATUS(ParseKeys(&e));
    bool was_empty = queues_[shard].empty();
    queues_[shard].push_back(std::move(e));
    if (was_empty) {
      // The deque may have moved the row: re-point text keys at the stored row.
      RepointKeys(&queues_[shard].back());
      blocked_--;
      HeapPush(shard);
    } else {
      RepointKeys(&queues_[shard].back());
    }
    return {};
  }

  Status Finish(size_t shard) override {
    if (!finished_[shard]) {
      finished_[shard] = true;
      if (queues_[shard].empty()) blocked_--;
    }
    return {};
  }

  bool Pop(Row* out) override {
    // The global minimum is known only when every unfinished shard has a head row.
    while (emitted_ < end_ && blocked_ == 0 && !heap_.empty()) {
      size_t s = HeapPopMin();
      Entry e = std::move(queues_[s].front());
      queues_[s].pop_front();
      consumed_[s]++;
      if (!queues_[s].empty()) {
        HeapPush(s);
      } else if (!finished_[s]) {
        blocked_++;
      }
      if (emitted_++ < spec_.offset) continue;
      *out = Project(spec_, std::move(e.row));
      return true;
    }
    return false;
  }

  bool WantsMore(size_t shard) const override {
    return emitted_ < end_ && !finished_[shard] && queues_[shard].empty();
  }
  bool Done() const override { return emitted_ >= end_ || (blocked_ == 0 && heap_.empty()); }
  uint64_t RowsConsumed(size_t shard) const override { return consumed_[shard]; }

 private:
  struct Entry {
    Row row;
    std::vector<KeyValue> keys;
  };

  Status ParseKeys(Entry* e) {
    e->keys.resize(spec_.sort.size());
    for (size_t i = 0; i < spec_.sort.size(); i++) {
      auto kv = MakeKeyValue(classes_[i], e->row[static_cast<size_t>(spec_.sort[i].column)]);
      if (!kv) return std::move(kv).error();
      e->keys[i] = *kv;
    }
    return {};
  }
  void RepointKeys(Entry* e) {
    for (size_t i = 0; i < spec_.sort.size(); i++) {
      auto& cell = e->row[static_cast<size_t>(spec_.sort[i].column)];
      if (cell) e->keys[i].text = &*cell;
    }
  }
  // True when shard a's head sorts before shard b's (ties broken by shard index: deterministic).
  bool Less(size_t a, size_t b) const {
    int c = CompareKeys(spec_.sort, queues_[a].front().keys, queues_[b].front().keys);
    return c != 0 ? c < 0 : a < b;
  }
  void HeapPush(size_t s) {
    heap_.push_back(s);
    size_t i = heap_.size() - 1;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!Less(heap_[i], heap_[p])) break;
      std::swap(heap_[i], heap_[p]);
      i = p;
    }
  }
  size_t HeapPopMin() {
    size_t top = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    size_t i = 0;
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap_.size() && Less(heap_[l], heap_[m])) m = l;
      if (r < heap_.size() && Less(heap_[r], heap_[m])) m = r;
      if (m == i) break;
      std::swap(heap_[i], heap_[m]);
      i = m;
    }
    return top;
  }

  MergeSpec spec_;
  std::vector<ValueClass> classes_;
  std::vector<std::deque<Entry>> queues_;
  std::vector<bool> finished_;
  std::vector<uint64_t> consumed_;
  std::vector<size_t> heap_;
  uint64_t end_;
  uint64_t emitted_ = 0;
  size_t blocked_;  ///< unfinished shards with an empty queue
};

/** kAggregate: combine partial aggregates per group, then sort and limit. */
class AggregateMerger final : public ResultMerger {
 public:
  AggregateMerger(MergeSpec spec, size_t shards, std::vector<uint32_t> shard_types)
      : spec_(std::move(spec)), types_(std::move(shard_types)), finished_(shards, false), consumed_(shards, 0) {
    out_types_ = OutputTypes(spec_, types_);
  }

  Status Push(size_t shard, Row row) override {
    if (row.size() != spec_.shard_columns) return BadRow(shard, row.size(), spec_.shard_columns);
    consumed_[shard]++;
    std::string key = GroupKey(row);
    auto it = index_.find(key);
    if (it == index_.end()) {
      it = index_.emplace(std::move(key), groups_.size()).first;
      groups_.emplace_back(spec_.outputs.size());
      for (size_t i = 0; i < spec_.outputs.size(); i++) {
        if (spec_.outputs[i].kind == OutputKind::kColumn) {
          groups_.back()[i].value = row[static_cast<size_t>(spec_.outputs[i].source)];
        }
      }
    }
    auto& g = groups_[it->second];
    for (size_t i = 0; i < spec_.outputs.size(); i++) JADE_TRY_STATUS(Accumulate(spec_.outputs[i], g[i], row));
    return {};
  }

  Status Finish(size_t shard) override {
    finished_[shard] = true;
    if (!std::all_of(finished_.begin(), finished_.end(), [](bool f) { return f; }) || produced_) return {};
    produced_ = true;
    return Produce();
  }

  bool Pop(Row* out) override {
    if (next_ >= results_.size()) return false;
    *out = std::move(results_[next_++]);
    return true;
  }
  bool WantsMore(size_t shard) const override { return !finished_[shard]; }
  bool Done() const override { return produced_ && next_ >= results_.size(); }
  uint64_t RowsConsumed(size_t shard) const override { return consumed_[shard]; }

 private:
  struct Acc {
    Cell value;            ///< kColumn / kMin / kMax
    bool any = false;      ///< a non-NULL input was seen
    int64_t i = 0;         ///< integer sums and counts
    double f = 0;          ///< float sums
    Decimal d;             ///< numeric sums
    int64_t count = 0;     ///< kAvg denominator
  };

  ValueClass SourceClass(int col) const { return ClassifyType(types_[static_cast<size_t>(col)]); }

  // Builds the hash key of a row's group: length-prefixed cells, NULL distinct from "".
  std::string GroupKey(const Row& row) const {
    std::string key;
    for (int c : spec_.group_columns) {
      const Cell& cell = row[static_cast<size_t>(c)];
      if (!cell) {
        key += "N;";
        continue;
      }
      std::string v = *cell;
      ValueClass cls = SourceClass(c);
      if (cls == ValueClass::kNumeric) {
        // 1.0 and 1.00 are the same numeric group.
        auto d = Decimal::Parse(v);
        if (d.ok()) v = d->Add(Decimal::FromInt(0)).ToString();
        if (v.find('.') != std::string::npos) {
          while (!v.empty() && v.back() == '0') v.pop_back();
          if (!v.empty() && v.back() == '.') v.pop_back();
        }
      } else if (cls == ValueClass::kFloat && v == "-0") {
        v = "0";
      }
      key += std::to_string(v.size()) + ":" + v;
    }
    return key;
  }

  Status AddSum(ValueClass cls, const std::string& text, Acc& a) {
    switch (cls) {
      case ValueClass::kInteger: {
        auto v = ParseInt64(text);
        if (!v) return std::move(v).error();
        if (__builtin_add_overflow(a.i, *v, &a.i)) {
          return MakeError(sqlstate::kNumericValueOutOfRange, "bigint out of range");
        }
        break;
      }
      case ValueClass::kFloat: {
        auto v = ParseFloat(text);
        if (!v) return std::move(v).error();
        a.f += *v;
        break;
      }
      default: {
        auto v = Decimal::Parse(text);
        if (!v) return std::move(v).error();
        a.d = a.d.Add(*v);
      }
    }
    a.any = true;
    return {};
  }

  Status Accumulate(const OutputColumn& o, Acc& a, const Row& row) {
    const Cell& cell = row[static_cast<size_t>(o.source)];
    switch (o.kind) {
      case OutputKind::kColumn:
        return {};
      case OutputKind::kCount: {
        if (!cell) return {};
        auto v = ParseInt64(*cell);
        if (!v) return std::move(v).error();
        a.i += *v;
        a.any = true;
        return {};
      }
      case OutputKind::kSum:
        if (!cell) return {};
        return AddSum(SourceClass(o.source), *cell, a);
      case OutputKind::kMin:
      case OutputKind::kMax: {
        if (!cell) return {};
        if (!a.value) {
          a.value = cell;
          return {};
        }
        ValueClass cls = SourceClass(o.source);
        auto x = MakeKeyValue(cls, cell);
        auto y = MakeKeyValue(cls, a.value);
        if (!x) return std::move(x).error();
        if (!y) return std::move(y).error();
        int c = CompareKeyValues(*x, *y);
        if ((o.kind == OutputKind::kMin && c < 0) || (o.kind == OutputKind::kMax && c > 0)) a.value = cell;
        return {};
      }
      case OutputKind::kAvg: {
        const Cell& cnt = row[static_cast<size_t>(o.source2)];
        if (cnt) {
          auto n = ParseInt64(*cnt);
          if (!n) return std::move(n).error();
          a.count += *n;
        }
        if (!cell) return {};
        return AddSum(SourceClass(o.source), *cell, a);
      }
    }
    return {};
  }

  Cell Final(const OutputColumn& o, const Acc& a) const {
    switch (o.kind) {
      case OutputKind::kColumn:
      case OutputKind::kMin:
      case OutputKind::kMax:
        return a.value;
      case OutputKind::kCount:
        return std::to_string(a.i);
      case OutputKind::kSum: {
        if (!a.any) return std::nullopt;
        uint32_t t = types_[static_cast<size_t>(o.source)];
        switch (ClassifyType(t)) {
          case ValueClass::kInteger: return std::to_string(a.i);
          case ValueClass::kFloat: return t == oid::kFloat4 ? FormatFloat4(static_cast<float>(a.f)) : FormatFloat8(a.f);
          default: return a.d.ToString();
        }
      }
      case OutputKind::kAvg: {
        if (!a.any || a.count <= 0) return std::nullopt;
        switch (SourceClass(o.source)) {
          case ValueClass::kInteger:
            return Decimal::FromInt(a.i).DivideByCount(static_cast<uint64_t>(a.count)).ToString();
          case ValueClass::kFloat:
            return FormatFloat8(a.f / static_cast<double>(a.count));
          default:
            return a.d.DivideByCount(static_cast<uint64_t>(a.count)).ToString();
        }
      }
    }
    return std::nullopt;
  }

  Status Produce() {
    // A query without GROUP BY returns exactly one row even when no shard had rows.
    if (groups_.empty() && spec_.group_columns.empty()) groups_.emplace_back(spec_.outputs.size());
    std::vector<Row> rows;
    rows.reserve(groups_.size());
    for (const auto& g : groups_) {
      Row r;
      r.reserve(spec_.outputs.size());
      for (size_t i = 0; i < spec_.outputs.size(); i++) r.push_back(Final(spec_.outputs[i], g[i]));
      rows.push_back(std::move(r));
    }
    if (!spec_.sort.empty()) {
      std::vector<std::vector<KeyValue>> keys(rows.size());
      for (size_t r = 0; r < rows.size(); r++) {
        for (const auto& k : spec_.sort) {
          auto kv = MakeKeyValue(ClassifyType(out_types_[static_cast<size_t>(k.column)]),
                                 rows[r][static_cast<size_t>(k.column)]);
          if (!kv) return std::move(kv).error();
          keys[r].push_back(*kv);
        }
      }
      std::vector<size_t> order(rows.size());
      for (size_t i = 0; i < order.size(); i++) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return CompareKeys(spec_.sort, keys[a], keys[b]) < 0; });
      std::vector<Row> sorted;
      sorted.reserve(rows.size());
      for (size_t i : order) sorted.push_back(std::move(rows[i]));
      rows = std::move(sorted);
    }
    uint64_t end = std::min<uint64_t>(LimitEnd(spec_), rows.size());
    for (uint64_t i = spec_.offset; i < end; i++) {
      rows[i].resize(spec_.visible_outputs);
      results_.push_back(std::move(rows[i]));
    }
    return {};
  }

  MergeSpec spec_;
  std::vector<uint32_t> types_;
  std::vector<uint32_t> out_types_;
  std::vector<bool> finished_;
  std::vector<uint64_t> consumed_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::vector<Acc>> groups_;
  std::vector<Row> results_;
  size_t next_ = 0;
  bool produced_ = false;
};

// Checks that every column reference of the spec is in range.
Status Validate(const MergeSpec& spec, size_t shard_columns) {
  auto bad = [] { return MakeError(sqlstate::kInternalError, "invalid merge specification"); };
  if (spec.visible_outputs > spec.outputs.size()) return bad();
  for (const auto& o : spec.outputs) {
    if (o.source < 0 || static_cast<size_t>(o.source) >= shard_columns) return bad();
    if (o.kind == OutputKind::kAvg && (o.source2 < 0 || static_cast<size_t>(o.source2) >= shard_columns)) return bad();
    if (spec.mode != MergeMode::kAggregate && o.kind != OutputKind::kColumn) return bad();
  }
  size_t sort_limit = spec.mode == MergeMode::kAggregate ? spec.outputs.size() : shard_columns;
  for (const auto& k : spec.sort) {
    if (k.column < 0 || static_cast<size_t>(k.column) >= sort_limit) return bad();
  }
  for (int g : spec.group_columns) {
    if (g < 0 || static_cast<size_t>(g) >= shard_columns) return bad();
  }
  return {};
}

}  // namespace

Expected<std::unique_ptr<ResultMerger>> ResultMerger::Create(const MergeSpec& spec_in, size_t shard_count,
                                                             std::vector<uint32_t> shard_column_types) {
  MergeSpec spec = spec_in;
  if (spec.shard_columns == 0) spec.shard_columns = shard_column_types.size();
  if (shard_column_types.size() != spec.shard_columns) {
    return MakeError(sqlstate::kInternalError, "shard result has " + std::to_string(shard_column_types.size()) +
                                                   " columns, the merge expects " + std::to_string(spec.shard_columns));
  }
  JADE_TRY_STATUS(Validate(spec, spec.shard_columns));
  switch (spec.mode) {
    case MergeMode::kConcat:
      return std::unique_ptr<ResultMerger>(new ConcatMerger(std::move(spec), shard_count));
    case MergeMode::kSorted: {
      std::vector<ValueClass> classes;
      for (const auto& k : spec.sort) classes.push_back(ClassifyType(shard_column_types[static_cast<size_t>(k.column)]));
      return std::unique_ptr<ResultMerger>(new SortedMerger(std::move(spec), shard_count, std::move(classes)));
    }
    case MergeMode::kAggregate:
      return std::unique_ptr<ResultMerger>(
          new AggregateMerger(std::move(spec), shard_count, std::move(shard_column_types)));
  }
  return MakeError(sqlstate::kInternalError, "unknown merge mode");
}

}  // namespace jade::coord
