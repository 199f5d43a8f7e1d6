// Shard hashing must equal PostgreSQL 15's hash partitioning. Every expected value below was
// computed by a real PostgreSQL 15 server (queries quoted next to each table), not by our code.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "sharding/hash.h"

using namespace jade::coord;

TEST_CASE("hashint8extended matches PostgreSQL", "[hash]") {
  // SELECT v, hashint8extended(v, 8816678312871386365) FROM unnest(ARRAY[...]::int8[]) v;
  const std::vector<std::pair<int64_t, int64_t>> vectors = {
      {0, -4403592609991167795},
      {1, 5968994663651403477},
      {5, -2840406021921404358},
      {-1, -5017072347659237694},
      {42, 7363975540656877951},
      {1000000, 4098724818956435368},
      {INT64_MIN, -6050265599104649060},
      {INT64_MAX, 4938542303000433043},
      {4294967296, 5968994663651403477},
      {-4294967297, 2147707635919668551},
  };
  for (auto [v, expected] : vectors) {
    INFO("value " << v);
    CHECK(static_cast<int64_t>(HashInt8Extended(v, kHashPartitionSeed)) == expected);
  }
}

TEST_CASE("hashint4extended matches PostgreSQL", "[hash]") {
  // SELECT v, hashint4extended(v, 8816678312871386365) ...; SELECT hashint4extended(7, 0);
  CHECK(static_cast<int64_t>(HashInt4Extended(0, kHashPartitionSeed)) == -4403592609991167795);
  CHECK(static_cast<int64_t>(HashInt4Extended(5, kHashPartitionSeed)) == -2840406021921404358);
  CHECK(static_cast<int64_t>(HashInt4Extended(2147483647, kHashPartitionSeed)) == -6050265599104649060);
  CHECK(static_cast<int64_t>(HashInt4Extended(INT32_MIN, kHashPartitionSeed)) == 4938542303000433043);
  CHECK(static_cast<int64_t>(HashInt4Extended(7, 0)) == -3288951424994980865);
}

TEST_CASE("hashtextextended matches PostgreSQL for all tail lengths", "[hash]") {
  // SELECT v, hashtextextended(v, 8816678312871386365) FROM unnest(ARRAY[...]) v;
  const std::vector<std::pair<std::string, int64_t>> vectors = {
      {"", -5700645584453517373},
      {"a", -6705225459120232837},
      {"abc", 3628778498291917250},
      {"hello world", 7664296498819024037},
      {"abcdefghijkl", -7876791541613377658},
      {"abcdefghijklm", -6785754114725280077},
      {"The quick brown fox jumps over the lazy dog", 5870222023910117606},
      {"\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9", 8638928458670556672},  // 'ünïcødé' in UTF-8
  };
  for (const auto& [v, expected] : vectors) {
    INFO("value '" << v << "'");
    CHECK(static_cast<int64_t>(HashBytesExtended(v.data(), v.size(), kHashPartitionSeed)) == expected);
  }
  // Seed 0 skips the seeding mix: SELECT hashtextextended('', 0), hashtextextended('abc', 0);
  CHECK(static_cast<int64_t>(HashBytesExtended("", 0, 0)) == -6939563903564495251);
  CHECK(static_cast<int64_t>(HashBytesExtended("abc", 3, 0)) == -6747756470228489321);
}

TEST_CASE("uuid hashing matches PostgreSQL", "[hash]") {
  // SELECT uuid_hash_extended('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 8816678312871386365);
  auto h = PartitionHash(KeyType::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  REQUIRE(h.ok());
  CHECK(*h == HashCombine64(0, static_cast<uint64_t>(int64_t{424513190990560493})));
  auto braces = PartitionHash(KeyType::kUuid, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}");
  REQUIRE(braces.ok());
  CHECK(*braces == *h);
  CHECK_FALSE(PartitionHash(KeyType::kUuid, "a0eebc99").ok());
}

// Placement = the partition a PG hash-partitioned table puts the row in:
//   CREATE TABLE p8 (id int8) PARTITION BY HASH (id);  8 partitions, MODULUS 8 REMAINDER i;
//   INSERT ...; SELECT id, tableoid::regclass FROM p8;
TEST_CASE("shard placement equals PostgreSQL hash partitioning (bigint, 8)", "[hash]") {
  const std::vector<std::pair<std::string, uint32_t>> expected = {
      {"-100", 7}, {"-1", 5}, {"0", 0}, {"1", 0}, {"2", 2}, {"3", 1}, {"4", 3}, {"5", 5}, {"6", 3},
      {"7", 7}, {"8", 5}, {"9", 5}, {"10", 7}, {"42", 2}, {"100", 1}, {"1000000", 3},
      {"9223372036854775807", 6}};
  for (const auto& [key, shard] : expected) {
    INFO("key " << key);
    auto idx = ShardIndexForKey(KeyType::kInt8, key, 8);
    REQUIRE(idx.ok());
    CHECK(*idx == shard);
  }
}

TEST_CASE("shard placement equals PostgreSQL hash partitioning (integer, 5)", "[hash]") {
  // CREATE TABLE i5 (k int4) PARTITION BY HASH (k); MODULUS 5; INSERT generate_series(-3,12)
  const uint32_t expected[] = {0, 4, 4, 3, 0, 1, 1, 0, 0, 2, 2, 3, 4, 4, 1, 3};
  for (int k = -3; k <= 12; k++) {
    INFO("key " << k);
    auto idx = ShardIndexForKey(KeyType::kInt4, std::to_string(k), 5);
    REQUIRE(idx.ok());
    CHECK(*idx == expected[k + 3]);
  }
}

TEST_CASE("shard placement equals PostgreSQL hash partitioning (text, 3)", "[hash]") {
  // CREATE TABLE t3 (k text) PARTITION BY HASH (k); MODULUS 3
  const std::vector<std::pair<std::string, uint32_t>> expected = {
      {"", 2}, {"a", 2}, {"abc", 1}, {"alpha", 2}, {"beta", 0}, {"delta", 2}, {"gamma", 1},
      {"hello world", 1}, {"\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9", 2}};
  for (const auto& [key, shard] : expected) {
    INFO("key '" << key << "'");
    auto idx = ShardIndexForKey(KeyType::kText, key, 3);
    REQUIRE(idx.ok());
    CHECK(*idx == shard);
  }
}

TEST_CASE("key text parsing follows PostgreSQL input rules", "[hash]") {
  CHECK(ShardIndexForKey(KeyType::kInt8, " 42 ", 8).ok());
  CHECK(*ShardIndexForKey(KeyType::kInt8, "+42", 8) == *ShardIndexForKey(KeyType::kInt8, "42", 8));
  auto bad = ShardIndexForKey(KeyType::kInt8, "4x2", 8);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().sqlstate == "22P02");
  auto big = ShardIndexForKey(KeyType::kInt4, "2147483648", 8);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().sqlstate == "22003");
  CHECK(ShardIndexForKey(KeyType::kInt8, "-9223372036854775808", 8).ok());
  CHECK_FALSE(ShardIndexForKey(KeyType::kInt8, "9223372036854775808", 8).ok());
  CHECK_FALSE(ShardIndexForKey(KeyType::kInt2, "", 8).ok());
  CHECK(KeyTypeFromName("character varying(20)").value() == KeyType::kVarchar);
  CHECK(KeyTypeFromName("bigint").value() == KeyType::kInt8);
  CHECK(KeyTypeFromName("vector(3)").error().sqlstate == "0A000");
}
