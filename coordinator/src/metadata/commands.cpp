// commands.cpp — command encoding/decoding and the proposer-side helpers that choose ids.
#include "metadata/commands.h"

#include <type_traits>

#include "metadata/byte_codec.h"

namespace jade::coord {
namespace {

// Tags are part of the on-disk format: never renumber, only append.
enum Tag : uint8_t {
  kTagAddNode = 1,
  kTagRemoveNode = 2,
  kTagSetNodeActive = 3,
  kTagCreateDistributedTable = 4,
  kTagDropDistributedTable = 5,
  kTagSetTableColumns = 6,
  kTagMoveShard = 7,
};

constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

Error Corrupt(const char* what) {
  return MakeError(sqlstate::kDataCorrupted, std::string("corrupt metadata command: ") + what);
}

}  // namespace

std::string EncodeCommand(const Command& cmd) {
  ByteWriter w;
  w.U8(kCommandFormatVersion);
  std::visit(
      [&w](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddNodeCmd>) {
          w.U8(kTagAddNode);
          w.U32(c.node_id);
          w.Str(c.host);
          w.U16(c.port);
        } else if constexpr (std::is_same_v<T, RemoveNodeCmd>) {
          w.U8(kTagRemoveNode);
          w.U32(c.node_id);
        } else if constexpr (std::is_same_v<T, SetNodeActiveCmd>) {
          w.U8(kTagSetNodeActive);
          w.U32(c.node_id);
          w.Bool(c.active);
        } else if constexpr (std::is_same_v<T, CreateDistributedTableCmd>) {
          w.U8(kTagCreateDistributedTable);
          w.Str(c.schema);
          w.Str(c.name);
          w.Str(c.shard_key);
          w.U8(static_cast<uint8_t>(c.key_type));
          w.U32(c.shard_count);
          w.StrList(c.columns);
          w.U64(c.first_shard_id);
          w.U32(static_cast<uint32_t>(c.placements.size()));
          for (uint32_t p : c.placements) w.U32(p);
          if (c.key_type == KeyType::kVarchar) w.U32(static_cast<uint32_t>(c.key_length));
        } else if constexpr (std::is_same_v<T, DropDistributedTableCmd>) {
          w.U8(kTagDropDistributedTable);
          w.Str(c.schema);
          w.Str(c.name);
        } else if constexpr (std::is_same_v<T, SetTableColumnsCmd>) {
          w.U8(kTagSetTableColumns);
          w.Str(c.schema);
          w.Str(c.name);
          w.StrList(c.columns);
        } else if constexpr (std::is_same_v<T, MoveShardCmd>) {
          w.U8(kTagMoveShard);
          w.U64(c.shard_id);
          w.U32(c.to_node_id);
        }
      },
      cmd);
  return std::move(w.bytes());
}

Expected<Command> DecodeCommand(std::string_view bytes) {
  ByteReader r(bytes);
  uint8_t version = r.U8();
  if (r.failed()) return Corrupt("empty");
  if (version != kCommandFormatVersion) return Corrupt("unknown format version");
  uint8_t tag = r.U8();
  Command out;
  switch (tag) {
    case kTagAddNode: {
      AddNodeCmd c;
      c.node_id = r.U32();
      c.host = r.Str();
      c.port = r.U16();
      out = std::move(c);
      break;
    }
    case kTagRemoveNode: {
      RemoveNodeCmd c;
      c.node_id = r.U32();
      out = c;
      break;
    }
    case kTagSetNodeActive: {
      SetNodeActiveCmd c;
      c.node_id = r.U32();
      c.active = r.Bool();
      out = c;
      break;
    }
    case kTagCreateDistributedTable: {
      CreateDistributedTableCmd c;
      c.schema = r.Str();
      c.name = r.Str();
      c.shard_key = r.Str();
      uint8_t kt = r.U8();
      if (kt < static_cast<uint8_t>(KeyType::kInt2) || kt > static_cast<uint8_t>(KeyType::kUuid)) r.Fail();
      c.key_type = static_cast<KeyType>(kt);
      c.shard_count = r.U32();
      c.columns = r.StrList();
      c.first_shard_id = r.U64();
      uint32_t n = r.U32();
      if (n > r.remaining() / 4) r.Fail();
      for (uint32_t i = 0; i < n && !r.failed(); i++) c.placements.push_back(r.U32());
      if (c.key_type == KeyType::kVarchar) {
        c.key_length = r.remaining() >= 4 ? static_cast<int32_t>(r.U32()) : kUnknownKeyLength;
      }
      out = std::move(c);
      break;
    }
    case kTagDropDistributedTable: {
      DropDistributedTableCmd c;
      c.schema = r.Str();
      c.name = r.Str();
      out = std::move(c);
      break;
    }
    case kTagSetTableColumns: {
      SetTableColumnsCmd c;
      c.schema = r.Str();
      c.name = r.Str();
      c.columns = r.StrList();
      out = std::move(c);
      break;
    }
    case kTagMoveShard: {
      MoveShardCmd c;
      c.shard_id = r.U64();
      c.to_node_id = r.U32();
      out = c;
      break;
    }
    default:
      return Corrupt("unknown command tag");
  }
  if (r.failed()) return Corrupt("truncated");
  if (!r.at_end()) return Corrupt("trailing bytes");
  return out;
}

std::string DescribeCommand(const Command& cmd) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddNodeCmd>) {
          return "add node " + std::to_string(c.node_id) + " " + c.host + ":" + std::to_string(c.port);
        } else if constexpr (std::is_same_v<T, RemoveNodeCmd>) {
          return "remove node " + std::to_string(c.node_id);
        } else if constexpr (std::is_same_v<T, SetNodeActiveCmd>) {
          return std::string(c.active ? "activate" : "deactivate") + " node " + std::to_string(c.node_id);
        } else if constexpr (std::is_same_v<T, CreateDistributedTableCmd>) {
          return "distribute " + c.schema + "." + c.name + " by " + c.shard_key + " into " +
                 std::to_string(c.shard_count) + " shards from " + std::to_string(c.first_shard_id);
        } else if constexpr (std::is_same_v<T, DropDistributedTableCmd>) {
          return "drop distributed table " + c.schema + "." + c.name;
        } else if constexpr (std::is_same_v<T, SetTableColumnsCmd>) {
          return "set columns of " + c.schema + "." + c.name;
        } else {
          return "move shard " + std::to_string(c.shard_id) + " to node " + std::to_string(c.to_node_id);
        }
      },
      cmd);
}

Expected<AddNodeCmd> MakeAddNode(const Catalog& catalog, const std::string& host, int64_t port) {
  if (host.empty()) return MakeError(sqlstate::kInvalidParameterValue, "node host must not be empty");
  if (port <= 0 || port > 65535) {
    return MakeError(sqlstate::kInvalidParameterValue, "invalid node port " + std::to_string(port),
                     "Ports are between 1 and 65535.");
  }
  if (const Node* n = catalog.FindNodeByAddress(host, static_cast<uint16_t>(port))) {
    return MakeError(sqlstate::kDuplicateObject,
                     "node " + host + ":" + std::to_string(port) + " already exists with id " + std::to_string(n->id));
  }
  AddNodeCmd c;
  c.node_id = catalog.next_node_id();
  c.host = host;
  c.port = static_cast<uint16_t>(port);
  return c;
}

Expected<CreateDistributedTableCmd> MakeCreateDistributedTable(const Catalog& catalog, const std::string& schema,
                                                               const std::string& name, const std::string& shard_key,
                                                               KeyType key_type, int64_t shard_count,
                                                               std::vector<std::string> columns,
                                                               int32_t key_length) {
  if (catalog.FindTable(schema, name)) {
    return MakeError(sqlstate::kDuplicateTable, "table \"" + name + "\" is already distributed");
  }
  if (shard_count < 1 || shard_count > kMaxShardCount) {
    return MakeError(sqlstate::kInvalidParameterValue, "shard_count must be between 1 and " +
                                                           std::to_string(kMaxShardCount));
  }
  bool key_found = false;
  for (const auto& c : columns) key_found |= c == shard_key;
  if (!key_found) {
    return MakeError(sqlstate::kUndefinedColumn,
                     "column \"" + shard_key + "\" of relation \"" + name + "\" does not exist");
  }
  std::vector<uint32_t> active;
  for (const auto& [id, n] : catalog.nodes()) {
    if (n.active) active.push_back(id);
  }
  if (active.empty()) {
    return MakeError(sqlstate::kObjectNotInPrerequisiteState, "no active worker nodes",
                     {}, "Add a node with SELECT jade_add_node('host', port).");
  }
  uint64_t last_id = catalog.next_shard_id() + static_cast<uint64_t>(shard_count) - 1;
  if (name.size() + 1 + std::to_string(last_id).size() > kMaxIdentifierBytes) {
    return MakeError("42622", "table name \"" + name + "\" is too long for shard names",
                     "Shard tables are named <table>_<shard id> and must fit in 63 bytes.");
  }
  CreateDistributedTableCmd c;
  c.schema = schema;
  c.name = name;
  c.shard_key = shard_key;
  c.key_type = key_type;
  c.shard_count = static_cast<uint32_t>(shard_count);
  c.columns = std::move(columns);
  c.key_length = key_type == KeyType::kVarchar ? key_length : -1;
  c.first_shard_id = catalog.next_shard_id();
  for (int64_t i = 0; i < shard_count; i++) c.placements.push_back(active[static_cast<size_t>(i) % active.size()]);
  return c;
}

}  // namespace jade::coord
