// store.h — durable metadata: a command log plus a snapshot in the coordinator's data directory.
//
// Files in `dir`:
//   metadata.snapshot  EncodeCatalog() bytes framed as one record (see below); written to a temp
//                      file, fsync'd, renamed over the old one, directory fsync'd.
//   metadata.log       records appended after the snapshot, each fsync'd before Append returns.
// Record framing: u32 payload length, u32 CRC-32C of the payload, payload (LE).
// Log payload: u64 command index, then EncodeCommand() bytes.
//
// Open() loads the snapshot, then replays log records whose index is above the snapshot's.
// A torn or corrupt tail (a crash mid-append) is truncated away: everything before it was
// fsync'd and acknowledged, the torn record never was. Corruption before the tail (a valid
// record after a bad one) is reported as XX001 rather than silently dropping commands.
//
// File I/O lives only here; the state machine itself stays pure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "metadata/catalog.h"
#include "metadata/commands.h"
#include "util/expected.h"

namespace jade::coord {

class MetadataStore {
 public:
  /** Opens (creating if needed) the store in `dir` and replays it. 58030 on I/O errors. */
  static Expected<std::unique_ptr<MetadataStore>> Open(const std::string& dir);
  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  /** The current catalog (reflects every successful Append). */
  const Catalog& catalog() const { return catalog_; }

  /**
   * Validates `cmd` against the current catalog, appends it durably (write + fsync), then
   * applies it. On any error the catalog and the log are unchanged.
   */
  Status Append(const Command& cmd);

  /** Writes a snapshot of the current catalog and empties the log. */
  Status Compact();

  /** Number of records currently in the log (since the last snapshot). */
  uint64_t log_records() const { return log_records_; }
  /** True when Open() cut a torn tail off the log. */
  bool truncated_torn_tail() const { return truncated_tail_; }

 private:
  explicit MetadataStore(std::string dir) : dir_(std::move(dir)) {}
  Status Load();

  std::string dir_;
  Catalog catalog_;
  int log_fd_ = -1;
  uint64_t log_records_ = 0;
  bool truncated_tail_ = false;
};

/** CRC-32C (Castagnoli) of a byte range; exposed for tests. */
uint32_t Crc32c(const void* data, size_t len);

}  // namespace jade::coord
