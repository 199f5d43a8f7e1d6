// merge_spec.cpp — output types and EXPLAIN text of a MergeSpec.
#include "merge/merge_spec.h"

namespace jade::coord {

std::vector<uint32_t> OutputTypes(const MergeSpec& spec, const std::vector<uint32_t>& shard_types) {
  std::vector<uint32_t> out;
  out.reserve(spec.outputs.size());
  for (const auto& o : spec.outputs) {
    uint32_t src = (o.source >= 0 && static_cast<size_t>(o.source) < shard_types.size())
                       ? shard_types[static_cast<size_t>(o.source)]
                       : oid::kText;
    switch (o.kind) {
      case OutputKind::kCount:
        out.push_back(oid::kInt8);
        break;
      case OutputKind::kAvg:
        out.push_back((src == oid::kFloat4 || src == oid::kFloat8) ? oid::kFloat8 : oid::kNumeric);
        break;
      default:
        out.push_back(src);
    }
  }
  return out;
}

std::string DescribeMerge(const MergeSpec& spec) {
  std::string s;
  switch (spec.mode) {
    case MergeMode::kConcat:
      s = "Merge: concatenate shard results";
      break;
    case MergeMode::kSorted:
      s = "Merge: streaming k-way merge on";
      for (size_t i = 0; i < spec.sort.size(); i++) {
        s += (i ? ", " : " ") + std::string("column ") + std::to_string(spec.sort[i].column + 1);
        if (spec.sort[i].descending) s += " DESC";
      }
      break;
    case MergeMode::kAggregate:
      s = spec.group_columns.empty() ? "Merge: combine partial aggregates"
                                     : "Merge: combine partial aggregates by " +
                                           std::to_string(spec.group_columns.size()) + " group key column(s)";
      if (!spec.sort.empty()) s += ", then sort";
      break;
  }
  if (spec.offset) s += ", offset " + std::to_string(spec.offset);
  if (spec.limit) s += ", limit " + std::to_string(*spec.limit);
  if (spec.shard_columns > spec.visible_outputs) {
    s += ", " + std::to_string(spec.shard_columns - spec.visible_outputs) + " hidden column(s) removed";
  }
  return s;
}

}  // namespace jade::coord
