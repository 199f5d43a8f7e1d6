// wire_test_util.h — helpers for the wire/session unit tests: build frontend messages, split
// backend output into (type, payload) messages.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wire/message_buffer.h"

namespace jade::coord::wire::test {

struct Msg {
    char type;
    std::string payload;
};

// Splits a backend byte stream (typed messages, plus a bare 'N' SSL answer if `ssl_answer`).
inline std::vector<Msg> SplitBackend(const std::string& bytes, bool ssl_answer = false) {
    std::vector<Msg> out;
    size_t pos = 0;
    if (ssl_answer && !bytes.empty() && bytes[0] == 'N') {
        out.push_back({'N', ""});
        pos = 1;
    }
    while (pos + 5 <= bytes.size()) {
        char type = bytes[pos];
        uint32_t len = static_cast<uint32_t>(ReadBE32(bytes.data() + pos + 1));
        out.push_back({type, bytes.substr(pos + 5, len - 4)});
        pos += 1 + len;
    }
    return out;
}

// Builds a StartupMessage with the given parameters.
inline std::string Startup(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string s;
    MessageWriter w(&s);
    w.BeginUntyped();
    w.Int32(196608);
    for (const auto& [k, v] : params) {
        w.CString(k);
        w.CString(v);
    }
    w.Int8(0);
    w.End();
    return s;
}

// Builds an untyped special request (SSLRequest, GSSENCRequest, CancelRequest).
inline std::string Special(int32_t code, int32_t a = -1, int32_t b = -1) {
    std::string s;
    MessageWriter w(&s);
    w.BeginUntyped();
    w.Int32(code);
    if (a != -1) {
        w.Int32(a);
        w.Int32(b);
    }
    w.End();
    return s;
}

// Builds a typed frontend message with a raw payload.
inline std::string Typed(char type, const std::string& payload) {
    std::string s;
    MessageWriter w(&s);
    w.Begin(type);
    w.Bytes(payload);
    w.End();
    return s;
}

// Value of field `code` in an ErrorResponse payload.
inline std::string ErrorField(const std::string& payload, char code) {
    size_t pos = 0;
    while (pos < payload.size() && payload[pos] != '\0') {
        char c = payload[pos++];
        size_t end = payload.find('\0', pos);
        if (c == code) return payload.substr(pos, end - pos);
        pos = end + 1;
    }
    return {};
}

}  // namespace jade::coord::wire::test
