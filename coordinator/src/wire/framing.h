// framing.h — cuts a client's byte stream into protocol v3 messages, with size limits.
//
// Two shapes (PostgreSQL protocol docs, "Message Formats"):
//   startup phase: int32 length, payload        (StartupMessage, SSLRequest, CancelRequest, ...)
//   afterwards:    byte type, int32 length, payload
// The length counts itself. A length below 4, above the limit, or (startup) above
// kMaxStartupPacket is a protocol violation: the caller answers one 08P01 ErrorResponse and
// closes that connection only. A frame is returned only when all its bytes are present, so a
// connection buffers at most one message plus one read chunk (bounded memory per client).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jade::coord::wire {

/** PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
constexpr size_t kMaxStartupPacket = 10000;
/** Default limit on one regular message; larger messages are refused with 08P01. */
constexpr size_t kDefaultMaxMessage = 64u << 20;

enum class FrameStatus { kNeedMore, kFrame, kError };

struct Frame {
    char type = 0;             ///< 0 for startup-phase packets
    std::string_view payload;  ///< bytes after the length field (view into the input)
    size_t frame_bytes = 0;    ///< total bytes the frame occupies in the input
};

struct FrameResult {
    FrameStatus status = FrameStatus::kNeedMore;
    Frame frame;
    std::string error;  ///< kError: message for the 08P01 ErrorResponse
};

// Decodes one startup-phase packet from the front of `data`.
FrameResult DecodeStartupFrame(std::string_view data);
// Decodes one typed message from the front of `data`, refusing lengths above `max_message`.
FrameResult DecodeFrame(std::string_view data, size_t max_message);
// True for the message types a client may send after startup ('Q', 'P', 'B', ...).
bool IsFrontendMessageType(char type);

}  // namespace jade::coord::wire
