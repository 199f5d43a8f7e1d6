// transaction_coordinator.h — one client's transaction across worker nodes: which worker
// connection serves each statement, the transaction block's state, and how it ends.
//
// Connections (exec::ConnSource, asked by every TaskRun of the session): outside a transaction
// each lane gets a pooled connection for one statement. Inside one (an explicit BEGIN block, or
// the implicit transaction of one multi-shard write) the session pins one connection per node,
// keeps it until COMMIT/ROLLBACK, and starts the worker transaction lazily with the client's own
// BEGIN statement on first use, followed by the block's SET LOCAL / SET TRANSACTION statements.
// Before anything else a connection gets the session's settings (SessionSettings) when it
// carries other ones. Every setup statement is a protocol message of its own (SetupStatements):
// no client text is ever joined to another statement.
//
// Commit: the nodes that wrote decide — at most one → COMMIT on every pinned connection; several
// → TwoPhaseCommit (two_phase_commit.h) over the pinned connections. A failed block only rolls
// back. Hooks (transaction_hooks.h): BeforeWrite before a statement writes shards, AfterCommit
// before the client hears that the transaction committed, TransactionEnded when it is over.
//
// State: kIdle (no block), kBlock (BEGIN ... ), kFailed (a statement failed in the block: every
// statement but ROLLBACK / COMMIT / ROLLBACK TO is refused with 25P02, as in PostgreSQL).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "executor/server_context.h"
#include "executor/task_run.h"
#include "net/exception_boundary.h"
#include "transaction/session_settings.h"
#include "transaction/transaction_hooks.h"

namespace jade::coord::txn {

class TwoPhaseCommit;

/** How a commit ended. */
struct CommitOutcome {
    std::optional<Error> error;  ///< set: not committed (or the AfterCommit hook's error)
    bool unresolved = false;     ///< committed, but a participant has not confirmed yet (recovery finishes it)
};
using CommitDone = std::function<void(const CommitOutcome&)>;

class TransactionCoordinator final : public exec::ConnSource {
public:
    enum class State { kIdle, kBlock, kFailed };

    explicit TransactionCoordinator(exec::ServerContext& server);
    /** Abandon(): pinned connections are discarded (their worker transactions roll back). */
    ~TransactionCoordinator() override;

    State state() const { return state_; }
    bool in_block() const { return state_ != State::kIdle; }
    /** ReadyForQuery's status byte: 'I' idle, 'T' in a block, 'E' in a failed block. */
    char StatusByte() const;

    SessionSettings& settings() { return settings_; }
    /** worker_role = client: worker connections log in as this role ("" = worker_user). */
    void SetWorkerRole(std::string role) { worker_role_ = std::move(role); }
    /** The client session answers for exceptions thrown by code run on its connections. */
    void SetExceptionOwner(net::ExceptionOwner* owner, std::shared_ptr<bool> alive) {
        exception_owner_ = owner;
        exception_owner_alive_ = std::move(alive);
    }
    /** SET LOCAL / SET TRANSACTION statements of the open block, replayed after a lazy BEGIN. */
    std::vector<std::string>& block_settings() { return block_settings_; }
    /** Nodes with a pinned connection (their worker transaction may have started). */
    std::vector<uint32_t> PinnedNodes() const;

    // Transaction blocks.
    /** BEGIN / START TRANSACTION: false when a block is already open (the caller warns). */
    bool Begin(std::string begin_sql);
    /** COMMIT of a block in kBlock: `done` gets the error when it did not commit. */
    void Commit(CommitDone done);
    /** ROLLBACK (or COMMIT of a failed block): always ends the block. */
    void Rollback(std::function<void()> done);
    /** A statement failed: inside a block the block is now aborted (kFailed). */
    void OnStatementError();
    /** ROLLBACK TO SAVEPOINT succeeded on every pinned connection: the block is usable again. */
    void RolledBackToSavepoint();

    // The implicit transaction of one multi-shard statement outside a block.
    void BeginImplicit();
    void CommitImplicit(CommitDone done);
    void RollbackImplicit(std::function<void()> done);

    /** A statement wrote on `node_id` in the current transaction (decides 1PC vs 2PC). */
    void MarkWritten(uint32_t node_id);
    /** Asks the hooks before a statement writes `shard_ids`; `go` runs when it may proceed. */
    void BeforeWrite(std::vector<uint64_t> shard_ids, TransactionHooks::Continue go);
    /**
     * A statement outside any transaction committed on `nodes` by itself (autocommit on a pooled
     * connection): the AfterCommit hook runs for it as for a COMMIT.
     */
    void Autocommitted(std::vector<uint32_t> nodes, CommitDone done);
    /** A top-level statement finished: outside a block its writes (if any) are over. */
    void StatementEnded();

    /**
     * The session is going away: running commit work is dropped (a two-phase commit in progress
     * is left to recovery, server/recovery.cpp) and pinned connections are discarded.
     */
    void Abandon();

    // exec::ConnSource
    void GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) override;
    std::vector<std::string> SetupStatements(backend::WorkerConn* conn) override;
    void SetupDone(backend::WorkerConn* conn) override;
    void PutConn(backend::WorkerConn* conn, bool broken) override;

private:
    void CommitPinned(CommitDone done);
    void EndTransaction(bool broken);
    void AfterCommit(CommittedTxn committed, CommitOutcome outcome, CommitDone done);
    void StartRun(std::vector<exec::Lane> lanes, exec::TaskRun::Callbacks cb);
    void RetireTwoPhase();

    exec::ServerContext& server_;
    State state_ = State::kIdle;
    bool implicit_ = false;
    std::map<uint32_t, backend::WorkerConn*> pinned_;  ///< node id → connection
    std::set<backend::WorkerConn*> needs_begin_;
    std::set<uint32_t> written_nodes_;
    SessionSettings settings_;
    std::vector<std::string> block_settings_;
    std::string begin_sql_ = "BEGIN";
    uint64_t write_transaction_ = 0;             ///< id announced to BeforeWrite, 0 = none yet
    std::unique_ptr<exec::TaskRun> run_;         ///< COMMIT / ROLLBACK on the pinned connections
    std::unique_ptr<TwoPhaseCommit> two_phase_;  ///< a two-phase commit in progress
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::string worker_role_;
    net::ExceptionOwner* exception_owner_ = nullptr;
    std::shared_ptr<bool> exception_owner_alive_;
};

}  // namespace jade::coord::txn
