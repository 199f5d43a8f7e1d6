// session.h — the sans-IO state machine of one client connection's protocol layer.
//
// Bytes in (Feed), bytes out (output()), events out (Poll). No sockets, no clocks, so the unit
// tests drive it with byte sequences, garbage included.
//
//   kStartup ──SSLRequest──▶ 'S', event kStartTls ──▶ (caller starts TLS) TlsStarted() ──▶ kStartup
//      │     (TLS configured; bytes sent after the request in the clear are refused, 08P01)
//      │  SSLRequest without TLS configured, GSSENCRequest ──▶ 'N' ──▶ kStartup
//      │  CancelRequest ──▶ event kCancel, then kClosed (a cancel connection carries nothing else)
//      │  StartupMessage(user, database, ...)
//      ▼
//   trust: AuthenticationOk ... │ scram-sha-256: kSaslInitial ─▶ kSaslFinal ─▶ AuthenticationOk
//      ▼
//   ParameterStatus*, BackendKeyData, ReadyForQuery('I') ──▶ event kReady ──▶ kReady
//   kReady: every complete message is handed out as event kMessage, one per Poll, so the
//           executor pulls work only when it can take it (bounded memory, back-pressure).
//   Terminate ('X') ──▶ event kClose.
// Any framing error, unknown message type, bad password or startup violation writes one
// ErrorResponse (08P01 / 28P01 / 28000 / 0A000) to output() and yields kClose; the caller
// flushes the output and closes only this connection.
// Before authentication a client is held to small messages: the startup packet to
// kMaxStartupPacket (PostgreSQL's limit), each SASL message to kMaxAuthMessage, whatever
// max_message allows later, so an unauthenticated peer cannot make the coordinator buffer much.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/scram.h"
#include "wire/framing.h"
#include "wire/messages/startup.h"

namespace jade::coord::wire {

enum class AuthMode { kTrust, kScramSha256 };

/** Largest SASL message accepted before authentication (SCRAM messages are well under 1 KB). */
constexpr size_t kMaxAuthMessage = 16384;

/** What the session needs from the coordinator's configuration. */
struct SessionOptions {
    AuthMode auth = AuthMode::kTrust;
    const std::map<std::string, auth::ScramSecret>* users = nullptr;  ///< scram users (not owned)
    std::string mock_auth_key;  ///< server secret keying unknown users' mock salts (auth/scram.h)
    std::string database;                                             ///< the one database clients may name ("" = any)
    size_t max_message = kDefaultMaxMessage;
    /** ParameterStatus values sent after authentication (client overrides for reportable ones). */
    std::vector<std::pair<std::string, std::string>> server_params;
    int32_t backend_pid = 0;
    int32_t backend_key = 0;
    bool tls_available = false;  ///< answer SSLRequest with 'S' (a certificate is configured)
    bool tls_required = false;   ///< refuse a StartupMessage sent in the clear (28000)
    std::string peer;            ///< client address, for error messages
};

enum class SessionEvent {
    kNeedMore,  ///< nothing more can happen until more bytes arrive
    kReady,     ///< authentication finished; startup() is valid
    kMessage,   ///< a frontend message (message_type(), message_payload())
    kCancel,    ///< a CancelRequest (cancel_pid(), cancel_key()); then the session is closed
    kClose,     ///< close the connection after flushing output()
    kStartTls,  ///< flush output() ('S') in the clear, start TLS on the socket, then call TlsStarted()
};

class Session {
public:
    explicit Session(SessionOptions options);

    /** Appends received bytes. */
    void Feed(std::string_view bytes);
    /** Advances the state machine by at most one event. */
    SessionEvent Poll();

    /** Bytes to send to the client; the caller moves them out. */
    std::string& output() { return out_; }
    size_t output_size() const { return out_.size(); }
    /** Bytes received but not yet consumed (for back-pressure decisions). */
    size_t buffered_input() const { return in_.size() - consumed_; }

    /** The socket now speaks TLS (after kStartTls): the startup packet follows, encrypted. */
    void TlsStarted() { tls_active_ = true; }
    bool tls_active() const { return tls_active_; }

    bool ready() const { return state_ == State::kReady; }
    /** Authentication is not finished yet (startup or SASL exchange). */
    bool authenticating() const { return state_ == State::kStartup || state_ == State::kSaslInitial || state_ == State::kSaslFinal; }
    bool closed() const { return state_ == State::kClosed; }
    const StartupPacket& startup() const { return startup_; }
    std::string user() const { return startup_.Param("user"); }

    char message_type() const { return msg_type_; }
    /** Payload of the last kMessage; valid until the next Feed/Poll. */
    std::string_view message_payload() const { return msg_payload_; }
    int32_t cancel_pid() const { return cancel_pid_; }
    int32_t cancel_key() const { return cancel_key_; }

    /** Writes an ErrorResponse and moves to kClosed (used by the caller for fatal conditions). */
    SessionEvent Fail(const Error& error);

private:
    enum class State { kStartup, kSaslInitial, kSaslFinal, kReady, kClosed };

    SessionEvent OnStartupPacket(std::string_view payload);
    SessionEvent OnSaslMessage(std::string_view payload);
    SessionEvent FinishAuthentication();
    void Compact();

    SessionOptions options_;
    State state_ = State::kStartup;
    std::string in_;
    size_t consumed_ = 0;
    std::string out_;
    StartupPacket startup_;
    std::unique_ptr<auth::ScramServer> scram_;
    char msg_type_ = 0;
    std::string_view msg_payload_;
    int32_t cancel_pid_ = 0;
    int32_t cancel_key_ = 0;
    bool ssl_answered_ = false;
    bool tls_active_ = false;
};

}  // namespace jade::coord::wire
