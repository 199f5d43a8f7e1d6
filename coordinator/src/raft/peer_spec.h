// peer_spec.h — the --peers list of a coordinator group (pure parsing; names are resolved later).
//
//   --peers 1@10.0.0.1:9080,2@10.0.0.2:9080,3@10.0.0.3
//
// Each entry is `id@host[:port]`: a positive Raft server id, unique in the list, and the host
// and cluster port other coordinators reach it at (default port kDefaultClusterPort).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace jade::coord::raft {

constexpr uint16_t kDefaultClusterPort = 9080;

struct PeerSpec {
    uint64_t id = 0;
    std::string host;
    uint16_t port = kDefaultClusterPort;

    std::string Address() const { return host + ":" + std::to_string(port); }
};

/** Parses a --peers value; 22023 with the offending entry on any error. */
Expected<std::vector<PeerSpec>> ParsePeerList(std::string_view text);
/** Parses one `id@host[:port]` (jade_add_coordinator accepts the same form without the id). */
Expected<PeerSpec> ParsePeer(std::string_view text);
/** Parses `host[:port]`. */
Expected<PeerSpec> ParseHostAndPort(std::string_view text);

}  // namespace jade::coord::raft
