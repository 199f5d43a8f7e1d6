// catalog.h — the coordinator's metadata as plain values: nodes, distributed tables, shards,
// placements.
//
// A Catalog is a value: copying it is cheap enough (metadata is small), it is only ever changed
// by ApplyCommand() (state_machine.h), and every planning call reads one immutable snapshot.
// Hash sharding uses modulo placement (sharding/hash.h): shard with `index` i of a table with
// shard_count n holds exactly the rows whose partition hash % n == i, i.e. what the PostgreSQL
// hash partition `FOR VALUES WITH (MODULUS n, REMAINDER i)` would hold.
//
// Naming: shard ids are global and increase from kFirstShardId (102008, as in Citus); a shard's
// table on a worker is named `<table>_<shard_id>` in the same schema, e.g. `items_102008`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sharding/hash.h"

namespace jade::coord {

constexpr uint64_t kFirstShardId = 102008;
constexpr uint32_t kFirstNodeId = 1;
constexpr uint32_t kMaxShardCount = 4096;
constexpr uint32_t kDefaultShardCount = 8;
constexpr int32_t kUnknownKeyLength = -2;

/** A worker PostgreSQL server. */
struct Node {
  uint32_t id = 0;
  std::string host;   ///< numeric address preferred (libpq hostaddr; no blocking DNS)
  uint16_t port = 0;
  bool is_default = false;  ///< holds every table that is not distributed (the first node added)
  bool active = true;       ///< inactive nodes get no new placements

  bool operator==(const Node& o) const {
    return id == o.id && host == o.host && port == o.port && is_default == o.is_default && active == o.active;
  }
};

enum class Strategy : uint8_t { kHash = 1 };

/** A table whose rows are spread over shards. Keyed by (schema, name). */
struct DistributedTable {
  std::string schema = "public";
  std::string name;
  std::string shard_key;               ///< column name
  KeyType key_type = KeyType::kInt8;
  Strategy strategy = Strategy::kHash;
  uint32_t shard_count = 0;
  std::vector<std::string> columns;    ///< all columns in table order (for INSERT/COPY without a column list)
  /// A varchar(n) key's n (its input drops spaces beyond n characters, which routing must know);
  /// -1 for none, kUnknownKeyLength when not recorded (tables distributed before it was).
  int32_t key_length = -1;
  std::vector<uint64_t> shard_ids;     ///< shard_ids[i] holds hash remainder i

  /** Index of the shard key in `columns`, or -1. */
  int KeyColumnIndex() const;
  bool operator==(const DistributedTable& o) const;
};

/** One shard of a distributed table. */
struct Shard {
  uint64_t id = 0;
  std::string schema;
  std::string table;       ///< logical (distributed) table name
  uint32_t index = 0;      ///< hash remainder
  uint32_t modulus = 0;    ///< = table shard_count
  uint32_t node_id = 0;    ///< placement (single placement per shard for now)

  /** Shard table name on the worker: "<table>_<id>". */
  std::string RelName() const { return table + "_" + std::to_string(id); }
  bool operator==(const Shard& o) const {
    return id == o.id && schema == o.schema && table == o.table && index == o.index && modulus == o.modulus &&
           node_id == o.node_id;
  }
};

/** Immutable-by-convention snapshot of all metadata. Mutated only by ApplyCommand(). */
class Catalog {
 public:
  // Lookups (pointers stay valid until the Catalog is modified).
  const Node* FindNode(uint32_t id) const;
  const Node* FindNodeByAddress(const std::string& host, uint16_t port) const;
  const Node* DefaultNode() const;
  const DistributedTable* FindTable(const std::string& schema, const std::string& name) const;
  const Shard* FindShard(uint64_t shard_id) const;
  /** Shards of a table ordered by index (remainder). */
  std::vector<const Shard*> ShardsOf(const DistributedTable& table) const;
  /** The shard holding `index` of `table`. */
  const Shard* ShardAt(const DistributedTable& table, uint32_t index) const;

  const std::map<uint32_t, Node>& nodes() const { return nodes_; }
  const std::map<std::pair<std::string, std::string>, DistributedTable>& tables() const { return tables_; }
  const std::map<uint64_t, Shard>& shards() const { return shards_; }

  uint32_t next_node_id() const { return next_node_id_; }
  uint64_t next_shard_id() const { return next_shard_id_; }
  /** Index of the last command applied (0 = none); advanced by ApplyCommand. */
  uint64_t applied_index() const { return applied_index_; }

  bool operator==(const Catalog& o) const;
  bool operator!=(const Catalog& o) const { return !(*this == o); }

 private:
  friend class CatalogMutator;
  std::map<uint32_t, Node> nodes_;
  std::map<std::pair<std::string, std::string>, DistributedTable> tables_;
  std::map<uint64_t, Shard> shards_;
  uint32_t next_node_id_ = kFirstNodeId;
  uint64_t next_shard_id_ = kFirstShardId;
  uint64_t applied_index_ = 0;
};

}  // namespace jade::coord
