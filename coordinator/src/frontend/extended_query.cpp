// extended_query.cpp — the extended query protocol of one client: Parse, Bind, Describe,
// Execute (row limits and suspended portals), Close and Sync (see client_session.h).
#include "executor/bind_error.h"
#include "executor/param_count.h"
#include "frontend/client_session.h"
#include "sql/parser.h"
#include "wire/io_sqlstate.h"
#include "wire/message_buffer.h"
#include "wire/messages/error_response.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"

namespace jade::coord::frontend {

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
        txn_->OnStatementError();
        skip_until_sync_ = true;
        return;
    }
    if (parsed->size() > 1) {
        SendError(MakeError(sqlstate::kSyntaxError, "cannot insert multiple commands into a prepared statement"));
        skip_until_sync_ = true;
        return;
    }
    if (txn_->state() == txn::TransactionCoordinator::State::kFailed && !EndsTransaction(*parsed)) {
        SendError(MakeError(iostate::kInFailedSqlTransaction,
                            "current transaction is aborted, commands ignored until end of transaction block"));
        skip_until_sync_ = true;
        return;
    }
    auto st = std::make_shared<exec::PreparedStatement>();
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
    if (txn_->state() == txn::TransactionCoordinator::State::kFailed && !EndsTransaction(it->second->parsed)) {
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
    auto err = exec::FindErrorResponse(std::string_view(out()).substr(mark + 5));
    if (!err) return;
    wire::ErrorFields fields = std::move(err->second);
    std::optional<int> param = exec::BindErrorParameter(fields);
    if (!param) return;
    // The shard statement's $n is the client parameter its tasks map it to (when all agree).
    std::optional<int> client;
    for (size_t i = 0; i < exec_->running_task_params().size(); ++i) {
        const auto& task = exec_->running_task_params()[i];
        std::optional<int> c;
        if (*param >= 1 && static_cast<size_t>(*param) <= task.size()) c = task[*param - 1];
        if (i > 0 && c != client) {
            client.reset();
            break;
        }
        client = c;
    }
    fields = exec::RewriteBindContext(std::move(fields), portal, client);
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
    size_t nparams = std::max(it->second->param_types.size(), exec::CountParams(it->second->sql));
    if (it->second->param_types.size() < nparams) it->second->param_types.resize(nparams, 0);
    Params params(nparams);
    for (size_t i = 0; i < params.size(); ++i) params[i].type_oid = it->second->param_types[i];
    exec_->Describe(it->second, params, /*portal=*/false, {}, [this](bool ok) {
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
    exec_->Describe(it->second.stmt, it->second.params, /*portal=*/true, it->second.result_formats, then);
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
    exec::StatementExec exec;
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
    exec_->Execute(std::move(exec), [this, mark, max_rows, name, bind_pending, bind_mark, flushes](bool ok) {
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
    if (!txn_->in_block()) portals_.clear();
    ReadyForQuery();
}

// Writes an ErrorResponse.
}  // namespace jade::coord::frontend
