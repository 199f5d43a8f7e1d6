// rpc_frame.h — framing of the coordinators' own requests on the cluster port (pure, no I/O).
//
// The cluster port carries two protocols: libraft's (raft_uv_tcp's handshake starts with the
// u64 protocol version 1) and ours, which starts with the u64 kRpcMagic. After the magic both
// sides exchange frames:  u32 length of what follows, u8 type, u64 request id, payload.
// Replies carry the id of their request; a connection may have many requests in flight.
// All integers little endian (metadata/byte_codec.h).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace jade::coord::raft {

/** "JADERPC1" read as a little-endian u64; never equal to libraft's protocol version 1. */
constexpr uint64_t kRpcMagic = 0x314350525245444aull;
/** libraft's raft_uv_tcp handshake protocol version (uv_tcp.h UV__TCP_HANDSHAKE_PROTOCOL). */
constexpr uint64_t kRaftHandshakeProtocol = 1;
/** Largest frame accepted (a metadata snapshot is far smaller; bigger means garbage). */
constexpr uint32_t kMaxFrameBytes = 64u << 20;

enum class RpcType : uint8_t {
    kPropose = 1,          ///< payload: an entry; the leader proposes it
    kProposeReply = 2,     ///< payload: EncodeProposalResult
    kStatus = 3,           ///< no payload
    kStatusReply = 4,      ///< payload: EncodePeerStatus
    kMembership = 5,       ///< payload: EncodeMembershipRequest
    kMembershipReply = 6,  ///< payload: EncodeStatusReply
};

struct Frame {
    uint8_t type = 0;
    uint64_t id = 0;
    std::string payload;
};

std::string EncodeFrame(uint8_t type, uint64_t id, std::string_view payload);

/** Cuts a byte stream into frames; Feed() false once the stream is malformed (then close it). */
class FrameDecoder {
public:
    bool Feed(const char* data, size_t n);
    bool Next(Frame* out);
    bool failed() const { return failed_; }

private:
    std::string buf_;
    size_t pos_ = 0;
    bool failed_ = false;
    std::deque<Frame> ready_;
};

}  // namespace jade::coord::raft
