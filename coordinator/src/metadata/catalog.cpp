// catalog.cpp — lookups over the metadata snapshot.
#include "metadata/catalog.h"

namespace jade::coord {

int DistributedTable::KeyColumnIndex() const {
  for (size_t i = 0; i < columns.size(); i++) {
    if (columns[i] == shard_key) return static_cast<int>(i);
  }
  return -1;
}

bool DistributedTable::operator==(const DistributedTable& o) const {
  return schema == o.schema && name == o.name && shard_key == o.shard_key && key_type == o.key_type &&
         strategy == o.strategy && shard_count == o.shard_count && columns == o.columns && shard_ids == o.shard_ids &&
         key_length == o.key_length;
}

const Node* Catalog::FindNode(uint32_t id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Node* Catalog::FindNodeByAddress(const std::string& host, uint16_t port) const {
  for (const auto& [id, n] : nodes_) {
    if (n.host == host && n.port == port) return &n;
  }
  return nullptr;
}

const Node* Catalog::DefaultNode() const {
  for (const auto& [id, n] : nodes_) {
    if (n.is_default) return &n;
  }
  return nullptr;
}

const DistributedTable* Catalog::FindTable(const std::string& schema, const std::string& name) const {
  auto it = tables_.find({schema, name});
  return it == tables_.end() ? nullptr : &it->second;
}

const Shard* Catalog::FindShard(uint64_t shard_id) const {
  auto it = shards_.find(shard_id);
  return it == shards_.end() ? nullptr : &it->second;
}

std::vector<const Shard*> Catalog::ShardsOf(const DistributedTable& table) const {
  std::vector<const Shard*> out;
  out.reserve(table.shard_ids.size());
  for (uint64_t id : table.shard_ids) {
    if (const Shard* s = FindShard(id)) out.push_back(s);
  }
  return out;
}

const Shard* Catalog::ShardAt(const DistributedTable& table, uint32_t index) const {
  if (index >= table.shard_ids.size()) return nullptr;
  return FindShard(table.shard_ids[index]);
}

bool Catalog::operator==(const Catalog& o) const {
  return nodes_ == o.nodes_ && tables_ == o.tables_ && shards_ == o.shards_ && next_node_id_ == o.next_node_id_ &&
         next_shard_id_ == o.next_shard_id_ && applied_index_ == o.applied_index_;
}

}  // namespace jade::coord
