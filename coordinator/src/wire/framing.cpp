// framing.cpp — protocol v3 message framing with size limits (see framing.h).
#include "wire/framing.h"

#include <cstdint>

#include "wire/message_buffer.h"

namespace jade::coord::wire {

// Returns the startup packet at the front of data, or why it cannot be one.
FrameResult DecodeStartupFrame(std::string_view data) {
    FrameResult r;
    if (data.size() < 4) return r;
    int32_t len = ReadBE32(data.data());
    if (len < 8 || static_cast<size_t>(len) > kMaxStartupPacket) {
        r.status = FrameStatus::kError;
        r.error = "invalid length of startup packet";
        return r;
    }
    if (data.size() < static_cast<size_t>(len)) return r;
    r.status = FrameStatus::kFrame;
    r.frame.payload = data.substr(4, len - 4);
    r.frame.frame_bytes = len;
    return r;
}

// Returns the typed message at the front of data, or why it cannot be one.
FrameResult DecodeFrame(std::string_view data, size_t max_message) {
    FrameResult r;
    if (data.empty()) return r;
    char type = data[0];
    if (!IsFrontendMessageType(type)) {
        r.status = FrameStatus::kError;
        unsigned char c = static_cast<unsigned char>(type);
        r.error = (c >= 0x20 && c < 0x7f) ? std::string("invalid frontend message type ") + type
                                          : "invalid frontend message type " + std::to_string(c);
        return r;
    }
    if (data.size() < 5) return r;
    int32_t len = ReadBE32(data.data() + 1);
    if (len < 4 || static_cast<uint64_t>(len) > max_message) {
        r.status = FrameStatus::kError;
        r.error = "invalid message length " + std::to_string(len) + " for message type " + std::string(1, type);
        return r;
    }
    if (data.size() < static_cast<size_t>(len) + 1) return r;
    r.status = FrameStatus::kFrame;
    r.frame.type = type;
    r.frame.payload = data.substr(5, len - 4);
    r.frame.frame_bytes = static_cast<size_t>(len) + 1;
    return r;
}

// Lists the frontend message types of protocol 3.0.
bool IsFrontendMessageType(char type) {
    switch (type) {
        case 'Q':  // Query
        case 'P':  // Parse
        case 'B':  // Bind
        case 'D':  // Describe
        case 'E':  // Execute
        case 'S':  // Sync
        case 'H':  // Flush
        case 'C':  // Close
        case 'X':  // Terminate
        case 'd':  // CopyData
        case 'c':  // CopyDone
        case 'f':  // CopyFail
        case 'p':  // PasswordMessage / SASL responses
        case 'F':  // FunctionCall (refused later with 0A000)
            return true;
        default:
            return false;
    }
}

}  // namespace jade::coord::wire
