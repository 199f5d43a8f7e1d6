// exec_txn.cpp — worker connections for a client session, session settings, and transactions
// (BEGIN/COMMIT/ROLLBACK/SAVEPOINT, two-phase commit across nodes). See client_session.h.
//
// Connections: outside a transaction each lane takes a pooled connection; inside one (explicit
// BEGIN, or the implicit transaction of a multi-shard write) the session pins one connection
// per node, starts the worker transaction lazily with the client's BEGIN statement on first use,
// and keeps it until COMMIT/ROLLBACK. Session settings (SET ...) are remembered as SQL and
// replayed on any connection whose applied settings differ ("RESET ALL; SET a; SET b").
// Commit: one written node → plain COMMIT everywhere; several → 2PC with a durable decision.
#include "backend/pool.h"
#include "executor/client_session.h"
#include "executor/result_relay.h"
#include "executor/two_phase.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"
#include "wire/messages/startup.h"

namespace jade::coord::exec {
namespace {

// Canonical names of the settings PostgreSQL reports with ParameterStatus.
const char* ReportedName(const std::string& lower) {
    static const char* kNames[] = {"application_name",
                                   "client_encoding",
                                   "DateStyle",
                                   "IntervalStyle",
                                   "TimeZone",
                                   "standard_conforming_strings",
                                   "is_superuser",
                                   "session_authorization",
                                   "default_transaction_read_only",
                                   "integer_datetimes",
                                   "server_encoding"};
    for (const char* n : kNames) {
        std::string l(n);
        for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (l == lower) return n;
    }
    return nullptr;
}

// A simple-query op (transaction control and generated statements; no user values inside).
LaneOp SqlOp(std::string sql, int tag = 0) {
    LaneOp op;
    op.tag = tag;
    op.send = [sql = std::move(sql)](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    return op;
}

}  // namespace

// Gives a lane a connection: the pinned one for this node inside a transaction, else a pooled one.
void ClientSession::GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) {
    bool use_txn = txn_ != TxnState::kIdle || implicit_txn_;
    auto alive = alive_;
    if (!use_txn) {
        server_.pool().Acquire(node_id, host, port, [this, alive, cb](backend::WorkerConn* c, const Error* err) {
            if (!*alive) {
                if (c != nullptr) server_.pool().Release(c);
                return;
            }
            cb(c, err);
        });
        return;
    }
    auto it = txn_conns_.find(node_id);
    if (it != txn_conns_.end()) {
        cb(it->second, nullptr);
        return;
    }
    server_.pool().Acquire(node_id, host, port, [this, alive, node_id, cb](backend::WorkerConn* c, const Error* err) {
        if (!*alive) {
            if (c != nullptr) server_.pool().Release(c);
            return;
        }
        if (err != nullptr) {
            cb(nullptr, err);
            return;
        }
        c->pinned_by = this;
        c->on_idle_failure = nullptr;
        txn_conns_[node_id] = c;
        needs_begin_.insert(c);
        cb(c, nullptr);
    });
}

// Settings replay plus a lazy BEGIN for a newly pinned transaction connection.
std::string ClientSession::SetupSql(backend::WorkerConn* conn) {
    std::string desired = DesiredSettings();
    std::string sql;
    // Statements prepared before DDL (or possibly lost) are dropped before anything else runs;
    // not inside an open worker transaction, which may be aborted (only ROLLBACK runs there): its
    // connection catches up when it is next taken from the pool.
    bool in_open_txn = conn->pinned_by == this && needs_begin_.count(conn) == 0;
    if (conn->statements.NeedsReset(server_.schema_epoch()) && !in_open_txn) {
        if (conn->statements.HoldsStatements()) sql = "DEALLOCATE ALL;";
        conn->statements.Reset(server_.schema_epoch());
    }
    if (conn->applied_settings != desired) {
        if (!conn->applied_settings.empty()) sql += "RESET ALL;";
        sql += desired;
    }
    if (needs_begin_.count(conn) != 0) {
        sql += begin_sql_ + ";";
        for (const auto& local : txn_local_sql_) sql += local + ";";
    }
    return sql;
}

void ClientSession::SetupDone(backend::WorkerConn* conn) {
    conn->applied_settings = DesiredSettings();
    needs_begin_.erase(conn);
}

// Takes a connection back from a lane; pinned ones stay with the transaction.
void ClientSession::PutConn(backend::WorkerConn* conn, bool broken) {
    for (auto it = txn_conns_.begin(); it != txn_conns_.end(); ++it) {
        if (it->second != conn) continue;
        if (broken) {
            txn_conns_.erase(it);
            needs_begin_.erase(conn);
            server_.pool().Discard(conn);
            if (txn_ == TxnState::kBlock) txn_ = TxnState::kFailed;
        }
        return;
    }
    if (broken) {
        server_.pool().Discard(conn);
    } else {
        server_.pool().Release(conn);
    }
}

// The SQL that recreates this session's settings on a fresh connection.
std::string ClientSession::DesiredSettings() const {
    std::string sql;
    for (const auto& [name, stmt] : settings_) sql += stmt + ";";
    return sql;
}

// A statement failed: inside a transaction block the block is now aborted.
void ClientSession::OnStatementError() {
    if (txn_ == TxnState::kBlock) txn_ = TxnState::kFailed;
}

// Returns (or discards) every pinned connection.
void ClientSession::ReleaseTxnConns(bool broken) {
    txn_local_sql_.clear();
    auto conns = std::move(txn_conns_);
    txn_conns_.clear();
    needs_begin_.clear();
    for (auto& [node, c] : conns) {
        c->pinned_by = nullptr;
        if (broken) {
            server_.pool().Discard(c);
        } else {
            server_.pool().Release(c);
        }
    }
}

// BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO.
void ClientSession::RunTransaction(const StatementExec& exec, const Plan& plan, DoneFn done) {
    auto complete = [this, exec](const std::string& tag) {
        if (exec.extended && exec.describe) wire::WriteNoData(&out());
        wire::WriteCommandComplete(&out(), tag);
    };
    switch (plan.txn.kind) {
        case TxnKind::kBegin:
            if (txn_ != TxnState::kIdle) {
                wire::WriteNotice(&out(), "WARNING", sqlstate::kActiveSqlTransaction,
                                  "there is already a transaction in progress");
            } else {
                txn_ = TxnState::kBlock;
                written_nodes_.clear();
                begin_sql_ = plan.txn.sql.empty() ? "BEGIN" : plan.txn.sql;
            }
            complete("BEGIN");
            done(true);
            return;
        case TxnKind::kCommit:
            if (txn_ == TxnState::kIdle) {
                wire::WriteNotice(&out(), "WARNING", "25P01", "there is no transaction in progress");
                complete("COMMIT");
                done(true);
                return;
            }
            if (txn_ == TxnState::kFailed) {
                RollbackConns([complete, done] {
                    complete("ROLLBACK");
                    done(true);
                });
                return;
            }
            CommitConns(false, [this, complete, done](const Error* err) {
                if (err != nullptr) {
                    SendError(*err);
                    done(false);
                    return;
                }
                complete("COMMIT");
                done(true);
            });
            return;
        case TxnKind::kRollback:
            if (txn_ == TxnState::kIdle) {
                wire::WriteNotice(&out(), "WARNING", "25P01", "there is no transaction in progress");
                complete("ROLLBACK");
                done(true);
                return;
            }
            RollbackConns([complete, done] {
                complete("ROLLBACK");
                done(true);
            });
            return;
        case TxnKind::kSavepoint:
        case TxnKind::kRelease:
        case TxnKind::kRollbackTo: {
            if (txn_ == TxnState::kIdle) {
                SendError(
                    MakeError("25P01", std::string(plan.txn.kind == TxnKind::kSavepoint ? "SAVEPOINT"
                                                   : plan.txn.kind == TxnKind::kRelease ? "RELEASE SAVEPOINT"
                                                                                        : "ROLLBACK TO SAVEPOINT") +
                                           " can only be used in transaction blocks"));
                done(false);
                return;
            }
            std::vector<Lane> lanes;
            for (auto& [node, c] : txn_conns_) {
                Lane l;
                l.node_id = node;
                l.ops.push_back(SqlOp(plan.txn.sql));
                lanes.push_back(std::move(l));
            }
            auto error = std::make_shared<std::optional<wire::ErrorFields>>();
            std::string tag = plan.txn.kind == TxnKind::kSavepoint ? "SAVEPOINT"
                              : plan.txn.kind == TxnKind::kRelease ? "RELEASE"
                                                                   : "ROLLBACK";
            bool rollback_to = plan.txn.kind == TxnKind::kRollbackTo;
            TaskRun::Callbacks cb;
            cb.on_result = [error](size_t, int, backend::PgResult res) {
                if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*error) *error = ErrorFieldsOf(res.get());
            };
            cb.on_done = [this, error, complete, done, tag, rollback_to](const Error* err) {
                if (*error || err != nullptr) {
                    if (*error) {
                        wire::WriteErrorFields(&out(), 'E', **error);
                    } else {
                        SendError(*err);
                    }
                    OnStatementError();
                    done(false);
                    return;
                }
                if (rollback_to && txn_ == TxnState::kFailed) txn_ = TxnState::kBlock;
                complete(tag);
                done(true);
            };
            StartRun(std::move(lanes), std::move(cb));
            return;
        }
    }
}

// Ends the pinned transaction: COMMIT when at most one node wrote, else two-phase commit.
void ClientSession::CommitConns(bool implicit, std::function<void(const Error*)> done) {
    (void)implicit;
    if (txn_conns_.empty()) {
        txn_ = TxnState::kIdle;
        written_nodes_.clear();
        txn_local_sql_.clear();
        done(nullptr);
        return;
    }
    size_t writers = 0;
    for (auto& [node, c] : txn_conns_) writers += written_nodes_.count(node);
    auto finish = [this, done](const Error* err) {
        ReleaseTxnConns(false);
        txn_ = TxnState::kIdle;
        written_nodes_.clear();
        done(err);
    };
    auto error = std::make_shared<std::optional<Error>>();
    if (writers <= 1) {
        std::vector<Lane> lanes;
        for (auto& [node, c] : txn_conns_) {
            Lane l;
            l.node_id = node;
            l.ops.push_back(SqlOp("COMMIT"));
            lanes.push_back(std::move(l));
        }
        TaskRun::Callbacks cb;
        cb.on_result = [error](size_t, int, backend::PgResult res) {
            if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*error) *error = ErrorOf(res.get());
        };
        cb.on_done = [error, finish](const Error* err) {
            if (err != nullptr && !*error) *error = *err;
            finish(*error ? &**error : nullptr);
        };
        StartRun(std::move(lanes), std::move(cb));
        return;
    }
    // Phase 1: PREPARE TRANSACTION on every participant.
    TwoPhaseLog& log = server_.two_phase();
    uint64_t txid = log.Begin();
    auto prepared = std::make_shared<std::set<uint32_t>>();
    std::vector<Lane> lanes;
    std::vector<uint32_t> nodes;
    for (auto& [node, c] : txn_conns_) {
        Lane l;
        l.node_id = node;
        l.ops.push_back(SqlOp("PREPARE TRANSACTION '" + log.Gid(txid, node) + "'", static_cast<int>(node)));
        lanes.push_back(std::move(l));
        nodes.push_back(node);
    }
    TaskRun::Callbacks cb;
    cb.on_result = [error, prepared](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorOf(res.get());
        } else if (PQresultStatus(res.get()) == PGRES_COMMAND_OK &&
                   std::string(PQcmdStatus(res.get())) == "PREPARE TRANSACTION") {
            prepared->insert(static_cast<uint32_t>(tag));
        }
    };
    cb.on_done = [this, error, prepared, nodes, txid, finish](const Error* err) {
        TwoPhaseLog& log = server_.two_phase();
        if (err != nullptr && !*error) *error = *err;
        bool all = !*error && prepared->size() == nodes.size();
        if (all) {
            Status s = log.LogCommit(txid);
            if (!s) *error = s.error();
            all = s.ok();
        }
        // Phase 2: COMMIT PREPARED (decision logged) or ROLLBACK [PREPARED] everywhere.
        std::vector<Lane> lanes2;
        for (uint32_t node : nodes) {
            if (txn_conns_.count(node) == 0) continue;
            Lane l;
            l.node_id = node;
            if (all) {
                l.ops.push_back(SqlOp("COMMIT PREPARED '" + log.Gid(txid, node) + "'"));
            } else if (prepared->count(node) != 0) {
                l.ops.push_back(SqlOp("ROLLBACK PREPARED '" + log.Gid(txid, node) + "'"));
            } else {
                l.ops.push_back(SqlOp("ROLLBACK"));
            }
            lanes2.push_back(std::move(l));
        }
        auto phase2_error = std::make_shared<bool>(false);
        TaskRun::Callbacks cb2;
        cb2.on_result = [phase2_error](size_t, int, backend::PgResult res) {
            if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) *phase2_error = true;
        };
        cb2.on_done = [this, all, error, txid, finish, phase2_error](const Error* err) {
            bool unresolved = *phase2_error || err != nullptr;
            if (all && unresolved) {
                // The decision is durable; recovery finishes the participants that missed it.
                wire::WriteNotice(&out(), "WARNING", iostate::kTransactionResolutionUnknown,
                                  "transaction committed, but some workers have not confirmed yet; "
                                  "the coordinator will finish it");
                server_.two_phase().Finish(txid, false);
            } else {
                server_.two_phase().Finish(txid, all);
            }
            if (!all) {
                Error e = *error ? **error
                                 : MakeError(iostate::kConnectionFailure,
                                             "could not prepare the transaction on every worker");
                if (e.message.rfind("two-phase commit failed", 0) != 0) {
                    e.detail = e.message + (e.detail.empty() ? "" : " " + e.detail);
                    e.message = "two-phase commit failed: the transaction was rolled back on every worker";
                }
                finish(&e);
                return;
            }
            finish(nullptr);
        };
        StartRun(std::move(lanes2), std::move(cb2));
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Rolls back every pinned connection and ends the transaction.
void ClientSession::RollbackConns(std::function<void()> done) {
    if (txn_conns_.empty()) {
        txn_ = TxnState::kIdle;
        written_nodes_.clear();
        txn_local_sql_.clear();
        done();
        return;
    }
    std::vector<Lane> lanes;
    for (auto& [node, c] : txn_conns_) {
        Lane l;
        l.node_id = node;
        l.ops.push_back(SqlOp("ROLLBACK"));
        lanes.push_back(std::move(l));
    }
    TaskRun::Callbacks cb;
    cb.on_done = [this, done](const Error*) {
        ReleaseTxnConns(false);
        txn_ = TxnState::kIdle;
        written_nodes_.clear();
        done();
    };
    StartRun(std::move(lanes), std::move(cb));
}

// SET / RESET / DISCARD: validated by a worker, remembered, replayed on connections.
void ClientSession::RunSessionSet(const StatementExec& exec, const Plan& plan, DoneFn done) {
    const SessionSetting& s = plan.setting;
    auto old = settings_;
    bool remember = s.kind == SettingKind::kSet || s.kind == SettingKind::kReset || s.kind == SettingKind::kResetAll;
    if (s.kind == SettingKind::kSet || s.kind == SettingKind::kReset) {
        for (auto it = settings_.begin(); it != settings_.end(); ++it) {
            if (it->first == s.name) {
                settings_.erase(it);
                break;
            }
        }
        if (s.kind == SettingKind::kSet) settings_.emplace_back(s.name, s.sql);
    } else if (s.kind == SettingKind::kResetAll) {
        settings_.clear();
    }
    // SET LOCAL / SET TRANSACTION inside a block: remembered for the block, so worker
    // transactions that start later in it (lazy BEGIN on another node) get it too.
    auto old_local = txn_local_sql_;
    bool block_local = !remember && txn_ != TxnState::kIdle;
    if (block_local) txn_local_sql_.push_back(s.sql);
    const Node* def = server_.store().catalog().DefaultNode();
    std::vector<Lane> lanes;
    std::set<uint32_t> covered;
    for (auto& [node, c] : txn_conns_) {
        Lane l;
        l.node_id = node;
        // Pinned connections get the statement itself (it may be SET LOCAL / SET TRANSACTION).
        if (!remember) l.ops.push_back(SqlOp(s.sql));
        lanes.push_back(std::move(l));
        covered.insert(node);
    }
    if (def != nullptr && covered.count(def->id) == 0 && (remember || lanes.empty())) {
        Lane l;
        l.node_id = def->id;
        l.host = def->host;
        l.port = def->port;
        // In a block the new connection's setup (BEGIN + block settings) already applies it.
        if (!remember && !block_local) l.ops.push_back(SqlOp(s.sql));
        lanes.push_back(std::move(l));
    }
    const char* reported = ReportedName(s.name);
    std::string report_name = reported ? reported : "";
    if (reported != nullptr && !lanes.empty()) {
        std::string name = s.name;
        LaneOp op;
        op.tag = 1;
        op.send = [name](PGconn* pg) {
            const char* vals[] = {name.c_str()};
            return PQsendQueryParams(pg, "SELECT pg_catalog.current_setting($1)", 1, nullptr, vals, nullptr, nullptr,
                                     0) == 1;
        };
        lanes[0].ops.push_back(std::move(op));
    }
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    auto reported_value = std::make_shared<std::optional<std::string>>();
    TaskRun::Callbacks cb;
    cb.on_result = [error, reported_value](size_t, int tag, backend::PgResult res) {
        ExecStatusType st = PQresultStatus(res.get());
        if (st == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorFieldsOf(res.get());
        } else if (tag == 1 && st == PGRES_TUPLES_OK && PQntuples(res.get()) == 1) {
            *reported_value = PQgetvalue(res.get(), 0, 0);
        }
    };
    cb.on_notice = [this](const PGresult* n) { wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(n)); };
    std::string tag = plan.command_tag;
    if (tag.empty()) tag = s.kind == SettingKind::kSet || s.kind == SettingKind::kSetLocal ? "SET" : "RESET";
    bool ext = exec.extended && exec.describe;
    cb.on_done = [this, error, reported_value, old, old_local, tag, ext, report_name, done](const Error* err) {
        if (*error || err != nullptr) {
            settings_ = old;
            txn_local_sql_ = old_local;
            if (*error) {
                wire::WriteErrorFields(&out(), 'E', **error);
            } else {
                SendError(*err);
            }
            OnStatementError();
            done(false);
            return;
        }
        if (!report_name.empty() && *reported_value) wire::WriteParameterStatus(&out(), report_name, **reported_value);
        if (ext) wire::WriteNoData(&out());
        wire::WriteCommandComplete(&out(), tag);
        done(true);
    };
    if (lanes.empty()) {
        // No worker yet: the setting is remembered and replayed once nodes exist.
        cb.on_done(nullptr);
        return;
    }
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
