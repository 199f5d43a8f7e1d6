// Metadata: command encoding, deterministic state machine, durable store with torn-tail handling.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "metadata/state_machine.h"
#include "metadata/store.h"

using namespace jade::coord;

namespace {

// Returns a fresh, empty temporary directory unique to this test run.
std::string TempDir(const std::string& tag) {
  static std::mt19937_64 rng(std::random_device{}());
  auto dir = std::filesystem::temp_directory_path() / ("jade_cb_" + tag + "_" + std::to_string(::getpid()) + "_" +
                                                       std::to_string(rng()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

// Builds a small cluster: 3 nodes and one 4-shard table.
std::vector<Command> ClusterCommands() {
  Catalog c;
  std::vector<Command> cmds;
  for (int port : {5433, 5434, 5435}) {
    auto add = MakeAddNode(c, "127.0.0.1", port);
    REQUIRE(add.ok());
    cmds.push_back(*add);
    REQUIRE(ApplyCommand(c, *add).ok());
  }
  auto dist = MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 4, {"id", "category", "embedding"});
  REQUIRE(dist.ok());
  cmds.push_back(*dist);
  return cmds;
}

}  // namespace

TEST_CASE("commands round-trip through their encoding", "[metadata]") {
  for (const Command& cmd : ClusterCommands()) {
    auto bytes = EncodeCommand(cmd);
    auto back = DecodeCommand(bytes);
    REQUIRE(back.ok());
    CHECK(*back == cmd);
    // Every truncation is rejected as corrupt, never misread.
    for (size_t n = 0; n < bytes.size(); n++) {
      auto cut = DecodeCommand(std::string_view(bytes).substr(0, n));
      REQUIRE_FALSE(cut.ok());
      CHECK(cut.error().sqlstate == "XX001");
    }
    CHECK_FALSE(DecodeCommand(bytes + "x").ok());
  }
  CHECK_FALSE(DecodeCommand(std::string("\x01\x63", 2)).ok());  // unknown tag
  CHECK_FALSE(DecodeCommand(std::string("\x09\x01", 2)).ok());  // unknown version
}

TEST_CASE("state machine builds nodes, shards and placements deterministically", "[metadata]") {
  Catalog a, b;
  for (const auto& cmd : ClusterCommands()) {
    REQUIRE(ApplyCommand(a, cmd).ok());
    REQUIRE(ApplyCommand(b, DecodeCommand(EncodeCommand(cmd)).value()).ok());
  }
  CHECK(a == b);
  CHECK(a.applied_index() == 4);
  REQUIRE(a.DefaultNode() != nullptr);
  CHECK(a.DefaultNode()->id == 1);
  const DistributedTable* t = a.FindTable("public", "items");
  REQUIRE(t);
  CHECK(t->KeyColumnIndex() == 0);
  auto shards = a.ShardsOf(*t);
  REQUIRE(shards.size() == 4);
  CHECK(shards[0]->id == 102008);
  CHECK(shards[0]->RelName() == "items_102008");
  CHECK(shards[3]->RelName() == "items_102011");
  // Round-robin placement over nodes 1,2,3.
  CHECK(shards[0]->node_id == 1);
  CHECK(shards[1]->node_id == 2);
  CHECK(shards[2]->node_id == 3);
  CHECK(shards[3]->node_id == 1);
  CHECK(a.next_shard_id() == 102012);
  // Snapshot round trip.
  auto decoded = DecodeCatalog(EncodeCatalog(a));
  REQUIRE(decoded.ok());
  CHECK(*decoded == a);
}

TEST_CASE("invalid commands are rejected and leave the catalog unchanged", "[metadata]") {
  Catalog c;
  for (const auto& cmd : ClusterCommands()) REQUIRE(ApplyCommand(c, cmd).ok());
  const Catalog before = c;
  auto dup = ApplyCommand(c, AddNodeCmd{9, "127.0.0.1", 5433});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().sqlstate == "42710");
  CHECK(ApplyCommand(c, AddNodeCmd{2, "127.0.0.1", 6000}).error().sqlstate == "42710");  // id reuse
  CHECK(ApplyCommand(c, RemoveNodeCmd{1}).error().sqlstate == "55006");                   // default node
  CHECK(ApplyCommand(c, RemoveNodeCmd{2}).error().sqlstate == "55006");                   // holds shards
  CHECK(ApplyCommand(c, RemoveNodeCmd{42}).error().sqlstate == "42704");
  CHECK(ApplyCommand(c, DropDistributedTableCmd{"public", "nope"}).error().sqlstate == "42P01");
  CHECK(ApplyCommand(c, SetTableColumnsCmd{"public", "items", {"category"}}).error().sqlstate == "0A000");
  CHECK(ApplyCommand(c, MoveShardCmd{1, 2}).error().sqlstate == "42704");
  CHECK(c == before);
  CHECK(MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 4, {"id"}).error().sqlstate == "42P07");
  CHECK(MakeCreateDistributedTable(c, "public", "t", "nope", KeyType::kInt8, 4, {"id"}).error().sqlstate == "42703");
  CHECK(MakeCreateDistributedTable(c, "public", "t", "id", KeyType::kInt8, 0, {"id"}).error().sqlstate == "22023");
  CHECK(MakeCreateDistributedTable(Catalog{}, "public", "t", "id", KeyType::kInt8, 2, {"id"}).error().sqlstate ==
        "55000");
  CHECK(MakeAddNode(c, "127.0.0.1", 70000).error().sqlstate == "22023");
  // A valid sequence after rejections continues normally.
  REQUIRE(ApplyCommand(c, MoveShardCmd{102008, 2}).ok());
  CHECK(c.FindShard(102008)->node_id == 2);
  REQUIRE(ApplyCommand(c, DropDistributedTableCmd{"public", "items"}).ok());
  CHECK(c.shards().empty());
  REQUIRE(ApplyCommand(c, RemoveNodeCmd{3}).ok());
  CHECK(c.nodes().size() == 2);
}

TEST_CASE("store persists commands and replays them after restart", "[metadata][store]") {
  std::string dir = TempDir("store");
  Catalog expected;
  {
    auto store = MetadataStore::Open(dir);
    REQUIRE(store.ok());
    for (const auto& cmd : ClusterCommands()) {
      REQUIRE((*store)->Append(cmd).ok());
      REQUIRE(ApplyCommand(expected, cmd).ok());
    }
    // A rejected command is not logged.
    CHECK_FALSE((*store)->Append(RemoveNodeCmd{1}).ok());
    CHECK((*store)->log_records() == 4);
    CHECK((*store)->catalog() == expected);
  }
  {
    auto store = MetadataStore::Open(dir);
    REQUIRE(store.ok());
    CHECK((*store)->catalog() == expected);
    CHECK_FALSE((*store)->truncated_torn_tail());
    // Compact, append more, reopen: snapshot + log.
    REQUIRE((*store)->Compact().ok());
    CHECK((*store)->log_records() == 0);
    auto add = MakeAddNode((*store)->catalog(), "10.0.0.9", 5432);
    REQUIRE((*store)->Append(*add).ok());
    REQUIRE(ApplyCommand(expected, *add).ok());
  }
  auto store = MetadataStore::Open(dir);
  REQUIRE(store.ok());
  CHECK((*store)->catalog() == expected);
  CHECK((*store)->log_records() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("store truncates a torn tail but refuses corruption in the middle", "[metadata][store]") {
  std::string dir = TempDir("torn");
  auto cmds = ClusterCommands();
  {
    auto store = MetadataStore::Open(dir);
    REQUIRE(store.ok());
    for (const auto& cmd : cmds) REQUIRE((*store)->Append(cmd).ok());
  }
  const std::string log = dir + "/metadata.log";
  auto full = std::filesystem::file_size(log);
  // Simulate a crash mid-append: cut the last record in half.
  std::filesystem::resize_file(log, full - 5);
  {
    auto store = MetadataStore::Open(dir);
    REQUIRE(store.ok());
    CHECK((*store)->truncated_torn_tail());
    CHECK((*store)->catalog().applied_index() == 3);
    CHECK((*store)->catalog().tables().empty());
    // Appending after the truncation works and survives another restart.
    REQUIRE((*store)->Append(cmds[3]).ok());
  }
  {
    auto store = MetadataStore::Open(dir);
    REQUIRE(store.ok());
    CHECK((*store)->catalog().applied_index() == 4);
    CHECK((*store)->catalog().FindTable("public", "items") != nullptr);
  }
  // Flip a byte inside the first record: valid records follow, so this is corruption, not a tear.
  {
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    char ch = 0;
    f.read(&ch, 1);
    f.seekp(12);
    ch = static_cast<char>(ch ^ 0x5a);
    f.write(&ch, 1);
  }
  auto bad = MetadataStore::Open(dir);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().sqlstate == "XX001");
  std::filesystem::remove_all(dir);
}

TEST_CASE("store reports an unusable directory", "[metadata][store]") {
  auto r = MetadataStore::Open("/proc/jade_cb_cannot_exist/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().sqlstate == "58030");
}
