// rpc_messages.h — payloads of the cluster-port requests (pure encode/decode, versioned).
//
// Every payload starts with u8 kRpcVersion; decoders refuse other versions and malformed bytes
// (XX001), so a newer peer's request fails cleanly instead of being misread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/proposal.h"
#include "util/expected.h"

namespace jade::coord::raft {

constexpr uint8_t kRpcVersion = 1;

std::string EncodeProposalResult(const ProposalResult& r);
Expected<ProposalResult> DecodeProposalResult(std::string_view bytes);

/** What a peer says about itself (RpcType::kStatus); rows of jade_coordinators. */
struct PeerStatus {
    uint64_t id = 0;
    std::string address;      ///< cluster address host:port
    std::string sql_address;  ///< where clients connect (host:port of --listen/--port)
    uint8_t role = 0;         ///< raft::Role
    uint64_t term = 0;
    uint64_t leader_id = 0;
    uint64_t commit_index = 0;
    uint64_t applied_index = 0;
    uint64_t last_index = 0;
    bool caught_up = false;
    bool acting_leader = false;
    uint64_t since_leader_contact_ms = 0;  ///< UINT64_MAX: none
};
std::string EncodePeerStatus(const PeerStatus& s);
Expected<PeerStatus> DecodePeerStatus(std::string_view bytes);

enum class MembershipOp : uint8_t { kAdd = 1, kRemove = 2, kTransfer = 3 };
struct MembershipRequest {
    MembershipOp op = MembershipOp::kAdd;
    uint64_t id = 0;
    std::string address;
};
std::string EncodeMembershipRequest(const MembershipRequest& r);
Expected<MembershipRequest> DecodeMembershipRequest(std::string_view bytes);

/** A Status (plus whether the peer was not the leader) as a reply payload. */
std::string EncodeStatusReply(const Status& st, bool not_leader);
/** The peer's Status; XX001 when the bytes are malformed. */
Status DecodeStatusReply(std::string_view bytes, bool* not_leader);

}  // namespace jade::coord::raft
