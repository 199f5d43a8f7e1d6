// hash.h — PostgreSQL-compatible shard-key hashing, bit-exact with PG 15 hash partitioning.
//
// Placement rule (documented in coordinator/README.md, reproducible from SQL):
//
//   row_hash = hash_combine64(0, <type>extended(key, HASH_PARTITION_SEED))
//   shard    = row_hash % shard_count          (unsigned 64-bit modulo)
//
// which is exactly how PostgreSQL places a row into `PARTITION BY HASH (key)` partition
// `FOR VALUES WITH (MODULUS shard_count, REMAINDER shard)` (partbounds.c:
// compute_partition_hash_value). So `satisfies_hash_partition('<hash-partitioned table>'::regclass,
// n, i, key)` is true exactly for the keys we place in shard index i of an n-shard table, and
// `hashint8extended(key, 8816678312871386365)` reproduces the per-type hash.
//
// Per type (hashfunc.c / hashfn.c, lookup3 by Bob Jenkins as PostgreSQL implements it):
//   int2, int4 : hash_uint32_extended((uint32) value)
//   int8       : hash_uint32_extended(lo ^ (value >= 0 ? hi : ~hi))   (so int8 5 == int4 5)
//   text/varchar (deterministic collation): hash_bytes_extended(bytes)
//   uuid       : hash_bytes_extended(16 raw bytes)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord {

/** PostgreSQL's HASH_PARTITION_SEED (partition.h). */
constexpr uint64_t kHashPartitionSeed = UINT64_C(0x7A5B22367996DCFD);

/** Shard key types the coordinator can hash. */
enum class KeyType : uint8_t { kInt2 = 1, kInt4 = 2, kInt8 = 3, kText = 4, kVarchar = 5, kUuid = 6 };

/** PostgreSQL type OID of a KeyType (int2 21, int4 23, int8 20, text 25, varchar 1043, uuid 2950). */
uint32_t KeyTypeOid(KeyType type);
/** SQL type name of a KeyType ("bigint", "text", ...). */
const char* KeyTypeName(KeyType type);
/** Maps a PostgreSQL type name as format_type() prints it ("integer", "character varying(20)"). */
Expected<KeyType> KeyTypeFromName(std::string_view type_name);
/** Maps a type OID; fails with 0A000 for types that cannot be shard keys. */
Expected<KeyType> KeyTypeFromOid(uint32_t oid);

/** hash_bytes_extended(): lookup3 over bytes, 64-bit result, PostgreSQL's seeding. */
uint64_t HashBytesExtended(const void* data, size_t len, uint64_t seed);
/** hash_bytes_uint32_extended(). */
uint64_t HashUint32Extended(uint32_t value, uint64_t seed);
/** hashint4extended() (also used for int2). */
uint64_t HashInt4Extended(int32_t value, uint64_t seed);
/** hashint8extended(). */
uint64_t HashInt8Extended(int64_t value, uint64_t seed);
/** hash_combine64() from common/hashfn.h. */
uint64_t HashCombine64(uint64_t a, uint64_t b);

/**
 * The partition hash of one key value given in PostgreSQL text form ("42", "abc",
 * "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"): hash_combine64(0, typehash(value, seed)).
 * Fails with 22P02 / 22003 when the text is not a valid value of `type`.
 */
Expected<uint64_t> PartitionHash(KeyType type, std::string_view text_value);

/** Shard index (remainder) for a partition hash: hash % shard_count. */
inline uint32_t ShardIndexForHash(uint64_t hash, uint32_t shard_count) {
  return static_cast<uint32_t>(hash % shard_count);
}

/** Convenience: shard index of a key in text form. */
Expected<uint32_t> ShardIndexForKey(KeyType type, std::string_view text_value, uint32_t shard_count);

/**
 * The value varchar(`length`) input stores for `text`: characters beyond `length` are dropped
 * when they are all spaces (PostgreSQL's varchar input; other excess characters are an error,
 * left to the server). `length` < 0: no limit.
 */
std::string VarcharStored(std::string_view text, int32_t length);

}  // namespace jade::coord
