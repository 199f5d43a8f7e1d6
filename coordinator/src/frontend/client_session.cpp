// client_session.cpp — socket callbacks, the message pump, dispatch and the simple query
// protocol of one client (see client_session.h).
#include "frontend/client_session.h"

#include "executor/task_run.h"
#include "wire/io_sqlstate.h"
#include "wire/message_buffer.h"
#include "wire/messages/error_response.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"
#include "wire/messages/startup.h"

namespace jade::coord::frontend {
namespace {

/** Stop reading from a busy client once this much unprocessed input is buffered. */
constexpr size_t kMaxBufferedInput = 256 * 1024;

// Builds the session options from the configuration and the client's address.
wire::SessionOptions OptionsFor(exec::ServerContext& server, const net::ClientSocket* socket, int32_t pid,
                                int32_t key) {
    const Config& c = server.config();
    wire::SessionOptions o;
    o.tls_available = server.tls_context() != nullptr;
    o.tls_required =
        c.require_ssl == RequireSsl::kAll || (c.require_ssl == RequireSsl::kRemote && !socket->peer_is_loopback());
    o.mock_auth_key = server.server_secret();
    o.peer = socket->peer_ip();
    o.auth = c.auth == AuthMethod::kTrust ? wire::AuthMode::kTrust : wire::AuthMode::kScramSha256;
    o.users = &c.users;
    o.database = c.worker_database;
    o.max_message = c.max_message_bytes;
    o.backend_pid = pid;
    o.backend_key = key;
    o.server_params = {{"server_version", "15.20"},   {"server_encoding", "UTF8"},
                       {"client_encoding", "UTF8"},   {"DateStyle", "ISO, MDY"},
                       {"IntervalStyle", "postgres"}, {"TimeZone", "UTC"},
                       {"integer_datetimes", "on"},   {"standard_conforming_strings", "on"},
                       {"is_superuser", "on"},        {"default_transaction_read_only", "off"},
                       {"in_hot_standby", "off"},     {"application_name", ""}};
    return o;
}

}  // namespace

ClientSession::ClientSession(exec::ServerContext& server, net::ClientSocket* socket, int32_t pid, int32_t key)
    : server_(server),
      socket_(socket),
      session_(OptionsFor(server, socket, pid, key)),
      pid_(pid),
      key_(key),
      txn_(std::make_unique<txn::TransactionCoordinator>(server)),
      exec_(std::make_unique<exec::StatementExecutor>(server, *this, *txn_)) {
    accepted_ms_ = uv_now(server_.loop());
    txn_->SetExceptionOwner(this, alive_);
}

// Drops worker connections still in use; nothing may call back into the session afterwards.
ClientSession::~ClientSession() {
    *alive_ = false;
    exec_->Abandon();
    // A COPY in progress owns a ShardCopy through the sink; dropping it aborts its connections.
    copy_sink_ = nullptr;
    exec_.reset();
    // Pinned connections are discarded (their worker transactions roll back); a two-phase
    // commit in progress is left to recovery.
    txn_->Abandon();
}

// Starts reading the client's startup packet.
void ClientSession::Start() {
    socket_->SetOwner(this, alive_);
    socket_->SetLowWater(server_.config().client_buffer_bytes / 2);
    socket_->StartReading();
}

void ClientSession::OnRead(std::string_view bytes) {
    session_.Feed(bytes);
    Pump();
}

// The client went away: stop its work and release its connections.
void ClientSession::OnEof() {
    CloseNow();
}

// The client's output drained: resume paused workers, then more input.
void ClientSession::OnDrained() {
    if (on_drained_) {
        auto fn = std::move(on_drained_);
        on_drained_ = nullptr;
        fn();
    }
    Pump();
}

// Last callback from the socket: the session is done.
void ClientSession::OnClosed() {
    socket_ = nullptr;
    server_.SessionClosed(this);
}

// True when the client has more output queued than its budget.
bool ClientSession::OutputFull() const {
    return socket_ != nullptr && !capture_ &&
           socket_->queued_bytes() + session_.output_size() >= server_.config().client_buffer_bytes;
}

// Sends buffered output to the socket.
void ClientSession::Flush() {
    if (socket_ == nullptr || out().empty() || capture_) return;
    ++flushes_;
    socket_->Write(&out());
}

// Processes messages while the session can take them.
void ClientSession::Pump() {
    if (pumping_ || socket_ == nullptr || closing_) return;
    pumping_ = true;
    while (!closing_ && !OutputFull() && (!busy_ || (copy_sink_ && !copy_paused_))) {
        wire::SessionEvent ev = session_.Poll();
        if (ev == wire::SessionEvent::kNeedMore) break;
        if (ev == wire::SessionEvent::kReady) {
            OnAuthenticated();
            continue;
        }
        if (ev == wire::SessionEvent::kStartTls) {
            // 'S' goes out in the clear, then the socket speaks TLS (the ClientHello is next).
            Flush();
            socket_->StartTls(*server_.tls_context());
            session_.TlsStarted();
            continue;
        }
        if (ev == wire::SessionEvent::kCancel) {
            server_.CancelSession(session_.cancel_pid(), session_.cancel_key());
            CloseNow();
            break;
        }
        if (ev == wire::SessionEvent::kClose) {
            CloseNow();
            break;
        }
        idle_ = false;
        if (copy_sink_) {
            copy_sink_(session_.message_type(), session_.message_payload());
            continue;
        }
        HandleMessage(session_.message_type(), session_.message_payload());
        if (out().size() >= kFlushBytes) Flush();
    }
    pumping_ = false;
    // While a statement runs its output is sent when it ends; idle, everything goes out now.
    if (!busy_ || copy_sink_ || out().size() >= kFlushBytes) Flush();
    if (socket_ != nullptr && !closing_) {
        bool hold = (busy_ && !copy_sink_) || copy_paused_ || OutputFull();
        if (hold && session_.buffered_input() >= kMaxBufferedInput) {
            socket_->StopReading();
        } else {
            socket_->StartReading();
        }
    }
}

// Flushes, stops running work and closes the socket.
void ClientSession::CloseNow() {
    if (closing_) return;
    closing_ = true;
    Flush();
    EndCopyIn();
    exec_->Cancel();
    // Connections (running lanes, pinned transaction connections) are given up in the destructor,
    // after the socket's close callback: a running lane may still be using a pinned one.
    if (socket_ != nullptr) socket_->Close();
}

// Cancels the worker queries of the running statement.
void ClientSession::CancelRunning() {
    exec_->Cancel();
}

// Authentication finished: the session's settings (the configured statement_timeout first, then
// the startup parameters) and, with worker_role = client, its role on the workers.
void ClientSession::OnAuthenticated() {
    if (server_.config().statement_timeout_ms > 0) {
        SessionSetting st;
        st.kind = SettingKind::kSet;
        st.name = "statement_timeout";
        st.value = std::to_string(server_.config().statement_timeout_ms);
        st.sql = "SELECT pg_catalog.set_config('statement_timeout', '" + st.value + "', false)";
        txn_->settings().Apply(st);
    }
    txn_->settings().AdoptStartup(session_.startup());
    if (server_.config().worker_role == WorkerRole::kClient) txn_->SetWorkerRole(session_.user());
    MarkIdle();
}

// An unexpected exception was thrown by code run for this session (net/exception_boundary.h):
// its state is unknown, so the client is told and this connection alone is closed; its worker
// connections are discarded by the destructor.
void ClientSession::OnUnhandledException(const std::string& what) {
    if (closing_) return;
    wire::WriteError(&out(),
                     MakeError(sqlstate::kInternalError, "internal error in the coordinator", what,
                               "The connection was closed; other sessions are not affected."),
                     /*fatal=*/true);
    capture_ = false;
    CloseNow();
}

// Tells the client the server is going away, then closes.
void ClientSession::Shutdown() {
    wire::WriteError(&out(), MakeError(iostate::kAdminShutdown, "terminating connection due to administrator command"),
                     /*fatal=*/true);
    CloseNow();
}

// Ends COPY IN routing; the sink may be the function running right now, so it is freed later.
void ClientSession::EndCopyIn() {
    copy_paused_ = false;
    if (!copy_sink_) return;
    auto* old = new exec::ClientChannel::CopySink(std::move(copy_sink_));
    copy_sink_ = nullptr;
    exec::DeferDelete(server_.loop(), [old] { delete old; });
}

// COPY input may be read again: process what is buffered.
void ClientSession::ResumeCopyIn() {
    copy_paused_ = false;
    Pump();
}

// Dispatches one frontend message.
void ClientSession::HandleMessage(char type, std::string_view payload) {
    if (skip_until_sync_ && type != 'S') return;
    if (pending_bind_ && !ContinuesPendingBind(type, payload)) {
        // Not the portal's own Describe/Execute: the Bind is answered now, as it always was.
        wire::WriteBindComplete(&out());
        pending_bind_.reset();
    }
    if (pending_describe_portal_ && type != 'E') {
        // A Describe(portal) not followed by its Execute: answer it first, then this message.
        std::string copy(payload);
        busy_ = true;
        FlushPendingDescribe([this, type, copy](bool ok) {
            busy_ = false;
            if (!ok) skip_until_sync_ = true;
            HandleMessage(type, copy);
            Pump();
        });
        return;
    }
    switch (type) {
        case 'Q':
            HandleQuery(payload);
            return;
        case 'P':
            HandleParse(payload);
            return;
        case 'B':
            HandleBind(payload);
            return;
        case 'D':
            HandleDescribe(payload);
            return;
        case 'E':
            HandleExecute(payload);
            return;
        case 'C':
            HandleClose(payload);
            return;
        case 'S':
            HandleSync();
            return;
        case 'H':
            Flush();
            return;
        case 'd':
        case 'c':
        case 'f':
            // CopyData/CopyDone/CopyFail outside COPY: ignored, as PostgreSQL does after a failed COPY.
            return;
        case 'F':
            SendError(MakeError(iostate::kFeatureNotSupported, "the fastpath function call protocol is not supported"));
            skip_until_sync_ = false;
            ReadyForQuery();
            return;
        default:
            SendError(MakeError(iostate::kProtocolViolation, std::string("unexpected message type ") + type));
            CloseNow();
            return;
    }
}

// Simple query: parse the whole string, then run its statements in order.
void ClientSession::HandleQuery(std::string_view payload) {
    auto q = wire::DecodeQuery(payload);
    if (!q) {
        SendError(q.error());
        CloseNow();
        return;
    }
    auto parsed = ParseSql(*q);
    if (!parsed) {
        SendError(parsed.error());
        txn_->OnStatementError();
        ReadyForQuery();
        return;
    }
    if (parsed->empty()) {
        wire::WriteEmptyQueryResponse(&out());
        ReadyForQuery();
        return;
    }
    busy_ = true;
    auto stmts = std::make_shared<std::vector<ParsedStatement>>(std::move(parsed).value());
    RunSimpleStatements(stmts, 0, std::string(*q));
}

// Runs statement i of a simple query string, then the rest; stops at the first error.
void ClientSession::RunSimpleStatements(std::shared_ptr<std::vector<ParsedStatement>> stmts, size_t i,
                                        std::string full_sql) {
    if (i == 0 && stmts->size() > 1) {
        // A string of plain-table statements goes to the default node as one string, keeping
        // PostgreSQL's implicit-transaction semantics for multi-statement queries.
        bool all_passthrough = true;
        bool schema = false;
        bool forgets = false;
        std::optional<Plan> first;
        for (const auto& s : *stmts) {
            auto p = PlanStatement(txn_->catalog(), s, {}, exec_->Info());
            if (!p || p->kind != PlanKind::kPassthrough || p->copy_in) {
                all_passthrough = false;
                break;
            }
            schema |= exec::StatementExecutor::ChangesSchema(s, *p);
            forgets |=
                s.kind() == PG_QUERY__NODE__NODE_DEALLOCATE_STMT || s.kind() == PG_QUERY__NODE__NODE_DISCARD_STMT;
            if (!first) first = std::move(p).value();
        }
        if (all_passthrough && first && txn_->state() != txn::TransactionCoordinator::State::kFailed) {
            if (schema) server_.BumpSchemaEpoch();
            exec_->RunWholeString(full_sql, *first, forgets, [this, schema](bool) {
                if (schema) server_.BumpSchemaEpoch();
                FinishSimpleQuery();
            });
            return;
        }
    }
    if (i >= stmts->size() || closing_) {
        FinishSimpleQuery();
        return;
    }
    exec::StatementExec exec;
    exec.stmt = (*stmts)[i];
    exec.describe = true;
    exec.extended = false;
    exec_->Execute(std::move(exec), [this, stmts, i, full_sql](bool ok) {
        if (!ok) {
            FinishSimpleQuery();
            return;
        }
        RunSimpleStatements(stmts, i + 1, full_sql);
    });
}

// Ends a simple query with ReadyForQuery and resumes the pump.
void ClientSession::FinishSimpleQuery() {
    ReadyForQuery();
    busy_ = false;
    Pump();
}

// Writes an ErrorResponse.
void ClientSession::SendError(const Error& error) {
    wire::WriteError(&out(), error);
}

// Writes ReadyForQuery with the exact transaction status.
// Writes ReadyForQuery with the exact transaction status; the idle timeouts count from here.
void ClientSession::ReadyForQuery() {
    wire::WriteReadyForQuery(&out(), txn_->StatusByte());
    MarkIdle();
}

}  // namespace jade::coord::frontend
