// copy_split.h — splits a COPY FROM STDIN data stream (text or CSV) into rows routed to shards.
//
// The executor feeds CopyData payloads as they arrive (any chunking: a row may span messages);
// for each complete row the splitter extracts just the shard-key field, hashes it
// (sharding/hash.h) and calls the sink with the shard index and the row's exact bytes
// (including its line terminator), which the executor appends to that shard's COPY stream.
// Rows are never re-encoded, so the shard receives byte-for-byte what the client sent.
//
// Text format: fields separated by `delimiter`, backslash escapes (\t \n \\ \N, octal, hex),
//   `\.` alone on a line ends the data, "\r\n" or "\n" line ends. NULL = `null_string` (\N).
// CSV format: `quote`/`escape` quoting, quoted fields may contain delimiters and newlines,
//   NULL = unquoted `null_string` (empty), optional HEADER line (skipped, not forwarded),
//   `\.` alone on a line ends the data.
// Binary format (copy_binary.h): the header is parsed and kept (binary_header()), each tuple is a
//   row, the key field is decoded from its binary form; the trailer ends the data. The caller
//   gives every shard stream the header first and the trailer last.
// Memory: only the current partial row is buffered (bounded by kMaxCopyRowBytes → 54000).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sharding/hash.h"
#include "util/expected.h"

namespace jade::coord {

constexpr size_t kMaxCopyRowBytes = 64u << 20;

struct CopyFormat {
  bool binary = false;          ///< FORMAT binary (the other fields do not apply)
  bool csv = false;
  char delimiter = '\t';        ///< ',' for CSV
  char quote = '"';             ///< CSV only
  char escape = '"';            ///< CSV only
  std::string null_string = "\\N";  ///< "" for CSV
  bool header = false;          ///< HEADER: first line skipped (CSV, and text since PG 15)

  /** PostgreSQL's defaults for text (csv=false) or CSV (csv=true). */
  static CopyFormat Text();
  static CopyFormat Csv();
  static CopyFormat Binary();
};

/** Receives one complete row (bytes including its line terminator) for a shard index. */
using CopyRowSink = std::function<void(uint32_t shard_index, std::string_view row)>;

class CopySplitter {
 public:
  /** `key_field`: 0-based position of the shard key among the COPY's columns. */
  /** `key_length`: a varchar(n) key's n (its stored value drops excess spaces), -1 for none. */
  CopySplitter(CopyFormat format, int key_field, KeyType key_type, uint32_t shard_count, int32_t key_length = -1);

  /**
   * Consumes `data`; calls `sink` for each complete row. A NULL key goes to shard index 0, as
   * PostgreSQL's hash partitioning places it (a NOT NULL key column then refuses it on the shard).
   * Errors: 22P04 malformed.
   */
  Status Feed(std::string_view data, const CopyRowSink& sink);
  /** Ends the stream: flushes a final row without a line terminator; 22P04 on an open quote. */
  Status Finish(const CopyRowSink& sink);

  /** Bytes held for an incomplete row. */
  size_t buffered_bytes() const { return partial_.size(); }
  /** Data rows routed so far (header and end marker excluded). */
  uint64_t rows() const { return rows_; }
  /** True once the `\.` end marker (binary: the trailer) was seen (later data is ignored). */
  bool ended() const { return ended_; }
  /** Binary format: the client's header bytes once parsed (every shard stream starts with them). */
  const std::string& binary_header() const { return binary_header_; }

 private:
  Status FeedBinary(const CopyRowSink& sink);
  Status ProcessRow(std::string_view row, const CopyRowSink& sink);
  Status Route(const std::optional<std::string>& key, std::string_view row, const CopyRowSink& sink);
  Expected<std::optional<std::string>> ExtractKey(std::string_view line) const;
  size_t FindRowEnd(std::string_view data, size_t from);
  Error RowError(const char* state, const std::string& message) const;

  CopyFormat format_;
  int key_field_;
  KeyType key_type_;
  int32_t key_length_ = -1;
  uint32_t shard_count_;
  std::string partial_;
  bool in_quote_ = false;   ///< CSV: inside a quoted field (scan state carried across Feed() calls)
  bool escape_pending_ = false;  ///< the previous byte was an escape (text: '\\'; CSV: escape in quotes)
  size_t scanned_ = 0;      ///< bytes of partial_ already scanned for a row end
  bool header_pending_;
  bool ended_ = false;
  uint64_t rows_ = 0;
  uint64_t line_no_ = 0;
  std::string binary_header_;
};

}  // namespace jade::coord
