// result_merger.h — the streaming merger the executor drives with shard rows.
//
// Protocol (single-threaded, on the event loop):
//   auto m = ResultMerger::Create(spec, shards, shard_column_types);
//   loop: for a shard s with WantsMore(s): read rows, m->Push(s, row) ...; at end m->Finish(s)
//         while (m->Pop(&row)) send row to client
//   until m->Done(). Shards with !WantsMore(s) need not be read further (their query may be
//   cancelled or its remaining rows discarded); that is the early-stop of the top-k merge.
// Errors (a cell that is not a valid value of its type, numeric overflow) end the query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "merge/merge_spec.h"
#include "merge/row.h"
#include "util/expected.h"

namespace jade::coord {

class ResultMerger {
 public:
  /** Builds the merger for `spec` over `shard_count` shards; 0A000/XX000 on an invalid spec. */
  static Expected<std::unique_ptr<ResultMerger>> Create(const MergeSpec& spec, size_t shard_count,
                                                        std::vector<uint32_t> shard_column_types);
  virtual ~ResultMerger() = default;

  /** Hands one row of shard `shard` to the merger (rows of a shard arrive in shard order). */
  virtual Status Push(size_t shard, Row row) = 0;
  /** Declares that shard `shard` returns no more rows. */
  virtual Status Finish(size_t shard) = 0;
  /** Moves the next output row (visible columns only) into *out; false when none is ready yet. */
  virtual bool Pop(Row* out) = 0;
  /** True while the merger needs more rows from `shard` to make progress. */
  virtual bool WantsMore(size_t shard) const = 0;
  /** True when every output row has been popped (or can never be produced). */
  virtual bool Done() const = 0;
  /** Rows of `shard` the merger has taken out of its input (for the early-stop property). */
  virtual uint64_t RowsConsumed(size_t shard) const = 0;
};

}  // namespace jade::coord
