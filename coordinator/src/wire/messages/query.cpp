// query.cpp — simple query decoding and command-result encoding (see query.h).
#include "wire/messages/query.h"

#include "wire/message_buffer.h"

namespace jade::coord::wire {

// Reads the single NUL-terminated query string.
Expected<std::string_view> DecodeQuery(std::string_view payload) {
    MessageReader r(payload);
    std::string_view q;
    if (!r.CString(&q) || !r.AtEnd()) return MakeError(sqlstate::kProtocolViolation, "invalid query message format");
    return q;
}

// Writes CommandComplete with its tag ("SELECT 3", "INSERT 0 1", ...).
void WriteCommandComplete(std::string* out, std::string_view tag) {
    MessageWriter w(out);
    w.Begin('C');
    w.CString(tag);
    w.End();
}

// Writes EmptyQueryResponse (the answer to an empty query string).
void WriteEmptyQueryResponse(std::string* out) {
    MessageWriter w(out);
    w.Begin('I');
    w.End();
}

}  // namespace jade::coord::wire
