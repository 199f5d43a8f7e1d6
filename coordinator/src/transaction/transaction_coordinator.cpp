// transaction_coordinator.cpp — pinned connections, transaction blocks, commit (see
// transaction_coordinator.h).
#include "transaction/transaction_coordinator.h"

#include "backend/pool.h"
#include "executor/result_relay.h"
#include "metadata/state_machine.h"
#include "planner/planner_internal.h"
#include "transaction/two_phase_commit.h"
#include "transaction/two_phase_log.h"
#include "wire/io_sqlstate.h"

namespace jade::coord::txn {
namespace {

// Transaction control generated here (no client text), one statement per message.
exec::LaneOp SqlOp(std::string sql) {
    exec::LaneOp op;
    op.send = [sql = std::move(sql)](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    return op;
}

// A connection whose settings are not known (its worker transaction rolled back over a SET):
// never equal to a settings key, so the next user resets and replays them.
const char kUnknownSettings[] = "\x01unknown";

// Client transactions get ids unique in this process (WriteIntent::transaction).
uint64_t NextTransactionId() {
    static uint64_t next = 0;
    return ++next;
}

// Finds the newest savepoint named `name` (index into the snapshot names, 0 = none).
size_t FindSavepoint(const std::vector<std::string>& names, const std::string& name) {
    for (size_t i = names.size(); i-- > 1;) {
        if (names[i] == name) return i;
    }
    return 0;
}

}  // namespace

TransactionCoordinator::TransactionCoordinator(exec::ServerContext& server) : server_(server) {}

TransactionCoordinator::~TransactionCoordinator() {
    Abandon();
}

char TransactionCoordinator::StatusByte() const {
    switch (state_) {
        case State::kBlock:
            return 'T';
        case State::kFailed:
            return 'E';
        default:
            return 'I';
    }
}

std::vector<std::string> TransactionCoordinator::SearchPath(const std::string& user) const {
    static const std::vector<std::string> kDefault = {"$user", "public"};
    const std::vector<std::string>* items = &kDefault;
    if (settings_.search_path()) items = &*settings_.search_path();
    if (block_search_path_) items = block_search_path_->empty() ? &kDefault : &*block_search_path_;
    std::vector<std::string> out;
    for (const std::string& item : *items) out.push_back(item == "$user" ? user : item);
    return out;
}

std::vector<uint32_t> TransactionCoordinator::PinnedNodes() const {
    std::vector<uint32_t> nodes;
    for (const auto& [node, conn] : pinned_) nodes.push_back(node);
    return nodes;
}

// Gives a lane a connection: the pinned one for this node inside a transaction, else a pooled one.
// With worker_role = client the pool logs in as the client's own role (backend/pool.h). Code
// run on the connection's callbacks is the session's (net/exception_boundary.h).
void TransactionCoordinator::GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) {
    bool pin = state_ != State::kIdle || implicit_;
    auto alive = alive_;
    backend::WorkerPool::Request request{node_id, host, port, worker_role_};
    if (!pin) {
        server_.pool().Acquire(request, [this, alive, cb](backend::WorkerConn* c, const Error* err) {
            if (!*alive) {
                if (c != nullptr) server_.pool().Release(c);
                return;
            }
            net::OwnerScope scope(exception_owner_, exception_owner_alive_);
            if (c != nullptr) c->SetExceptionOwner(exception_owner_, exception_owner_alive_);
            cb(c, err);
        });
        return;
    }
    auto it = pinned_.find(node_id);
    if (it != pinned_.end()) {
        cb(it->second, nullptr);
        return;
    }
    server_.pool().Acquire(request, [this, alive, node_id, cb](backend::WorkerConn* c, const Error* err) {
        if (!*alive) {
            if (c != nullptr) server_.pool().Release(c);
            return;
        }
        net::OwnerScope scope(exception_owner_, exception_owner_alive_);
        if (err != nullptr) {
            cb(nullptr, err);
            return;
        }
        c->SetExceptionOwner(exception_owner_, exception_owner_alive_);
        c->pinned_by = this;
        c->on_idle_failure = nullptr;
        pinned_[node_id] = c;
        needs_begin_.insert(c);
        cb(c, nullptr);
    });
}

// Statement cache reset, settings replay and a lazy BEGIN, each its own statement.
std::vector<std::string> TransactionCoordinator::SetupStatements(backend::WorkerConn* conn) {
    std::vector<std::string> stmts;
    // Statements prepared before DDL (or possibly lost) are dropped before anything else runs;
    // not inside an open worker transaction, which may be aborted (only ROLLBACK runs there): its
    // connection catches up when it is next taken from the pool.
    bool in_open_txn = conn->pinned_by == this && needs_begin_.count(conn) == 0;
    if (conn->statements.NeedsReset(server_.schema_epoch()) && !in_open_txn) {
        if (conn->statements.HoldsStatements()) stmts.push_back("DEALLOCATE ALL");
        conn->statements.Reset(server_.schema_epoch());
    }
    std::string key = settings_.Key();
    if (conn->applied_settings != key) {
        // RESET ALL leaves role and session_authorization alone (GUC_NO_RESET_ALL): a previous
        // session's SET ROLE must not follow a pooled connection to the next session.
        if (!conn->applied_settings.empty()) {
            stmts.push_back("RESET SESSION AUTHORIZATION");
            stmts.push_back("RESET ALL");
        }
        for (auto& s : settings_.Statements()) stmts.push_back(std::move(s));
        // Inside the block RESET ALL also undid its SET LOCALs.
        if (in_open_txn) stmts.insert(stmts.end(), block_settings_.begin(), block_settings_.end());
    }
    if (needs_begin_.count(conn) != 0) {
        stmts.push_back(begin_sql_);
        for (const auto& local : block_settings_) stmts.push_back(local);
        // A node joining the block later gets its savepoints, so ROLLBACK TO reaches it too
        // (nothing ran there before, so each savepoint marks the same state: the BEGIN).
        for (size_t i = 1; i < snapshots_.size(); ++i) {
            stmts.push_back("SAVEPOINT " + planner::QuoteIdent(snapshots_[i].savepoint));
        }
    }
    return stmts;
}

void TransactionCoordinator::SetupDone(backend::WorkerConn* conn) {
    conn->applied_settings = settings_.Key();
    needs_begin_.erase(conn);
}

// Takes a connection back from a lane; pinned ones stay with the transaction.
void TransactionCoordinator::PutConn(backend::WorkerConn* conn, bool broken) {
    for (auto it = pinned_.begin(); it != pinned_.end(); ++it) {
        if (it->second != conn) continue;
        if (broken) {
            pinned_.erase(it);
            needs_begin_.erase(conn);
            conn->pinned_by = nullptr;
            server_.pool().Discard(conn);
            if (state_ == State::kBlock) state_ = State::kFailed;
        }
        return;
    }
    if (broken) {
        server_.pool().Discard(conn);
    } else {
        server_.pool().Release(conn);
    }
}

bool TransactionCoordinator::Begin(std::string begin_sql) {
    if (state_ != State::kIdle) return false;
    state_ = State::kBlock;
    written_nodes_.clear();
    begin_sql_ = begin_sql.empty() ? "BEGIN" : std::move(begin_sql);
    snapshots_ = {TakeSnapshot("")};
    return true;
}

TransactionCoordinator::Snapshot TransactionCoordinator::TakeSnapshot(std::string savepoint) const {
    Snapshot snap;
    snap.savepoint = std::move(savepoint);
    snap.settings = settings_;
    snap.block_settings = block_settings_;
    snap.block_search_path = block_search_path_;
    snap.deferred = deferred_.size();
    return snap;
}

// Settings and deferred metadata as at `snap`; the pinned connections' settings (their worker
// undid SETs too) are replayed on their next use.
void TransactionCoordinator::Restore(const Snapshot& snap) {
    settings_ = snap.settings;
    block_settings_ = snap.block_settings;
    block_search_path_ = snap.block_search_path;
    deferred_.resize(std::min(deferred_.size(), snap.deferred));
    for (auto& [node, c] : pinned_) c->applied_settings = kUnknownSettings;
}

void TransactionCoordinator::SavepointCreated(const std::string& name) {
    if (state_ != State::kIdle) snapshots_.push_back(TakeSnapshot(name));
}

bool TransactionCoordinator::HasSavepoint(const std::string& name) const {
    for (size_t i = 1; i < snapshots_.size(); ++i) {
        if (snapshots_[i].savepoint == name) return true;
    }
    return false;
}

void TransactionCoordinator::SavepointReleased(const std::string& name) {
    std::vector<std::string> names;
    for (const auto& s : snapshots_) names.push_back(s.savepoint);
    size_t i = FindSavepoint(names, name);
    if (i > 0) snapshots_.resize(i);
}

void TransactionCoordinator::RolledBackToSavepoint(const std::string& name) {
    if (state_ == State::kFailed) state_ = State::kBlock;
    std::vector<std::string> names;
    for (const auto& s : snapshots_) names.push_back(s.savepoint);
    size_t i = FindSavepoint(names, name);
    if (i == 0) return;
    snapshots_.resize(i + 1);  // the savepoint itself stays
    Restore(snapshots_[i]);
}

const Catalog& TransactionCoordinator::catalog() {
    const Catalog& shared = server_.store().catalog();
    if (deferred_.empty()) return shared;
    if (!overlay_ || overlay_base_ != shared.applied_index() || overlay_count_ != deferred_.size()) {
        overlay_ = shared;
        // A command the shared catalog no longer accepts (another session changed the table)
        // is skipped here; the commit's proposal then fails and the transaction rolls back.
        for (const Command& cmd : deferred_) (void)ApplyCommand(*overlay_, cmd);
        overlay_base_ = shared.applied_index();
        overlay_count_ = deferred_.size();
    }
    return *overlay_;
}

void TransactionCoordinator::DeferMetadata(const std::vector<Command>& commands) {
    deferred_.insert(deferred_.end(), commands.begin(), commands.end());
}

void TransactionCoordinator::OnStatementError() {
    if (state_ == State::kBlock) state_ = State::kFailed;
}

void TransactionCoordinator::MarkWritten(uint32_t node_id) {
    written_nodes_.insert(node_id);
}

void TransactionCoordinator::BeforeWrite(std::vector<uint64_t> shard_ids, TransactionHooks::Continue go) {
    if (write_transaction_ == 0) write_transaction_ = NextTransactionId();
    WriteIntent intent;
    intent.transaction = write_transaction_;
    intent.shard_ids = std::move(shard_ids);
    server_.transaction_hooks().BeforeWrite(intent, std::move(go));
}

void TransactionCoordinator::StatementEnded() {
    if (state_ != State::kIdle || implicit_ || write_transaction_ == 0) return;
    server_.transaction_hooks().TransactionEnded(write_transaction_);
    write_transaction_ = 0;
}

void TransactionCoordinator::Autocommitted(std::vector<uint32_t> nodes, CommitDone done) {
    CommittedTxn committed;
    committed.transaction = write_transaction_;
    committed.written_nodes = std::move(nodes);
    AfterCommit(std::move(committed), CommitOutcome{}, std::move(done));
}

void TransactionCoordinator::Commit(CommitDone done) {
    CommitPinned(std::move(done));
}

void TransactionCoordinator::BeginImplicit() {
    implicit_ = true;
}

void TransactionCoordinator::CommitImplicit(CommitDone done) {
    CommitPinned([this, done = std::move(done)](const CommitOutcome& outcome) {
        implicit_ = false;
        StatementEnded();
        done(outcome);
    });
}

void TransactionCoordinator::RollbackImplicit(std::function<void()> done) {
    Rollback([this, done = std::move(done)] {
        implicit_ = false;
        StatementEnded();
        done();
    });
}

// Ends the pinned transaction: COMMIT when at most one node wrote, else two-phase commit.
void TransactionCoordinator::CommitPinned(CommitDone done) {
    CommittedTxn committed;
    committed.transaction = write_transaction_;
    committed.written_nodes.assign(written_nodes_.begin(), written_nodes_.end());
    if (pinned_.empty()) {
        std::vector<Command> commands = std::move(deferred_);
        EndTransaction(false);
        if (commands.empty()) {
            AfterCommit(std::move(committed), CommitOutcome{}, std::move(done));
            return;
        }
        server_.ProposeMetadata(std::move(commands), [this, committed, done](Status st) {
            CommitOutcome outcome;
            if (!st) {
                outcome.error = st.error();
                done(outcome);
                return;
            }
            AfterCommit(committed, outcome, done);
        });
        return;
    }
    size_t writers = 0;
    for (auto& [node, c] : pinned_) writers += written_nodes_.count(node);
    // Deferred metadata commits inside the two-phase decision, even with one worker node.
    if (writers <= 1 && deferred_.empty()) {
        auto error = std::make_shared<std::optional<Error>>();
        std::vector<exec::Lane> lanes;
        for (auto& [node, c] : pinned_) {
            exec::Lane l;
            l.node_id = node;
            l.ops.push_back(SqlOp("COMMIT"));
            lanes.push_back(std::move(l));
        }
        exec::TaskRun::Callbacks cb;
        cb.on_result = [error](size_t, int, backend::PgResult res) {
            if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*error) *error = exec::ErrorOf(res.get());
        };
        cb.on_done = [this, error, committed, done](const Error* err) {
            if (err != nullptr && !*error) *error = *err;
            if (*error && !snapshots_.empty()) Restore(snapshots_[0]);
            EndTransaction(false);
            CommitOutcome outcome;
            if (*error) {
                outcome.error = **error;
                done(outcome);
                return;
            }
            AfterCommit(committed, outcome, done);
        };
        StartRun(std::move(lanes), std::move(cb));
        return;
    }
    two_phase_ = std::make_unique<TwoPhaseCommit>(server_.loop(), this, server_.two_phase());
    committed.two_phase_txid = two_phase_->txid();
    if (!deferred_.empty()) {
        std::vector<Command> commands = deferred_;
        two_phase_->SetBeforeCommit([this, commands](std::function<void(Status)> answer) {
            server_.ProposeMetadata(commands, std::move(answer));
        });
    }
    std::vector<TwoPhaseCommit::Participant> participants;
    for (auto& [node, c] : pinned_) {
        TwoPhaseCommit::Participant p;
        p.node.id = node;
        p.gid = two_phase_->Gid(node);
        participants.push_back(std::move(p));
    }
    auto still_open = [this](uint32_t node) { return pinned_.count(node) != 0; };
    two_phase_->Run(std::move(participants), still_open,
                    [this, committed, done](const TwoPhaseCommit::Outcome& result) {
                        RetireTwoPhase();
                        if (!result.committed && !snapshots_.empty()) Restore(snapshots_[0]);
                        EndTransaction(false);
                        CommitOutcome outcome;
                        if (!result.committed) {
                            Error e = result.error ? *result.error
                                                   : MakeError(iostate::kConnectionFailure,
                                                               "could not prepare the transaction on every worker");
                            if (e.message.rfind("two-phase commit failed", 0) != 0) {
                                e.detail = e.message + (e.detail.empty() ? "" : " " + e.detail);
                                e.message = "two-phase commit failed: the transaction was rolled back on every worker";
                            }
                            outcome.error = std::move(e);
                            done(outcome);
                            return;
                        }
                        // The decision is durable; recovery finishes participants that missed it.
                        outcome.unresolved = result.unresolved;
                        AfterCommit(committed, outcome, done);
                    });
}

// Rolls back every pinned connection and ends the transaction.
void TransactionCoordinator::Rollback(std::function<void()> done) {
    if (pinned_.empty()) {
        if (!snapshots_.empty()) Restore(snapshots_[0]);
        EndTransaction(false);
        done();
        return;
    }
    std::vector<exec::Lane> lanes;
    for (auto& [node, c] : pinned_) {
        exec::Lane l;
        l.node_id = node;
        l.ops.push_back(SqlOp("ROLLBACK"));
        lanes.push_back(std::move(l));
    }
    exec::TaskRun::Callbacks cb;
    cb.on_done = [this, done](const Error*) {
        // Restored only now: setup statements must not run in the aborted transaction before ROLLBACK.
        if (!snapshots_.empty()) Restore(snapshots_[0]);
        EndTransaction(false);
        done();
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Returns (or discards) every pinned connection; the session is out of any transaction.
void TransactionCoordinator::EndTransaction(bool broken) {
    block_settings_.clear();
    block_search_path_.reset();
    auto conns = std::move(pinned_);
    pinned_.clear();
    needs_begin_.clear();
    for (auto& [node, c] : conns) {
        c->pinned_by = nullptr;
        if (broken) {
            server_.pool().Discard(c);
        } else {
            server_.pool().Release(c);
        }
    }
    bool was_block = state_ != State::kIdle;
    state_ = State::kIdle;
    written_nodes_.clear();
    // BEGIN's modes (READ ONLY, ISOLATION LEVEL, ...) belong to that block only.
    begin_sql_ = "BEGIN";
    snapshots_.clear();
    deferred_.clear();
    overlay_.reset();
    if (was_block && write_transaction_ != 0) {
        server_.transaction_hooks().TransactionEnded(write_transaction_);
        write_transaction_ = 0;
    }
}

// Lets the replication hook confirm the commit before the client is told.
void TransactionCoordinator::AfterCommit(CommittedTxn committed, CommitOutcome outcome, CommitDone done) {
    server_.transaction_hooks().AfterCommit(committed, [outcome, done](const Error* err) mutable {
        if (err != nullptr) outcome.error = *err;
        done(outcome);
    });
}

// Starts a run on the pinned connections (the previous one is freed later: this may be its callback).
void TransactionCoordinator::StartRun(std::vector<exec::Lane> lanes, exec::TaskRun::Callbacks cb) {
    if (run_) {
        exec::TaskRun* old = run_.release();
        exec::DeferDelete(server_.loop(), [old] { delete old; });
    }
    run_ = std::make_unique<exec::TaskRun>(server_.loop(), this, std::move(lanes), std::move(cb));
    run_->Start();
}

void TransactionCoordinator::RetireTwoPhase() {
    TwoPhaseCommit* old = two_phase_.release();
    if (old != nullptr) exec::DeferDelete(server_.loop(), [old] { delete old; });
}

void TransactionCoordinator::Abandon() {
    *alive_ = false;
    if (run_ && !run_->done()) run_->Abort();
    if (two_phase_) two_phase_->Abandon();
    EndTransaction(/*broken=*/true);
}

}  // namespace jade::coord::txn
