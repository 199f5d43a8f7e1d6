// copy.cpp — COPY sub-protocol messages (see copy.h).
#include "wire/messages/copy.h"

#include "wire/message_buffer.h"

namespace jade::coord::wire {
namespace {

// Writes a Copy{In,Out}Response body.
void WriteCopyResponse(std::string* out, char type, bool binary, int16_t ncols) {
    MessageWriter w(out);
    w.Begin(type);
    w.Int8(binary ? 1 : 0);
    w.Int16(ncols);
    for (int16_t i = 0; i < ncols; ++i) w.Int16(binary ? 1 : 0);
    w.End();
}

}  // namespace

void WriteCopyInResponse(std::string* out, bool binary, int16_t ncols) {
    WriteCopyResponse(out, 'G', binary, ncols);
}
void WriteCopyOutResponse(std::string* out, bool binary, int16_t ncols) {
    WriteCopyResponse(out, 'H', binary, ncols);
}

// Writes one CopyData chunk.
void WriteCopyData(std::string* out, std::string_view data) {
    MessageWriter w(out);
    w.Begin('d');
    w.Bytes(data);
    w.End();
}

// Writes CopyDone.
void WriteCopyDone(std::string* out) {
    MessageWriter w(out);
    w.Begin('c');
    w.End();
}

// Reads the CopyFail error message.
Expected<std::string> DecodeCopyFail(std::string_view payload) {
    MessageReader r(payload);
    std::string_view msg;
    if (!r.CString(&msg)) return MakeError(sqlstate::kProtocolViolation, "invalid CopyFail message format");
    return std::string(msg);
}

}  // namespace jade::coord::wire
