// session.cpp — sans-IO protocol session: startup, authentication, message framing (see session.h).
#include "wire/session.h"

#include <algorithm>

#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"

namespace jade::coord::wire {
namespace {

// Startup parameters PostgreSQL reports back with ParameterStatus when the client sets them.
bool IsReportedByClient(const std::string& name) {
    return name == "application_name" || name == "client_encoding" || name == "DateStyle" || name == "TimeZone" ||
           name == "IntervalStyle";
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) {}

// Appends bytes, dropping the consumed prefix first so the buffer holds at most one message.
void Session::Feed(std::string_view bytes) {
    Compact();
    in_.append(bytes.data(), bytes.size());
}

// Erases consumed bytes (invalidates the last message payload view).
void Session::Compact() {
    if (consumed_ == 0) return;
    in_.erase(0, consumed_);
    consumed_ = 0;
    msg_payload_ = {};
}

// Runs one step of the state machine.
SessionEvent Session::Poll() {
    if (state_ == State::kClosed) return SessionEvent::kClose;
    std::string_view avail(in_.data() + consumed_, in_.size() - consumed_);
    if (state_ == State::kStartup) {
        FrameResult fr = DecodeStartupFrame(avail);
        if (fr.status == FrameStatus::kNeedMore) return SessionEvent::kNeedMore;
        if (fr.status == FrameStatus::kError) return Fail(MakeError(iostate::kProtocolViolation, fr.error));
        consumed_ += fr.frame.frame_bytes;
        return OnStartupPacket(fr.frame.payload);
    }
    size_t limit = state_ == State::kReady ? options_.max_message : std::min(options_.max_message, kMaxAuthMessage);
    FrameResult fr = DecodeFrame(avail, limit);
    if (fr.status == FrameStatus::kNeedMore) return SessionEvent::kNeedMore;
    if (fr.status == FrameStatus::kError) return Fail(MakeError(iostate::kProtocolViolation, fr.error));
    consumed_ += fr.frame.frame_bytes;
    if (state_ == State::kSaslInitial || state_ == State::kSaslFinal) {
        if (fr.frame.type != 'p') {
            return Fail(MakeError(iostate::kProtocolViolation,
                                  std::string("expected SASL response, got message type ") + fr.frame.type));
        }
        return OnSaslMessage(fr.frame.payload);
    }
    // kReady
    if (fr.frame.type == 'X') {
        state_ = State::kClosed;
        return SessionEvent::kClose;
    }
    if (fr.frame.type == 'p') {
        return Fail(MakeError(iostate::kProtocolViolation, "unexpected password message after authentication"));
    }
    msg_type_ = fr.frame.type;
    msg_payload_ = fr.frame.payload;
    return SessionEvent::kMessage;
}

// Handles SSLRequest, GSSENCRequest, CancelRequest and StartupMessage.
SessionEvent Session::OnStartupPacket(std::string_view payload) {
    auto packet = DecodeStartupPacket(payload);
    if (!packet) return Fail(packet.error());
    switch (packet->kind) {
        case StartupPacket::Kind::kSsl:
            if (ssl_answered_ || tls_active_) {
                return Fail(MakeError(iostate::kProtocolViolation, "SSLRequest sent twice"));
            }
            ssl_answered_ = true;
            if (options_.tls_available) {
                // The handshake must come next; anything the client sent in the clear after its
                // request would otherwise be read as if it had been encrypted (CVE-2021-23214).
                if (consumed_ != in_.size()) {
                    return Fail(MakeError(iostate::kProtocolViolation, "received unencrypted data after SSL request"));
                }
                out_.push_back('S');
                return SessionEvent::kStartTls;
            }
            // No TLS: 'N', and a plain StartupMessage comes next.
            out_.push_back('N');
            return SessionEvent::kNeedMore;
        case StartupPacket::Kind::kGssEnc:
            // No GSSAPI encryption: 'N' (libpq then tries SSL or the clear).
            out_.push_back('N');
            return SessionEvent::kNeedMore;
        case StartupPacket::Kind::kCancel:
            cancel_pid_ = packet->cancel_pid;
            cancel_key_ = packet->cancel_key;
            state_ = State::kClosed;
            return SessionEvent::kCancel;
        case StartupPacket::Kind::kStartup:
            break;
    }
    startup_ = std::move(packet).value();
    if (options_.tls_required && !tls_active_) {
        // As PostgreSQL's pg_hba.conf rejection of a connection that would need hostssl.
        return Fail(MakeError("28000", "connection without TLS refused for host \"" + options_.peer + "\", user \"" +
                                           user() + "\"",
                              "This coordinator requires TLS (ssl_require) for this client.",
                              "Connect with sslmode=require."));
    }
    if (!startup_.Param("replication").empty() && startup_.Param("replication") != "false" &&
        startup_.Param("replication") != "off" && startup_.Param("replication") != "0") {
        return Fail(
            MakeError(iostate::kFeatureNotSupported, "replication connections are not supported by the coordinator"));
    }
    std::string db = startup_.Param("database");
    if (db.empty()) db = startup_.Param("user");
    if (!options_.database.empty() && db != options_.database) {
        return Fail(MakeError("3D000", "database \"" + db + "\" does not exist",
                              "The coordinator serves database \"" + options_.database + "\" only."));
    }
    if (options_.auth == AuthMode::kTrust) return FinishAuthentication();
    std::optional<auth::ScramSecret> secret;
    if (options_.users != nullptr) {
        auto it = options_.users->find(user());
        if (it != options_.users->end()) secret = it->second;
    }
    scram_ = std::make_unique<auth::ScramServer>(user(), std::move(secret), options_.mock_auth_key);
    WriteAuthSasl(&out_, {"SCRAM-SHA-256"});
    state_ = State::kSaslInitial;
    return SessionEvent::kNeedMore;
}

// Runs the two SASL round trips.
SessionEvent Session::OnSaslMessage(std::string_view payload) {
    if (state_ == State::kSaslInitial) {
        auto init = DecodeSaslInitialResponse(payload);
        if (!init) return Fail(init.error());
        if (init->mechanism != "SCRAM-SHA-256") {
            return Fail(
                MakeError(iostate::kProtocolViolation, "client selected an invalid SASL authentication mechanism"));
        }
        auto first = scram_->HandleClientFirst(init->data);
        if (!first) return Fail(first.error());
        WriteAuthSaslData(&out_, kAuthSaslContinue, *first);
        state_ = State::kSaslFinal;
        return SessionEvent::kNeedMore;
    }
    auto final_msg = scram_->HandleClientFinal(payload);
    if (!final_msg) return Fail(final_msg.error());
    WriteAuthSaslData(&out_, kAuthSaslFinal, *final_msg);
    scram_.reset();
    return FinishAuthentication();
}

// Sends AuthenticationOk, the ParameterStatus set, BackendKeyData and the first ReadyForQuery.
SessionEvent Session::FinishAuthentication() {
    WriteAuthOk(&out_);
    std::map<std::string, std::string> params(options_.server_params.begin(), options_.server_params.end());
    for (const auto& [k, v] : startup_.params) {
        if (IsReportedByClient(k)) params[k] = v;
    }
    params["session_authorization"] = user();
    for (const auto& [k, v] : params) WriteParameterStatus(&out_, k, v);
    WriteBackendKeyData(&out_, options_.backend_pid, options_.backend_key);
    WriteReadyForQuery(&out_, 'I');
    state_ = State::kReady;
    return SessionEvent::kReady;
}

// Reports a fatal error to the client and closes the session.
SessionEvent Session::Fail(const Error& error) {
    WriteError(&out_, error, /*fatal=*/true);
    state_ = State::kClosed;
    return SessionEvent::kClose;
}

}  // namespace jade::coord::wire
