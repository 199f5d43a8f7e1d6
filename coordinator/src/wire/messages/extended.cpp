// extended.cpp — extended query protocol messages (see extended.h).
#include "wire/messages/extended.h"

#include "wire/message_buffer.h"

namespace jade::coord::wire {
namespace {

// Builds the 08P01 error for a malformed message of the given kind.
Error Malformed(const char* what) {
    return MakeError(sqlstate::kProtocolViolation, std::string("invalid ") + what + " message format");
}

// Writes a message that has no payload.
void WriteEmpty(std::string* out, char type) {
    MessageWriter w(out);
    w.Begin(type);
    w.End();
}

// Reads an int16 count followed by that many int16 codes, each 0 or 1.
bool ReadFormatCodes(MessageReader& r, std::vector<int16_t>* codes) {
    int16_t n = 0;
    if (!r.Int16(&n) || n < 0 || static_cast<size_t>(n) * 2 > r.remaining()) return false;
    codes->resize(n);
    for (auto& c : *codes) {
        if (!r.Int16(&c) || (c != 0 && c != 1)) return false;
    }
    return true;
}

// Applies the protocol's 0/1/n format-code rule.
int16_t FormatAt(const std::vector<int16_t>& codes, size_t i) {
    if (codes.empty()) return 0;
    if (codes.size() == 1) return codes[0];
    return i < codes.size() ? codes[i] : 0;
}

}  // namespace

int16_t BindMessage::ParamFormat(size_t i) const {
    return FormatAt(param_formats, i);
}
int16_t BindMessage::ResultFormat(size_t i) const {
    return FormatAt(result_formats, i);
}

// Decodes Parse: name, query, int16 n, n type OIDs.
Expected<ParseMessage> DecodeParse(std::string_view payload) {
    MessageReader r(payload);
    std::string_view name, query;
    int16_t n = 0;
    if (!r.CString(&name) || !r.CString(&query) || !r.Int16(&n) || n < 0 ||
        static_cast<size_t>(n) * 4 != r.remaining()) {
        return Malformed("Parse");
    }
    ParseMessage m{std::string(name), std::string(query), {}};
    m.param_types.resize(n);
    for (auto& t : m.param_types) {
        int32_t v = 0;
        r.Int32(&v);
        t = static_cast<uint32_t>(v);
    }
    return m;
}

// Decodes Bind: portal, statement, parameter formats, parameter values, result formats.
Expected<BindMessage> DecodeBind(std::string_view payload) {
    MessageReader r(payload);
    BindMessage m;
    std::string_view portal, stmt;
    if (!r.CString(&portal) || !r.CString(&stmt) || !ReadFormatCodes(r, &m.param_formats)) return Malformed("Bind");
    m.portal = std::string(portal);
    m.statement = std::string(stmt);
    int16_t n = 0;
    if (!r.Int16(&n) || n < 0 || static_cast<size_t>(n) * 4 > r.remaining()) return Malformed("Bind");
    if (m.param_formats.size() > 1 && m.param_formats.size() != static_cast<size_t>(n)) {
        return MakeError(sqlstate::kProtocolViolation, "bind message has " + std::to_string(m.param_formats.size()) +
                                                           " parameter formats but " + std::to_string(n) +
                                                           " parameters");
    }
    m.params.resize(n);
    for (auto& p : m.params) {
        int32_t len = 0;
        if (!r.Int32(&len) || len < -1) return Malformed("Bind");
        if (len == -1) continue;
        std::string_view v;
        if (!r.Bytes(static_cast<size_t>(len), &v)) return Malformed("Bind");
        p = std::string(v);
    }
    if (!ReadFormatCodes(r, &m.result_formats) || !r.AtEnd()) return Malformed("Bind");
    return m;
}

// Decodes Describe: 'S' or 'P', then a name.
Expected<DescribeMessage> DecodeDescribe(std::string_view payload) {
    MessageReader r(payload);
    uint8_t kind = 0;
    std::string_view name;
    if (!r.Int8(&kind) || !r.CString(&name) || !r.AtEnd()) return Malformed("Describe");
    if (kind != 'S' && kind != 'P') {
        return MakeError(sqlstate::kProtocolViolation, "invalid DESCRIBE message subtype " + std::to_string(kind));
    }
    return DescribeMessage{static_cast<char>(kind), std::string(name)};
}

// Decodes Execute: portal name, int32 max rows.
Expected<ExecuteMessage> DecodeExecute(std::string_view payload) {
    MessageReader r(payload);
    std::string_view portal;
    int32_t max_rows = 0;
    if (!r.CString(&portal) || !r.Int32(&max_rows) || !r.AtEnd()) return Malformed("Execute");
    return ExecuteMessage{std::string(portal), max_rows < 0 ? 0 : max_rows};
}

// Decodes Close: 'S' or 'P', then a name.
Expected<CloseMessage> DecodeClose(std::string_view payload) {
    MessageReader r(payload);
    uint8_t kind = 0;
    std::string_view name;
    if (!r.Int8(&kind) || !r.CString(&name) || !r.AtEnd()) return Malformed("Close");
    if (kind != 'S' && kind != 'P') {
        return MakeError(sqlstate::kProtocolViolation, "invalid CLOSE message subtype " + std::to_string(kind));
    }
    return CloseMessage{static_cast<char>(kind), std::string(name)};
}

void WriteParseComplete(std::string* out) {
    WriteEmpty(out, '1');
}
void WriteBindComplete(std::string* out) {
    WriteEmpty(out, '2');
}
void WriteCloseComplete(std::string* out) {
    WriteEmpty(out, '3');
}
void WriteNoData(std::string* out) {
    WriteEmpty(out, 'n');
}
void WritePortalSuspended(std::string* out) {
    WriteEmpty(out, 's');
}

// Writes ParameterDescription: int16 count, then the type OIDs.
void WriteParameterDescription(std::string* out, const std::vector<uint32_t>& types) {
    MessageWriter w(out);
    w.Begin('t');
    w.Int16(static_cast<int16_t>(types.size()));
    for (uint32_t t : types) w.Int32(static_cast<int32_t>(t));
    w.End();
}

}  // namespace jade::coord::wire
