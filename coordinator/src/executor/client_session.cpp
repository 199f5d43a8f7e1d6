// client_session.cpp — socket callbacks, the message pump, and the simple and extended query
// protocols of one client (see client_session.h).
#include "executor/client_session.h"

#include "backend/pool.h"
#include "executor/bind_error.h"
#include "executor/param_count.h"
#include "executor/shard_copy.h"
#include "wire/io_sqlstate.h"
#include "wire/message_buffer.h"
#include "wire/messages/error_response.h"
#include "wire/messages/query.h"
#include "wire/messages/row_data.h"
#include "wire/messages/startup.h"

namespace jade::coord::exec {
namespace {

/** Stop reading from a busy client once this much unprocessed input is buffered. */
constexpr size_t kMaxBufferedInput = 256 * 1024;

// Builds the session options from the configuration.
wire::SessionOptions OptionsFor(const Config& c, int32_t pid, int32_t key) {
    wire::SessionOptions o;
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

ClientSession::ClientSession(ServerContext& server, net::ClientSocket* socket, int32_t pid, int32_t key)
    : server_(server), socket_(socket), session_(OptionsFor(server.config(), pid, key)), pid_(pid), key_(key) {}

// Drops worker connections still in use; nothing may call back into the session afterwards.
ClientSession::~ClientSession() {
    *alive_ = false;
    if (run_) run_->Abort();
    for (CopyTarget* c : live_copies_) c->Abandon();
    live_copies_.clear();
    // A COPY in progress owns a ShardCopy through the sink; dropping it aborts its connections.
    copy_sink_ = nullptr;
    ReleaseTxnConns(/*broken=*/true);
}

// Starts reading the client's startup packet.
void ClientSession::Start() {
    socket_->SetOwner(this);
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
            AdoptStartupSettings();
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
    ClearCopySink();
    if (run_ && !run_->done()) run_->CancelAll();
    // Connections (running lanes, pinned transaction connections) are given up in the destructor,
    // after the socket's close callback: a running lane may still be using a pinned one.
    if (socket_ != nullptr) socket_->Close();
}

// Cancels the worker queries of the running statement.
void ClientSession::CancelRunning() {
    if (run_ && !run_->done()) run_->CancelAll();
    for (CopyTarget* c : live_copies_) c->Cancel();
}

// Tells the client the server is going away, then closes.
void ClientSession::Shutdown() {
    wire::WriteError(&out(), MakeError(iostate::kAdminShutdown, "terminating connection due to administrator command"),
                     /*fatal=*/true);
    CloseNow();
}

// Startup parameters that are settings (TimeZone, DateStyle, extra_float_digits, search_path,
// ...) become session settings, replayed on worker connections like SET. Names and values are
// quoted as SQL string literals for set_config(), so no client text is ever SQL syntax.
void ClientSession::AdoptStartupSettings() {
    std::vector<std::pair<std::string, std::string>> params = session_.startup().params;
    // "options" carries command-line switches; "-c name=value" / "--name=value" are settings
    // (backslash escapes a space, as in PostgreSQL's pg_split_opts).
    std::vector<std::string> words(1);
    std::string opts = session_.startup().Param("options");
    for (size_t i = 0; i < opts.size(); ++i) {
        if (opts[i] == '\\' && i + 1 < opts.size()) {
            words.back().push_back(opts[++i]);
        } else if (opts[i] == ' ' || opts[i] == '\t') {
            if (!words.back().empty()) words.emplace_back();
        } else {
            words.back().push_back(opts[i]);
        }
    }
    for (size_t i = 0; i < words.size(); ++i) {
        std::string kv;
        if (words[i] == "-c" && i + 1 < words.size()) {
            kv = words[++i];
        } else if (words[i].rfind("--", 0) == 0) {
            kv = words[i].substr(2);
        }
        size_t eq = kv.find('=');
        if (eq != std::string::npos && eq > 0) {
            std::string name = kv.substr(0, eq);
            for (auto& ch : name) ch = ch == '-' ? '_' : ch;
            params.emplace_back(name, kv.substr(eq + 1));
        }
    }
    for (const auto& [name, value] : params) {
        if (name == "user" || name == "database" || name == "options" || name == "replication" ||
            name == "application_name" || name == "client_encoding" || name == "fallback_application_name") {
            continue;
        }
        std::string lower;
        for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        settings_.emplace_back(
            lower, "SELECT pg_catalog.set_config(" + QuoteLiteral(name) + ", " + QuoteLiteral(value) + ", false)");
    }
}

// Quotes a string as an escape-string literal E'...' (quotes and backslashes doubled), which
// reads the same whatever standard_conforming_strings is; NUL cannot occur in startup values.
std::string ClientSession::QuoteLiteral(const std::string& s) {
    std::string out = "E'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out.push_back(c);
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
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
        OnStatementError();
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
            auto p = PlanStatement(server_.store().catalog(), s, {}, Info());
            if (!p || p->kind != PlanKind::kPassthrough || p->copy_in) {
                all_passthrough = false;
                break;
            }
            StatementExec probe;
            probe.stmt = s;
            schema |= ChangesSchema(probe, *p);
            forgets |= s.kind() == PG_QUERY__NODE__NODE_DEALLOCATE_STMT || s.kind() == PG_QUERY__NODE__NODE_DISCARD_STMT;
            if (!first) first = std::move(p).value();
        }
        if (all_passthrough && first && txn_ != TxnState::kFailed) {
            if (schema) server_.BumpSchemaEpoch();
            RunWholeString(full_sql, *first, forgets, [this, schema](bool) {
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
    StatementExec exec;
    exec.stmt = (*stmts)[i];
    exec.describe = true;
    exec.extended = false;
    Execute(std::move(exec), [this, stmts, i, full_sql](bool ok) {
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

// Parse: parse now (syntax errors surface at Parse time, as in PostgreSQL), plan at Execute.
void ClientSession::HandleParse(std::string_view payload) {
    auto m = wire::DecodeParse(payload);
    if (!m) {
        SendError(m.error());
        skip_until_sync_ = true;
        return;
    }
    if (!m->name.empty() && statements_.count(m->name) != 0) {
        SendError(
            MakeError(iostate::kDuplicatePreparedStatement, "prepared statement \"" + m->name + "\" already exists"));
        skip_until_sync_ = true;
        return;
    }
    auto parsed = ParseSql(m->query);
    if (!parsed) {
        SendError(parsed.error());
        OnStatementError();
        skip_until_sync_ = true;
        return;
    }
    if (parsed->size() > 1) {
        SendError(MakeError(sqlstate::kSyntaxError, "cannot insert multiple commands into a prepared statement"));
        skip_until_sync_ = true;
        return;
    }
    if (txn_ == TxnState::kFailed && !EndsTransaction(*parsed)) {
        SendError(MakeError(iostate::kInFailedSqlTransaction,
                            "current transaction is aborted, commands ignored until end of transaction block"));
        skip_until_sync_ = true;
        return;
    }
    auto st = std::make_shared<PreparedStmt>();
    st->sql = m->query;
    st->param_types = m->param_types;
    st->parsed = std::move(parsed).value();
    statements_[m->name] = st;
    wire::WriteParseComplete(&out());
}

// Bind: creates a portal from a statement and parameter values.
void ClientSession::HandleBind(std::string_view payload) {
    auto m = wire::DecodeBind(payload);
    if (!m) {
        SendError(m.error());
        skip_until_sync_ = true;
        return;
    }
    auto it = statements_.find(m->statement);
    if (it == statements_.end()) {
        SendError(
            MakeError(iostate::kInvalidSqlStatementName, "prepared statement \"" + m->statement + "\" does not exist"));
        skip_until_sync_ = true;
        return;
    }
    if (!m->portal.empty() && portals_.count(m->portal) != 0) {
        SendError(MakeError(iostate::kDuplicateCursor, "portal \"" + m->portal + "\" already exists"));
        skip_until_sync_ = true;
        return;
    }
    if (txn_ == TxnState::kFailed && !EndsTransaction(it->second->parsed)) {
        SendError(MakeError(iostate::kInFailedSqlTransaction,
                            "current transaction is aborted, commands ignored until end of transaction block"));
        skip_until_sync_ = true;
        return;
    }
    Portal p;
    p.stmt = it->second;
    p.result_formats = m->result_formats;
    for (size_t i = 0; i < m->params.size(); ++i) {
        Param prm;
        prm.value = std::move(m->params[i]);
        prm.type_oid = i < p.stmt->param_types.size() ? p.stmt->param_types[i] : 0;
        prm.binary = m->ParamFormat(i) == 1;
        p.params.push_back(std::move(prm));
    }
    portals_[m->portal] = std::move(p);
    // BindComplete waits for the portal's Execute: a value its type rejects fails there on the
    // worker, and the client must then see the Bind fail (bind_error.h).
    pending_bind_ = m->portal;
}

// True for the message that keeps a Bind's answer pending: Describe or Execute of that portal.
bool ClientSession::ContinuesPendingBind(char type, std::string_view payload) const {
    if (type == 'E') {
        auto m = wire::DecodeExecute(payload);
        return m && m->portal == *pending_bind_;
    }
    if (type == 'D') {
        auto m = wire::DecodeDescribe(payload);
        return m && m->kind == 'P' && m->name == *pending_bind_;
    }
    return false;
}

// After a failed Execute of a freshly bound portal: when a worker raised the error while
// converting the parameters, the held-back BindComplete at `mark` and everything after it are
// replaced by that error alone, as PostgreSQL fails the Bind itself.
void ClientSession::RetractBindComplete(size_t mark, uint64_t flushes, const std::string& portal) {
    if (flushes_ != flushes || out().size() < mark + 5 || out()[mark] != '2') return;
    auto err = FindErrorResponse(std::string_view(out()).substr(mark + 5));
    if (!err) return;
    wire::ErrorFields fields = std::move(err->second);
    std::optional<int> param = BindErrorParameter(fields);
    if (!param) return;
    // The shard statement's $n is the client parameter its tasks map it to (when all agree).
    std::optional<int> client;
    for (size_t i = 0; i < running_task_params_.size(); ++i) {
        const auto& task = running_task_params_[i];
        std::optional<int> c;
        if (*param >= 1 && static_cast<size_t>(*param) <= task.size()) c = task[*param - 1];
        if (i > 0 && c != client) {
            client.reset();
            break;
        }
        client = c;
    }
    fields = RewriteBindContext(std::move(fields), portal, client);
    out().resize(mark);
    wire::WriteErrorFields(&out(), 'E', fields);
}

// True for COMMIT/ROLLBACK/ROLLBACK TO, which PostgreSQL still parses and binds in a failed
// transaction (IsTransactionExitStmt); an empty statement counts too (nothing to refuse).
bool ClientSession::EndsTransaction(const std::vector<ParsedStatement>& parsed) {
    if (parsed.empty()) return true;
    if (parsed[0].kind() != PG_QUERY__NODE__NODE_TRANSACTION_STMT) return false;
    switch (parsed[0].node()->transaction_stmt->kind) {
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
            return true;
        default:
            return false;
    }
}

// Describe: statements are described now; portals when their Execute comes (or before the next message).
void ClientSession::HandleDescribe(std::string_view payload) {
    auto m = wire::DecodeDescribe(payload);
    if (!m) {
        SendError(m.error());
        skip_until_sync_ = true;
        return;
    }
    if (m->kind == 'P') {
        if (portals_.count(m->name) == 0) {
            SendError(MakeError(iostate::kInvalidCursorName, "portal \"" + m->name + "\" does not exist"));
            skip_until_sync_ = true;
            return;
        }
        pending_describe_portal_ = m->name;
        return;
    }
    auto it = statements_.find(m->name);
    if (it == statements_.end()) {
        SendError(
            MakeError(iostate::kInvalidSqlStatementName, "prepared statement \"" + m->name + "\" does not exist"));
        skip_until_sync_ = true;
        return;
    }
    busy_ = true;
    // Parse may declare fewer types than the statement uses; Describe reports them all.
    size_t nparams = std::max(it->second->param_types.size(), CountParams(it->second->sql));
    if (it->second->param_types.size() < nparams) it->second->param_types.resize(nparams, 0);
    Params params(nparams);
    for (size_t i = 0; i < params.size(); ++i) params[i].type_oid = it->second->param_types[i];
    DescribeStatement(it->second, params, /*portal=*/false, {}, [this](bool ok) {
        if (!ok) skip_until_sync_ = true;
        busy_ = false;
        Pump();
    });
}

// Answers a deferred Describe(portal) on its own.
void ClientSession::FlushPendingDescribe(DoneFn then) {
    std::string name = *pending_describe_portal_;
    pending_describe_portal_.reset();
    auto it = portals_.find(name);
    if (it == portals_.end()) {
        then(true);
        return;
    }
    DescribeStatement(it->second.stmt, it->second.params, /*portal=*/true, it->second.result_formats, then);
}

// Execute: plans the portal's statement with its parameters and runs it.
void ClientSession::HandleExecute(std::string_view payload) {
    auto m = wire::DecodeExecute(payload);
    if (!m) {
        SendError(m.error());
        skip_until_sync_ = true;
        return;
    }
    bool describe = pending_describe_portal_ && *pending_describe_portal_ == m->portal;
    if (pending_describe_portal_ && !describe) {
        std::string copy(payload);
        busy_ = true;
        FlushPendingDescribe([this, copy](bool ok) {
            busy_ = false;
            if (!ok) {
                skip_until_sync_ = true;
            } else {
                HandleExecute(copy);
            }
            Pump();
        });
        return;
    }
    pending_describe_portal_.reset();
    bool bind_pending = pending_bind_ && *pending_bind_ == m->portal;
    pending_bind_.reset();
    auto it = portals_.find(m->portal);
    if (it == portals_.end()) {
        SendError(MakeError(iostate::kInvalidCursorName, "portal \"" + m->portal + "\" does not exist"));
        skip_until_sync_ = true;
        return;
    }
    Portal& portal = it->second;
    size_t bind_mark = out().size();
    uint64_t flushes = flushes_;
    if (bind_pending) wire::WriteBindComplete(&out());
    if (portal.suspended) {
        ResumePortal(portal, m->max_rows);
        return;
    }
    if (portal.completed) {
        // PostgreSQL answers an exhausted SELECT portal with no rows.
        std::string tag = portal.final_tag;
        if (tag.rfind("SELECT", 0) == 0) tag = "SELECT 0";
        wire::WriteCommandComplete(&out(), tag);
        return;
    }
    if (portal.stmt->parsed.empty()) {
        wire::WriteEmptyQueryResponse(&out());
        return;
    }
    StatementExec exec;
    exec.stmt = portal.stmt->parsed[0];
    exec.params = portal.params;
    exec.result_formats = portal.result_formats;
    exec.describe = describe;
    exec.extended = true;
    exec.plan_cache = portal.stmt->plan_cache;
    busy_ = true;
    size_t mark = out().size();
    int32_t max_rows = m->max_rows;
    std::string name = m->portal;
    capture_ = max_rows > 0;
    Execute(std::move(exec), [this, mark, max_rows, name, bind_pending, bind_mark, flushes](bool ok) {
        if (!ok && bind_pending) RetractBindComplete(bind_mark, flushes, name);
        if (capture_) {
            capture_ = false;
            if (ok) SuspendPortal(name, mark, max_rows);
        }
        if (!ok) skip_until_sync_ = true;
        busy_ = false;
        Pump();
    });
}

// Row-limited Execute: the statement ran to completion with its output held back; DataRows past
// `max_rows` move into the portal and PortalSuspended replaces CommandComplete. The whole result
// is buffered (workers cannot be left mid-query between Executes), so this serves correctness
// (pgjdbc setFetchSize), not memory savings.
void ClientSession::SuspendPortal(const std::string& name, size_t mark, int32_t max_rows) {
    auto it = portals_.find(name);
    if (it == portals_.end()) return;
    Portal& portal = it->second;
    std::string tail = out().substr(mark);
    out().resize(mark);
    size_t pos = 0;
    int32_t rows = 0;
    bool suspended = false;
    while (pos + 5 <= tail.size()) {
        char type = tail[pos];
        size_t len = 1 + static_cast<uint32_t>(wire::ReadBE32(tail.data() + pos + 1));
        std::string_view m(tail.data() + pos, len);
        pos += len;
        if (type == 'D') {
            if (rows < max_rows) {
                out().append(m.data(), m.size());
                ++rows;
            } else {
                portal.pending_rows.emplace_back(m);
            }
            continue;
        }
        if (type == 'C') {
            portal.final_tag = std::string(m.substr(5, m.size() - 6));
            if (rows == max_rows) {
                wire::WritePortalSuspended(&out());
                suspended = true;
                continue;
            }
            portal.completed = true;
        }
        out().append(m.data(), m.size());
    }
    portal.suspended = suspended;
}

// Serves the next `max_rows` rows of a suspended portal (0 = all).
void ClientSession::ResumePortal(Portal& portal, int32_t max_rows) {
    size_t n = 0;
    while (!portal.pending_rows.empty() && (max_rows <= 0 || n < static_cast<size_t>(max_rows))) {
        out().append(portal.pending_rows.front());
        portal.pending_rows.pop_front();
        ++n;
    }
    if (max_rows > 0 && n == static_cast<size_t>(max_rows)) {
        wire::WritePortalSuspended(&out());
        return;
    }
    std::string tag = portal.final_tag;
    if (tag.rfind("SELECT", 0) == 0) tag = "SELECT " + std::to_string(n);
    wire::WriteCommandComplete(&out(), tag);
    portal.suspended = false;
    portal.completed = true;
}

// Close: forgets a statement or portal (closing a missing one is not an error).
void ClientSession::HandleClose(std::string_view payload) {
    auto m = wire::DecodeClose(payload);
    if (!m) {
        SendError(m.error());
        skip_until_sync_ = true;
        return;
    }
    if (m->kind == 'S') {
        statements_.erase(m->name);
    } else {
        portals_.erase(m->name);
    }
    wire::WriteCloseComplete(&out());
}

// Sync: ends the extended-protocol batch; the unnamed portal is dropped, as at transaction end.
void ClientSession::HandleSync() {
    skip_until_sync_ = false;
    if (txn_ == TxnState::kIdle) portals_.clear();
    ReadyForQuery();
}

// Writes an ErrorResponse.
void ClientSession::SendError(const Error& error) {
    wire::WriteError(&out(), error);
}

// Writes ReadyForQuery with the exact transaction status.
void ClientSession::ReadyForQuery() {
    wire::WriteReadyForQuery(&out(), TxnStatusByte());
}

char ClientSession::TxnStatusByte() const {
    switch (txn_) {
        case TxnState::kBlock:
            return 'T';
        case TxnState::kFailed:
            return 'E';
        default:
            return 'I';
    }
}

// The planner's view of this session.
SessionInfo ClientSession::Info() const {
    SessionInfo info;
    info.in_transaction = txn_ != TxnState::kIdle;
    info.user = session_.user();
    info.database = server_.config().worker_database;
    return info;
}

}  // namespace jade::coord::exec
