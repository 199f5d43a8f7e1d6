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
//
// What a transaction changes besides worker rows follows it as on one PostgreSQL:
//   metadata  DDL in a transaction (DROP/ALTER of a distributed table) defers its metadata
//             commands (DeferMetadata); the session plans against catalog() — the shared catalog
//             with them applied — and they are proposed only inside the commit's two-phase
//             decision (before_commit), so the workers' DDL and the catalog commit together or not
//             at all. ROLLBACK (or ROLLBACK TO a savepoint taken before them) drops them.
//   settings  a SET inside a block is undone by ROLLBACK / ROLLBACK TO, SET LOCAL ends with the
//             block, BEGIN's modes (READ ONLY, ISOLATION LEVEL) apply to that block only.
//   savepoints are replayed after the lazy BEGIN of a node that joins the block later, so
//             ROLLBACK TO reaches every node of the block.
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
#include "metadata/catalog.h"
#include "metadata/commands.h"
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
    /** SET LOCAL search_path in the open block (nullopt items: back to the session's). */
    void SetBlockSearchPath(std::optional<std::vector<std::string>> items) { block_search_path_ = std::move(items); }
    /** The schemas unqualified names are looked up in now, "$user" replaced by `user`. */
    std::vector<std::string> SearchPath(const std::string& user) const;
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
    /** SAVEPOINT `name` succeeded on every pinned connection. */
    void SavepointCreated(const std::string& name);
    /** RELEASE SAVEPOINT `name` succeeded: it and the savepoints after it are gone. */
    void SavepointReleased(const std::string& name);
    /**
     * ROLLBACK TO SAVEPOINT `name` succeeded on every pinned connection: the block is usable
     * again, and settings and deferred metadata are as they were at the savepoint.
     */
    void RolledBackToSavepoint(const std::string& name);
    /** True when a savepoint of this name exists in the block. */
    bool HasSavepoint(const std::string& name) const;

    /** The catalog this session plans against: the shared one plus its deferred metadata. */
    const Catalog& catalog();
    bool has_deferred_metadata() const { return !deferred_.empty(); }
    /** Metadata commands of a DDL statement in the current transaction: applied at its commit. */
    void DeferMetadata(const std::vector<Command>& commands);

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

    /** What ROLLBACK / ROLLBACK TO restores. */
    struct Snapshot {
        std::string savepoint;  ///< "" for the block's start
        SessionSettings settings;
        std::vector<std::string> block_settings;
        std::optional<std::vector<std::string>> block_search_path;
        size_t deferred = 0;
    };
    Snapshot TakeSnapshot(std::string savepoint) const;
    void Restore(const Snapshot& snap);

    exec::ServerContext& server_;
    State state_ = State::kIdle;
    bool implicit_ = false;
    std::map<uint32_t, backend::WorkerConn*> pinned_;  ///< node id → connection
    std::set<backend::WorkerConn*> needs_begin_;
    std::set<uint32_t> written_nodes_;
    SessionSettings settings_;
    std::vector<std::string> block_settings_;
    std::optional<std::vector<std::string>> block_search_path_;
    std::string begin_sql_ = "BEGIN";
    std::vector<Snapshot> snapshots_;            ///< [0] = BEGIN, then one per live savepoint
    std::vector<Command> deferred_;              ///< metadata of the transaction's DDL, proposed at commit
    std::optional<Catalog> overlay_;             ///< catalog() while deferred_ is not empty
    uint64_t overlay_base_ = 0;                  ///< applied index of the shared catalog overlay_ was built on
    uint64_t overlay_count_ = 0;                 ///< deferred_.size() overlay_ was built with
    uint64_t write_transaction_ = 0;             ///< id announced to BeforeWrite, 0 = none yet
    std::unique_ptr<exec::TaskRun> run_;         ///< COMMIT / ROLLBACK on the pinned connections
    std::unique_ptr<TwoPhaseCommit> two_phase_;  ///< a two-phase commit in progress
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::string worker_role_;
    net::ExceptionOwner* exception_owner_ = nullptr;
    std::shared_ptr<bool> exception_owner_alive_;
};

}  // namespace jade::coord::txn
