// commands.h — metadata changes as commands, with a stable byte encoding.
//
// Every change to the Catalog is one Command. Commands are self-describing: they carry the ids
// they create (node id, shard ids, placements) chosen by the proposer from the catalog it saw
// (the Make* helpers below), and ApplyCommand() validates them against the current state. This
// keeps Apply deterministic and lets the Raft issue replicate the very same byte strings.
//
// Encoding (little endian): u8 format version (kCommandFormatVersion), u8 tag, then the fields
// in declaration order: integers fixed width, strings and lists u32-length-prefixed, bools u8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "metadata/catalog.h"
#include "util/expected.h"

namespace jade::coord {

constexpr uint8_t kCommandFormatVersion = 1;

/** Register a worker node. The first node added becomes the default node. */
struct AddNodeCmd {
  uint32_t node_id = 0;
  std::string host;
  uint16_t port = 0;
  bool operator==(const AddNodeCmd& o) const { return node_id == o.node_id && host == o.host && port == o.port; }
};

/** Remove a node that holds no placements and is not the default node. */
struct RemoveNodeCmd {
  uint32_t node_id = 0;
  bool operator==(const RemoveNodeCmd& o) const { return node_id == o.node_id; }
};

/** Activate or deactivate a node (inactive nodes receive no new placements). */
struct SetNodeActiveCmd {
  uint32_t node_id = 0;
  bool active = true;
  bool operator==(const SetNodeActiveCmd& o) const { return node_id == o.node_id && active == o.active; }
};

/** Create a hash-distributed table: its shards (ids consecutive from first_shard_id) and placements. */
struct CreateDistributedTableCmd {
  std::string schema;
  std::string name;
  std::string shard_key;
  KeyType key_type = KeyType::kInt8;
  uint32_t shard_count = 0;
  std::vector<std::string> columns;
  uint64_t first_shard_id = 0;
  std::vector<uint32_t> placements;  ///< node id of shard index i
  /// DistributedTable::key_length; encoded after the placements for a varchar key only (an older
  /// command without it decodes as kUnknownKeyLength).
  int32_t key_length = -1;
  bool operator==(const CreateDistributedTableCmd& o) const {
    return schema == o.schema && name == o.name && shard_key == o.shard_key && key_type == o.key_type &&
           shard_count == o.shard_count && columns == o.columns && first_shard_id == o.first_shard_id &&
           placements == o.placements && key_length == o.key_length;
  }
};

/** Forget a distributed table and its shards (after DROP TABLE ran on the workers). */
struct DropDistributedTableCmd {
  std::string schema;
  std::string name;
  bool operator==(const DropDistributedTableCmd& o) const { return schema == o.schema && name == o.name; }
};

/** Replace the column list of a distributed table (after ALTER TABLE ADD/DROP/RENAME COLUMN). */
struct SetTableColumnsCmd {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;
  bool operator==(const SetTableColumnsCmd& o) const {
    return schema == o.schema && name == o.name && columns == o.columns;
  }
};

/** Move one shard placement to another node (rebalancer, after the data was copied). */
struct MoveShardCmd {
  uint64_t shard_id = 0;
  uint32_t to_node_id = 0;
  bool operator==(const MoveShardCmd& o) const { return shard_id == o.shard_id && to_node_id == o.to_node_id; }
};

using Command = std::variant<AddNodeCmd, RemoveNodeCmd, SetNodeActiveCmd, CreateDistributedTableCmd,
                             DropDistributedTableCmd, SetTableColumnsCmd, MoveShardCmd>;

/** Serializes a command (see the format above). */
std::string EncodeCommand(const Command& cmd);
/** Parses bytes produced by EncodeCommand; XX001 on malformed input. */
Expected<Command> DecodeCommand(std::string_view bytes);
/** Short human-readable description for logs and EXPLAIN ("add node 2 127.0.0.1:5433"). */
std::string DescribeCommand(const Command& cmd);

/** Builds an AddNodeCmd with the next free node id; 42710 when host:port is already a node. */
Expected<AddNodeCmd> MakeAddNode(const Catalog& catalog, const std::string& host, int64_t port);

/**
 * Builds a CreateDistributedTableCmd: shard ids from catalog.next_shard_id(), placements
 * round-robin over active nodes in id order (shard i → active_nodes[i % n]).
 * Validates: the table is not yet distributed (42P07), shard_key is in `columns` (42703),
 * 1 <= shard_count <= kMaxShardCount (22023), at least one active node (55000).
 */
Expected<CreateDistributedTableCmd> MakeCreateDistributedTable(const Catalog& catalog, const std::string& schema,
                                                               const std::string& name, const std::string& shard_key,
                                                               KeyType key_type, int64_t shard_count,
                                                               std::vector<std::string> columns,
                                                               int32_t key_length = -1);

}  // namespace jade::coord
