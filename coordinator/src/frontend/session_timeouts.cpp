// session_timeouts.cpp — the timeouts the coordinator enforces for its clients (see
// client_session.h and config/guc_duration.h; checked by Server::SweepSessions).
//
//   authentication_timeout_ms           startup + SASL must finish in time (57014, as PostgreSQL)
//   idle_in_transaction_session_timeout idle inside a block: FATAL 25P03; the pinned worker
//                                       connections are dropped, so the workers roll back and
//                                       release their locks at once
//   idle_session_timeout                idle outside a block: FATAL 57P05
//   statement_timeout                   relayed to the workers, which enforce it; past it (plus a
//                                       grace period) the coordinator cancels the statement itself,
//                                       and a worker that does not answer the cancel within
//                                       cancel_timeout_ms fails the statement (backend/cancel.h)
// The idle timeouts are the coordinator's alone and are not relayed (SessionSettings leaves them
// out): a worker connection pinned to a transaction sits idle while the client works on another
// node, which the worker would mistake for an idle client.
#include <cstdio>

#include "config/guc_duration.h"
#include "frontend/client_session.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"

namespace jade::coord::frontend {
namespace {

/** A statement still running this long after statement_timeout is cancelled by the coordinator. */
constexpr uint64_t kStatementTimeoutGraceMs = 500;

}  // namespace

// The session waits for the client from now on.
void ClientSession::MarkIdle() {
    idle_ = true;
    idle_since_ms_ = uv_now(server_.loop());
}

// The session's value of a time setting (SET, startup), else the configured default.
int64_t ClientSession::TimeoutSetting(const char* name, int configured) const {
    std::optional<std::string> v = txn_->settings().Value(name);
    if (!v) return configured;
    auto ms = ParseMillisecondsSetting(name, *v);
    return ms ? *ms : configured;
}

std::optional<Error> ClientSession::TimeoutExpired(uint64_t now) {
    if (closing_) return std::nullopt;
    const Config& c = server_.config();
    if (session_.authenticating()) {
        if (now - accepted_ms_ >= static_cast<uint64_t>(c.authentication_timeout_ms)) {
            return MakeError(iostate::kQueryCanceled, "canceling authentication due to timeout");
        }
        return std::nullopt;
    }
    std::optional<uint64_t> started = exec_->running_since_ms();
    if (started && cancelled_statement_ != started) {
        int64_t limit = TimeoutSetting("statement_timeout", c.statement_timeout_ms);
        if (limit > 0 && now - *started >= static_cast<uint64_t>(limit) + kStatementTimeoutGraceMs) {
            // The workers should have cancelled it themselves; one of them is not answering.
            cancelled_statement_ = started;
            exec_->Cancel();
        }
    }
    if (!idle_ || busy_) return std::nullopt;
    uint64_t idle_for = now - idle_since_ms_;
    if (txn_->in_block()) {
        int64_t limit = TimeoutSetting("idle_in_transaction_session_timeout", c.idle_in_transaction_session_timeout_ms);
        if (limit > 0 && idle_for >= static_cast<uint64_t>(limit)) {
            return MakeError("25P03", "terminating connection due to idle-in-transaction timeout");
        }
        return std::nullopt;
    }
    int64_t limit = TimeoutSetting("idle_session_timeout", c.idle_session_timeout_ms);
    if (limit > 0 && idle_for >= static_cast<uint64_t>(limit)) {
        return MakeError("57P05", "terminating connection due to idle-session timeout");
    }
    return std::nullopt;
}

// Sends the FATAL error and closes; the destructor drops pinned worker connections (the workers
// roll their transactions back when the connection closes).
void ClientSession::Terminate(const Error& error) {
    if (closing_) return;
    std::fprintf(stderr, "jade-coordinator: session %d: %s\n", pid_, error.message.c_str());
    wire::WriteError(&out(), error, /*fatal=*/true);
    capture_ = false;
    CloseNow();
}

}  // namespace jade::coord::frontend
