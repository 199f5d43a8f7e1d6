// state_machine.cpp — deterministic application of metadata commands, and snapshot encoding.
//
// Each Apply* validates everything first and mutates only after all checks passed.
#include "metadata/state_machine.h"

#include <set>
#include <type_traits>

#include "metadata/byte_codec.h"

namespace jade::coord {

// Version 2 added DistributedTable::key_length; version 1 snapshots still load.
constexpr uint8_t kSnapshotFormatVersion = 2;

/** The only code allowed to modify a Catalog's internals. */
class CatalogMutator {
 public:
  explicit CatalogMutator(Catalog& c) : c_(c) {}

  // Registers a node; the first node becomes the default node.
  Status Apply(const AddNodeCmd& cmd) {
    if (cmd.node_id < c_.next_node_id_ || c_.nodes_.count(cmd.node_id)) {
      return MakeError(sqlstate::kDuplicateObject, "node id " + std::to_string(cmd.node_id) + " is already used");
    }
    if (c_.FindNodeByAddress(cmd.host, cmd.port)) {
      return MakeError(sqlstate::kDuplicateObject,
                       "node " + cmd.host + ":" + std::to_string(cmd.port) + " already exists");
    }
    if (cmd.host.empty() || cmd.port == 0) return MakeError(sqlstate::kInvalidParameterValue, "invalid node address");
    Node n;
    n.id = cmd.node_id;
    n.host = cmd.host;
    n.port = cmd.port;
    n.is_default = c_.DefaultNode() == nullptr;
    n.active = true;
    c_.nodes_[n.id] = n;
    c_.next_node_id_ = cmd.node_id + 1;
    return {};
  }

  // Removes a node without placements that is not the default node.
  Status Apply(const RemoveNodeCmd& cmd) {
    const Node* n = c_.FindNode(cmd.node_id);
    if (!n) return NoSuchNode(cmd.node_id);
    if (n->is_default) {
      return MakeError(sqlstate::kObjectInUse, "cannot remove the default node " + std::to_string(cmd.node_id),
                       "It holds every table that is not distributed.");
    }
    for (const auto& [id, s] : c_.shards_) {
      if (s.node_id == cmd.node_id) {
        return MakeError(sqlstate::kObjectInUse,
                         "node " + std::to_string(cmd.node_id) + " still holds shard " + std::to_string(id),
                         {}, "Move its shards to other nodes first.");
      }
    }
    c_.nodes_.erase(cmd.node_id);
    return {};
  }

  // Marks a node active/inactive.
  Status Apply(const SetNodeActiveCmd& cmd) {
    auto it = c_.nodes_.find(cmd.node_id);
    if (it == c_.nodes_.end()) return NoSuchNode(cmd.node_id);
    it->second.active = cmd.active;
    return {};
  }

  // Creates the table, its shards and placements exactly as the command says.
  Status Apply(const CreateDistributedTableCmd& cmd) {
    if (c_.FindTable(cmd.schema, cmd.name)) {
      return MakeError(sqlstate::kDuplicateTable, "table \"" + cmd.name + "\" is already distributed");
    }
    if (cmd.shard_count == 0 || cmd.shard_count > kMaxShardCount || cmd.placements.size() != cmd.shard_count) {
      return MakeError(sqlstate::kInvalidParameterValue, "invalid shard count in distribution command");
    }
    if (cmd.first_shard_id < c_.next_shard_id_) {
      return MakeError(sqlstate::kDuplicateObject, "shard id " + std::to_string(cmd.first_shard_id) +
                                                       " is already used");
    }
    std::set<std::string> seen;
    bool key_found = false;
    for (const auto& col : cmd.columns) {
      if (!seen.insert(col).second) return MakeError("42701", "column \"" + col + "\" specified more than once");
      key_found |= col == cmd.shard_key;
    }
    if (!key_found) return MakeError(sqlstate::kUndefinedColumn, "shard key \"" + cmd.shard_key + "\" is not a column");
    for (uint32_t node : cmd.placements) {
      if (!c_.FindNode(node)) return NoSuchNode(node);
    }
    DistributedTable t;
    t.schema = cmd.schema;
    t.name = cmd.name;
    t.shard_key = cmd.shard_key;
    t.key_type = cmd.key_type;
    t.key_length = cmd.key_length;
    t.shard_count = cmd.shard_count;
    t.columns = cmd.columns;
    for (uint32_t i = 0; i < cmd.shard_count; i++) {
      Shard s;
      s.id = cmd.first_shard_id + i;
      s.schema = cmd.schema;
      s.table = cmd.name;
      s.index = i;
      s.modulus = cmd.shard_count;
      s.node_id = cmd.placements[i];
      t.shard_ids.push_back(s.id);
      c_.shards_[s.id] = s;
    }
    c_.next_shard_id_ = cmd.first_shard_id + cmd.shard_count;
    c_.tables_[{cmd.schema, cmd.name}] = std::move(t);
    return {};
  }

  // Forgets a table and its shards.
  Status Apply(const DropDistributedTableCmd& cmd) {
    auto it = c_.tables_.find({cmd.schema, cmd.name});
    if (it == c_.tables_.end()) return NoSuchTable(cmd.name);
    for (uint64_t id : it->second.shard_ids) c_.shards_.erase(id);
    c_.tables_.erase(it);
    return {};
  }

  // Replaces the column list; the shard key must survive.
  Status Apply(const SetTableColumnsCmd& cmd) {
    auto it = c_.tables_.find({cmd.schema, cmd.name});
    if (it == c_.tables_.end()) return NoSuchTable(cmd.name);
    bool key_found = false;
    for (const auto& col : cmd.columns) key_found |= col == it->second.shard_key;
    if (!key_found) {
      return MakeError(sqlstate::kFeatureNotSupported, "cannot drop or rename the shard key column \"" +
                                                           it->second.shard_key + "\"");
    }
    it->second.columns = cmd.columns;
    return {};
  }

  // Moves a placement to an active node.
  Status Apply(const MoveShardCmd& cmd) {
    auto it = c_.shards_.find(cmd.shard_id);
    if (it == c_.shards_.end()) {
      return MakeError(sqlstate::kUndefinedObject, "shard " + std::to_string(cmd.shard_id) + " does not exist");
    }
    const Node* n = c_.FindNode(cmd.to_node_id);
    if (!n) return NoSuchNode(cmd.to_node_id);
    if (!n->active) {
      return MakeError(sqlstate::kObjectNotInPrerequisiteState,
                       "node " + std::to_string(cmd.to_node_id) + " is not active");
    }
    it->second.node_id = cmd.to_node_id;
    return {};
  }

  void AdvanceIndex() { c_.applied_index_++; }

  // Snapshot codec needs raw access too.
  void Encode(ByteWriter& w) const {
    w.U8(kSnapshotFormatVersion);
    w.U64(c_.applied_index_);
    w.U32(c_.next_node_id_);
    w.U64(c_.next_shard_id_);
    w.U32(static_cast<uint32_t>(c_.nodes_.size()));
    for (const auto& [id, n] : c_.nodes_) {
      w.U32(n.id);
      w.Str(n.host);
      w.U16(n.port);
      w.Bool(n.is_default);
      w.Bool(n.active);
    }
    w.U32(static_cast<uint32_t>(c_.tables_.size()));
    for (const auto& [key, t] : c_.tables_) {
      w.Str(t.schema);
      w.Str(t.name);
      w.Str(t.shard_key);
      w.U8(static_cast<uint8_t>(t.key_type));
      w.U32(static_cast<uint32_t>(t.key_length));
      w.U8(static_cast<uint8_t>(t.strategy));
      w.U32(t.shard_count);
      w.StrList(t.columns);
      w.U32(static_cast<uint32_t>(t.shard_ids.size()));
      for (uint64_t id : t.shard_ids) {
        const Shard& s = c_.shards_.at(id);
        w.U64(s.id);
        w.U32(s.index);
        w.U32(s.node_id);
      }
    }
  }

  bool Decode(ByteReader& r) {
    uint8_t version = r.U8();
    if (version != 1 && version != kSnapshotFormatVersion) return false;
    c_.applied_index_ = r.U64();
    c_.next_node_id_ = r.U32();
    c_.next_shard_id_ = r.U64();
    uint32_t nn = r.U32();
    if (nn > r.remaining()) return false;
    for (uint32_t i = 0; i < nn && !r.failed(); i++) {
      Node n;
      n.id = r.U32();
      n.host = r.Str();
      n.port = r.U16();
      n.is_default = r.Bool();
      n.active = r.Bool();
      c_.nodes_[n.id] = n;
    }
    uint32_t nt = r.U32();
    if (nt > r.remaining()) return false;
    for (uint32_t i = 0; i < nt && !r.failed(); i++) {
      DistributedTable t;
      t.schema = r.Str();
      t.name = r.Str();
      t.shard_key = r.Str();
      t.key_type = static_cast<KeyType>(r.U8());
      if (version >= 2) {
        t.key_length = static_cast<int32_t>(r.U32());
      } else {
        t.key_length = t.key_type == KeyType::kVarchar ? kUnknownKeyLength : -1;
      }
      t.strategy = static_cast<Strategy>(r.U8());
      t.shard_count = r.U32();
      t.columns = r.StrList();
      uint32_t ns = r.U32();
      if (ns > r.remaining()) return false;
      for (uint32_t j = 0; j < ns && !r.failed(); j++) {
        Shard s;
        s.id = r.U64();
        s.index = r.U32();
        s.node_id = r.U32();
        s.schema = t.schema;
        s.table = t.name;
        s.modulus = t.shard_count;
        t.shard_ids.push_back(s.id);
        c_.shards_[s.id] = s;
      }
      c_.tables_[{t.schema, t.name}] = std::move(t);
    }
    return !r.failed() && r.at_end();
  }

 private:
  static Error NoSuchNode(uint32_t id) {
    return MakeError(sqlstate::kUndefinedObject, "node " + std::to_string(id) + " does not exist");
  }
  static Error NoSuchTable(const std::string& name) {
    return MakeError(sqlstate::kUndefinedTable, "distributed table \"" + name + "\" does not exist");
  }
  Catalog& c_;
};

Status ApplyCommand(Catalog& catalog, const Command& cmd) {
  CatalogMutator m(catalog);
  Status st = std::visit([&m](const auto& c) { return m.Apply(c); }, cmd);
  if (st.ok()) m.AdvanceIndex();
  return st;
}

std::string EncodeCatalog(const Catalog& catalog) {
  ByteWriter w;
  CatalogMutator(const_cast<Catalog&>(catalog)).Encode(w);
  return std::move(w.bytes());
}

Expected<Catalog> DecodeCatalog(std::string_view bytes) {
  Catalog c;
  ByteReader r(bytes);
  if (!CatalogMutator(c).Decode(r)) return MakeError(sqlstate::kDataCorrupted, "corrupt metadata snapshot");
  return c;
}

}  // namespace jade::coord
