// bind_error.cpp — parameter-conversion errors of a worker, shown as the client's Bind error.
#include "executor/bind_error.h"

#include <cstdint>

namespace jade::coord::exec {
namespace {

constexpr std::string_view kUnnamed = "unnamed portal parameter $";

// The last line of a context field (the outermost context: the Bind callback's, when present).
std::string_view LastLine(std::string_view ctx) {
    size_t nl = ctx.rfind('\n');
    return nl == std::string_view::npos ? ctx : ctx.substr(nl + 1);
}

// Parses "$<digits>" at the start of `s`; sets *len to the characters used.
std::optional<int> Number(std::string_view s, size_t* len) {
    size_t i = 0;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 6) n = n * 10 + (s[i++] - '0');
    if (i == 0) return std::nullopt;
    *len = i;
    return n;
}

uint32_t ReadBE32(const char* p) {
    auto b = reinterpret_cast<const unsigned char*>(p);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

std::optional<int> BindErrorParameter(const wire::ErrorFields& fields) {
    for (const auto& [code, value] : fields) {
        if (code != 'W') continue;
        std::string_view last = LastLine(value);
        if (last.substr(0, kUnnamed.size()) != kUnnamed) return std::nullopt;
        size_t len = 0;
        return Number(last.substr(kUnnamed.size()), &len);
    }
    return std::nullopt;
}

wire::ErrorFields RewriteBindContext(wire::ErrorFields fields, const std::string& portal,
                                                                          std::optional<int> client_param) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it->first != 'W') continue;
        std::string& ctx = it->second;
        size_t start = ctx.rfind('\n');
        start = start == std::string::npos ? 0 : start + 1;
        std::string_view last(ctx.data() + start, ctx.size() - start);
        size_t len = 0;
        if (last.substr(0, kUnnamed.size()) != kUnnamed || !Number(last.substr(kUnnamed.size()), &len)) return fields;
        std::string rest(last.substr(kUnnamed.size() + len));  // " = '...'" as the worker's setting shows it
        std::string head = ctx.substr(0, start);
        if (!client_param) {
            while (!head.empty() && head.back() == '\n') head.pop_back();
            if (head.empty()) {
                fields.erase(it);
            } else {
                ctx = head;
            }
            return fields;
        }
        std::string line = portal.empty() ? "unnamed portal parameter $" : "portal \"" + portal + "\" parameter $";
        ctx = head + line + std::to_string(*client_param + 1) + rest;
        return fields;
    }
    return fields;
}

std::optional<wire::ErrorFields> DecodeErrorFields(std::string_view body) {
    wire::ErrorFields f;
    size_t pos = 0;
    while (pos < body.size()) {
        char code = body[pos++];
        if (code == '\0') return pos == body.size() ? std::optional<wire::ErrorFields>(f) : std::nullopt;
        size_t end = body.find('\0', pos);
        if (end == std::string_view::npos) return std::nullopt;
        f.emplace_back(code, std::string(body.substr(pos, end - pos)));
        pos = end + 1;
    }
    return std::nullopt;  // no terminator
}

std::optional<std::pair<size_t, wire::ErrorFields>> FindErrorResponse(std::string_view messages) {
    size_t pos = 0;
    while (pos + 5 <= messages.size()) {
        uint32_t len = ReadBE32(messages.data() + pos + 1);
        if (len < 4 || pos + 1 + len > messages.size()) return std::nullopt;
        if (messages[pos] == 'E') {
            auto f = DecodeErrorFields(messages.substr(pos + 5, len - 4));
            if (!f) return std::nullopt;
            return std::make_pair(pos, std::move(*f));
        }
        pos += 1 + len;
    }
    return std::nullopt;
}

}  // namespace jade::coord::exec
