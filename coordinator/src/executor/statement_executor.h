// statement_executor.h — runs one client statement: plans it (or reuses a prepared statement's
// plan), then runs the plan's tasks on workers and answers the client by plan kind.
//
// The executor writes the statement's protocol answer (RowDescription, DataRows, CommandComplete,
// ErrorResponse) into the client channel; it never reads the socket (COPY input arrives through
// ClientChannel::StartCopyIn). Worker work runs in TaskRuns whose connections come from the
// session's TransactionCoordinator (pooled, or pinned inside a transaction), which also decides how
// a transaction ends. The frontend (frontend/client_session.h) calls Execute once per statement,
// in order, and waits for `done` before the next.
//
// Files, one plan kind (or concern) each:
//   statement_executor.cpp  Execute (plan cache, failed-block rule), RunPlan, shared helpers
//   exec_local.cpp          kLocal and kExplain (answers the coordinator builds itself)
//   exec_relay.cpp          kPassthrough, kSingleShard (rows relayed unchanged), multi-statement strings
//   exec_fanout.cpp         kFanOut (k-way / aggregate merge with per-shard flow control)
//   exec_modify.cpp         kModify, kBroadcast (one transaction per node, then commit)
//   exec_txn.cpp            kTransaction, kSessionSet (through the TransactionCoordinator)
//   exec_copy.cpp           kCopyIn (ShardCopy / TxnCopy), kDistributeTable
//   exec_describe.cpp       Describe of statements and portals
//
// Seams: writes ask TransactionCoordinator::BeforeWrite first (shard moves); metadata commands
// go through ServerContext::ProposeMetadata (Raft); commits end in the TransactionCoordinator
// (replication's AfterCommit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "executor/client_channel.h"
#include "executor/server_context.h"
#include "executor/task_run.h"
#include "planner/planner.h"
#include "sql/parser.h"
#include "wire/messages/error_response.h"

namespace jade::coord::txn {
class TransactionCoordinator;
}

namespace jade::coord::exec {

class CopyTarget;

/**
 * A prepared statement's last reusable plan (PlanIsReusable) and what it was planned for: reused
 * while the catalog, the session's transaction state and the parameter count are the same.
 */
struct PlanCacheEntry {
    uint64_t catalog_index = 0;
    bool in_transaction = false;
    size_t param_count = 0;
    std::optional<Plan> plan;      ///< as planned: one statement per shard
    std::optional<Plan> combined;  ///< a fan-out as one statement per node (CombineFanOutByNode), if it applies
    /**
     * Smoothed run time of the last executions (ms). Short fan-outs run combined: a statement per
     * shard would cost the workers more in fixed overhead than they gain in parallelism. Long
     * ones run per shard, so a node's shards run in parallel on its cores (like Citus' slow start).
     */
    double recent_ms = 0;
    bool ran_combined = false;  ///< the last run used `combined`
};

/** A statement prepared by the client (extended protocol Parse). */
struct PreparedStatement {
    std::string sql;
    std::vector<uint32_t> param_types;    ///< as declared at Parse, completed by Describe
    std::vector<ParsedStatement> parsed;  ///< 0 or 1 statement
    std::shared_ptr<PlanCacheEntry> plan_cache = std::make_shared<PlanCacheEntry>();
};

/** One statement to run: the parsed statement plus protocol context. */
struct StatementExec {
    ParsedStatement stmt;
    Params params;
    std::vector<int16_t> result_formats;
    bool describe = true;  ///< send RowDescription (simple protocol; extended after Describe P)
    bool extended = false;
    std::shared_ptr<PlanCacheEntry> plan_cache;  ///< the prepared statement's (extended protocol), or null
};

class StatementExecutor {
public:
    using DoneFn = std::function<void(bool ok)>;

    StatementExecutor(ServerContext& server, ClientChannel& client, txn::TransactionCoordinator& txn);
    ~StatementExecutor();

    /** Plans and runs one statement; `done(ok)` once its answer is written. */
    void Execute(StatementExec exec, DoneFn done);
    /**
     * Sends a string of several plain-table statements to the default node as one simple query,
     * keeping PostgreSQL's implicit-transaction semantics for it. `plan` is the first statement's
     * passthrough plan; `forgets_statements`: the string may DEALLOCATE/DISCARD.
     */
    void RunWholeString(const std::string& sql, const Plan& plan, bool forgets_statements, DoneFn done);
    /** Writes ParameterDescription (statements only) and RowDescription/NoData. */
    void Describe(std::shared_ptr<PreparedStatement> stmt, const Params& params, bool portal,
                  const std::vector<int16_t>& formats, DoneFn done);

    /** CancelRequest: cancels the worker queries (and COPYs) of the running statement. */
    void Cancel();
    /** Loop time (uv_now) at which the running statement started; nullopt when none runs. */
    std::optional<uint64_t> running_since_ms() const { return running_since_ms_; }
    /** The owner is going away: drop running work and its connections; no callback runs after. */
    void Abandon();
    /** Client parameter indexes of each task of the statement running now (Task::params). */
    const std::vector<std::vector<int>>& running_task_params() const { return running_task_params_; }
    /** The planner's view of the session. */
    SessionInfo Info() const;
    /** True for statements after which a prepared shard statement could see another result type. */
    static bool ChangesSchema(const ParsedStatement& stmt, const Plan& plan);

private:
    // statement_executor.cpp
    void RunPlan(StatementExec exec, Plan plan, DoneFn done);
    void Dispatch(StatementExec exec, Plan plan, DoneFn done);
    static bool PrepareOnWorkers(const StatementExec& exec, const Plan& plan);
    void StartRun(std::vector<Lane> lanes, TaskRun::Callbacks cb);
    void AfterOutput();
    LaneOp TaskOp(const Task& task, const Params& params, int result_format, bool single_row, int tag);
    static Lane LaneFor(const NodeRef& node);
    std::vector<Lane> LanesByNode(const std::vector<Task>& tasks, const Params& params, int result_format,
                                  bool single_row);
    /** One lane per task outside a transaction (parallel connections), per node inside one. */
    std::vector<Lane> LanesFor(const std::vector<Task>& tasks, const Params& params, int result_format,
                               bool single_row);
    void SendError(const Error& error);
    void WriteNotice(const PGresult* notice);
    void StatementFailed(const DoneFn& done);

    // exec_local.cpp
    void RunLocal(const StatementExec& exec, const Plan& plan, DoneFn done);
    void CheckClusterAdmin(const Node& default_node, std::function<void(Status)> done);
    void RunExplain(const StatementExec& exec, const Plan& plan, DoneFn done);
    void WriteLocalRows(const std::vector<ColumnDesc>& columns, const std::vector<Row>& rows, const StatementExec& exec,
                        const std::string& tag);
    // exec_relay.cpp
    void RunRelay(const StatementExec& exec, const Plan& plan, DoneFn done);
    // exec_fanout.cpp
    void RunFanOut(const StatementExec& exec, Plan plan, DoneFn done);
    // exec_modify.cpp
    void RunModify(const StatementExec& exec, const Plan& plan, DoneFn done);
    // exec_txn.cpp
    void RunTransaction(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunSessionSet(const StatementExec& exec, const Plan& plan, DoneFn done);
    // exec_copy.cpp
    void RunCopyIn(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunDistribute(const StatementExec& exec, const Plan& plan, DoneFn done);
    void EnsureSchema(const CopyPlan& copy, std::function<void(const wire::ErrorFields*)> then);

    /** Output is written when a batch ends (ReadyForQuery, Flush) or once this much is buffered. */
    static constexpr size_t kFlushBytes = 64 * 1024;
    /** A cached fan-out runs one statement per node while its runs take less than this (ms)... */
    static constexpr double kSplitAboveMs = 10.0;
    /** ...and, once split per shard, is combined again when they take less than this (ms). */
    static constexpr double kCombineBelowMs = 3.0;
    /** A fan-out lane is paused while the merge holds this many of its rows (memory bound). */
    static constexpr uint64_t kLaneBacklogRows = 256;

    ServerContext& server_;
    ClientChannel& client_;
    txn::TransactionCoordinator& txn_;
    std::string& out() { return client_.out(); }

    std::unique_ptr<TaskRun> run_;
    /** The running plan's shard statements are prepared on the workers (PrepareOnWorkers). */
    bool prepare_tasks_ = false;
    std::vector<std::vector<int>> running_task_params_;
    bool copy_out_active_ = false;
    std::set<CopyTarget*> live_copies_;  ///< COPYs in progress (owned by their callbacks)
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::optional<uint64_t> running_since_ms_;
    bool cluster_admin_ = false;  ///< worker_role = client: this role was found to be a superuser
};

}  // namespace jade::coord::exec
