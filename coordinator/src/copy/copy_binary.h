// copy_binary.h — PostgreSQL's binary COPY format, as much as splitting it by shard needs.
//
// A binary COPY stream (PostgreSQL docs, "Binary Format"; copyfromparse.c) is an 11-byte
// signature "PGCOPY\n\377\r\n\0", a 32-bit flags word (bit 16: OIDs included, which PostgreSQL 12+
// refuses; bits 17-31 are critical and must be 0), a 32-bit header-extension length and that many
// bytes; then tuples: a 16-bit field count and per field a 32-bit length (-1 = NULL) and the
// bytes; the trailer is a field count of -1. All integers are big-endian. The splitter forwards
// each tuple's bytes unchanged; every shard's stream gets the client's header first and the
// trailer last. Pure functions over byte strings.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sharding/hash.h"
#include "util/expected.h"

namespace jade::coord::copy_binary {

/** The 2-byte trailer: field count -1. */
constexpr std::string_view kTrailer{"\xff\xff", 2};

/** Length of the complete header at the start of `data`; 0 when more bytes are needed; 22P04 if invalid. */
Expected<size_t> HeaderLength(std::string_view data);

/** One tuple at the start of the data. */
struct Tuple {
  size_t length = 0;                    ///< 0: more bytes are needed
  bool trailer = false;                 ///< the end-of-data marker (length 2)
  std::optional<std::string_view> key;  ///< bytes of the key field (nullopt = NULL), into the data
};

/** Parses the tuple at the start of `data`, extracting field `key_field`; 22P04 if malformed. */
Expected<Tuple> ParseTuple(std::string_view data, int key_field);

/** The text form of a key sent in binary (what the shard hash takes); 22P03 for a wrong size. */
Expected<std::string> KeyText(KeyType type, std::string_view bytes);

}  // namespace jade::coord::copy_binary
