// startup.cpp — decoding and encoding of the startup-phase messages (see startup.h).
#include "wire/messages/startup.h"

#include "wire/io_sqlstate.h"
#include "wire/message_buffer.h"

namespace jade::coord::wire {

// Looks a startup parameter up by name.
std::string StartupPacket::Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
        if (k == name) return v;
    }
    return {};
}

// Decodes the packet by its leading code: protocol version or one of the special request codes.
Expected<StartupPacket> DecodeStartupPacket(std::string_view payload) {
    MessageReader r(payload);
    int32_t code = 0;
    if (!r.Int32(&code)) return MakeError(sqlstate::kProtocolViolation, "invalid startup packet layout");
    StartupPacket p;
    switch (code) {
        case kSslRequestCode:
            p.kind = StartupPacket::Kind::kSsl;
            return p;
        case kGssEncRequestCode:
            p.kind = StartupPacket::Kind::kGssEnc;
            return p;
        case kCancelRequestCode:
            p.kind = StartupPacket::Kind::kCancel;
            if (!r.Int32(&p.cancel_pid) || !r.Int32(&p.cancel_key)) {
                return MakeError(sqlstate::kProtocolViolation, "invalid length of cancel request packet");
            }
            return p;
        default:
            break;
    }
    if ((code >> 16) != 3) {
        return MakeError(sqlstate::kFeatureNotSupported, "unsupported frontend protocol " + std::to_string(code >> 16) +
                                                             "." + std::to_string(code & 0xffff) +
                                                             ": server supports 3.0 to 3.0");
    }
    // Name/value pairs, terminated by an empty name.
    while (true) {
        std::string_view name, value;
        if (!r.CString(&name))
            return MakeError(sqlstate::kProtocolViolation,
                             "invalid startup packet layout: expected terminator as last byte");
        if (name.empty()) break;
        if (!r.CString(&value))
            return MakeError(sqlstate::kProtocolViolation,
                             "invalid startup packet layout: expected terminator as last byte");
        p.params.emplace_back(std::string(name), std::string(value));
    }
    if (!r.AtEnd())
        return MakeError(sqlstate::kProtocolViolation,
                         "invalid startup packet layout: expected terminator as last byte");
    if (p.Param("user").empty()) {
        return MakeError(iostate::kInvalidAuthorizationSpecification,
                         "no PostgreSQL user name specified in startup packet");
    }
    return p;
}

// Decodes SASLInitialResponse: mechanism, int32 length (-1 = none), data.
Expected<SaslInitialResponse> DecodeSaslInitialResponse(std::string_view payload) {
    MessageReader r(payload);
    std::string_view mech, data;
    int32_t len = 0;
    if (!r.CString(&mech) || !r.Int32(&len))
        return MakeError(sqlstate::kProtocolViolation, "malformed SASLInitialResponse message");
    if (len > 0 && !r.Bytes(static_cast<size_t>(len), &data)) {
        return MakeError(sqlstate::kProtocolViolation, "malformed SASLInitialResponse message");
    }
    if (!r.AtEnd()) return MakeError(sqlstate::kProtocolViolation, "malformed SASLInitialResponse message");
    return SaslInitialResponse{std::string(mech), std::string(data)};
}

// Writes AuthenticationOk.
void WriteAuthOk(std::string* out) {
    MessageWriter w(out);
    w.Begin('R');
    w.Int32(kAuthOk);
    w.End();
}

// Writes AuthenticationSASL with the offered mechanisms.
void WriteAuthSasl(std::string* out, const std::vector<std::string>& mechanisms) {
    MessageWriter w(out);
    w.Begin('R');
    w.Int32(kAuthSasl);
    for (const auto& m : mechanisms) w.CString(m);
    w.Int8(0);
    w.End();
}

// Writes AuthenticationSASLContinue or AuthenticationSASLFinal.
void WriteAuthSaslData(std::string* out, int32_t code, std::string_view data) {
    MessageWriter w(out);
    w.Begin('R');
    w.Int32(code);
    w.Bytes(data);
    w.End();
}

// Writes ParameterStatus.
void WriteParameterStatus(std::string* out, std::string_view name, std::string_view value) {
    MessageWriter w(out);
    w.Begin('S');
    w.CString(name);
    w.CString(value);
    w.End();
}

// Writes BackendKeyData (the pair a CancelRequest must quote).
void WriteBackendKeyData(std::string* out, int32_t pid, int32_t key) {
    MessageWriter w(out);
    w.Begin('K');
    w.Int32(pid);
    w.Int32(key);
    w.End();
}

// Writes ReadyForQuery with the transaction status byte.
void WriteReadyForQuery(std::string* out, char status) {
    MessageWriter w(out);
    w.Begin('Z');
    w.Int8(static_cast<uint8_t>(status));
    w.End();
}

}  // namespace jade::coord::wire
