// client_session.h — one client connection: protocol dispatch, transaction state, plan execution.
//
// The session owns its socket and the sans-IO wire::Session. Pump() pulls one frontend message
// at a time and only while no statement is running and the client's output queue is below its
// limit, so a client can never make the coordinator buffer unbounded input or output.
// Statements are planned by cb's planner (planner/planner.h) and run here by plan kind
// (exec_plan.cpp); worker work runs in TaskRuns (task_run.h) on connections this session gets
// from the pool or pins for its transaction (ConnSource below, exec_txn.cpp).
//
// Files: client_session.cpp (socket, pump, simple + extended protocol), exec_plan.cpp (plan
// kinds), exec_txn.cpp (connections, settings, BEGIN/COMMIT/ROLLBACK, 2PC), exec_copy.cpp (COPY).
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "executor/task_run.h"
#include "metadata/store.h"
#include "net/client_socket.h"
#include "planner/planner.h"
#include "sql/parser.h"
#include "wire/messages/extended.h"
#include "wire/session.h"

namespace jade::coord::backend {
class WorkerPool;
}

namespace jade::coord::exec {

class TwoPhaseLog;
class ClientSession;

/** What a session needs from the daemon. */
class ServerContext {
public:
    virtual ~ServerContext() = default;
    virtual uv_loop_t* loop() = 0;
    virtual backend::WorkerPool& pool() = 0;
    virtual MetadataStore& store() = 0;
    virtual const Config& config() = 0;
    virtual TwoPhaseLog& two_phase() = 0;
    /** Changes whenever DDL runs through the coordinator (backend/statement_cache.h). */
    virtual uint64_t schema_epoch() const = 0;
    virtual void BumpSchemaEpoch() = 0;
    virtual void SessionClosed(ClientSession* session) = 0;
    /** Routes a CancelRequest to the session with this BackendKeyData. */
    virtual void CancelSession(int32_t pid, int32_t key) = 0;
};

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

/** One statement to run: the parsed statement plus protocol context. */
struct StatementExec {
    ParsedStatement stmt;
    Params params;
    std::vector<int16_t> result_formats;
    bool describe = true;  ///< send RowDescription (simple protocol; extended after Describe P)
    bool extended = false;
    std::shared_ptr<PlanCacheEntry> plan_cache;  ///< the prepared statement's (extended protocol), or null
};

class ClientSession : public net::ClientSocket::Owner, public ConnSource {
public:
    ClientSession(ServerContext& server, net::ClientSocket* socket, int32_t pid, int32_t key);
    ~ClientSession() override;

    void Start();
    /** CancelRequest for this session: cancel the worker queries it is running. */
    void CancelRunning();
    /** Server shutdown: tell the client and close. */
    void Shutdown();
    int32_t pid() const { return pid_; }
    int32_t key() const { return key_; }

    // net::ClientSocket::Owner
    void OnRead(std::string_view bytes) override;
    void OnEof() override;
    void OnDrained() override;
    void OnClosed() override;

    // ConnSource (exec_txn.cpp)
    void GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) override;
    std::string SetupSql(backend::WorkerConn* conn) override;
    void SetupDone(backend::WorkerConn* conn) override;
    void PutConn(backend::WorkerConn* conn, bool broken) override;

private:
    enum class TxnState { kIdle, kBlock, kFailed };
    struct PreparedStmt {
        std::string sql;
        std::vector<uint32_t> param_types;
        std::vector<ParsedStatement> parsed;  ///< 0 or 1 statement
        std::shared_ptr<PlanCacheEntry> plan_cache = std::make_shared<PlanCacheEntry>();
    };
    struct Portal {
        std::shared_ptr<PreparedStmt> stmt;
        Params params;
        std::vector<int16_t> result_formats;
        /** Execute with a row limit: the rest of the result, served by later Executes. */
        bool suspended = false;
        bool completed = false;                ///< ran to its end: further Executes return no rows
        std::deque<std::string> pending_rows;  ///< encoded DataRow messages
        std::string final_tag;                 ///< CommandComplete tag of the whole result
    };
    using DoneFn = std::function<void(bool ok)>;

    // client_session.cpp
    void Pump();
    void Flush();
    bool OutputFull() const;
    void CloseNow();
    void HandleMessage(char type, std::string_view payload);
    void AdoptStartupSettings();
    static std::string QuoteLiteral(const std::string& s);
    void HandleQuery(std::string_view payload);
    void RunSimpleStatements(std::shared_ptr<std::vector<ParsedStatement>> stmts, size_t i, std::string full_sql);
    void FinishSimpleQuery();
    void HandleParse(std::string_view payload);
    void HandleBind(std::string_view payload);
    void HandleDescribe(std::string_view payload);
    void HandleExecute(std::string_view payload);
    void HandleClose(std::string_view payload);
    void SuspendPortal(const std::string& name, size_t mark, int32_t max_rows);
    void ResumePortal(Portal& portal, int32_t max_rows);
    void HandleSync();
    bool ContinuesPendingBind(char type, std::string_view payload) const;
    void RetractBindComplete(size_t mark, uint64_t flushes, const std::string& portal);
    static bool EndsTransaction(const std::vector<ParsedStatement>& parsed);
    void FlushPendingDescribe(DoneFn then);
    void DescribeStatement(std::shared_ptr<PreparedStmt> stmt, const Params& params, bool portal,
                           const std::vector<int16_t>& formats, DoneFn done);
    void SendError(const Error& error);
    void ReadyForQuery();
    char TxnStatusByte() const;

    // exec_plan.cpp
    void Execute(StatementExec exec, DoneFn done);
    void RunPlan(StatementExec exec, Plan plan, DoneFn done);
    void RunLocal(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunRelay(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunFanOut(const StatementExec& exec, Plan plan, DoneFn done);
    void RunModify(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunExplain(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunWholeString(const std::string& sql, const Plan& plan, bool forgets_statements, DoneFn done);
    static bool PrepareOnWorkers(const StatementExec& exec, const Plan& plan);
    static bool ChangesSchema(const StatementExec& exec, const Plan& plan);
    void StartRun(std::vector<Lane> lanes, TaskRun::Callbacks cb);
    void ClearCopySink();
    void AfterOutput();
    /** Output is written when a batch ends (ReadyForQuery, Flush) or once this much is buffered. */
    static constexpr size_t kFlushBytes = 64 * 1024;
    /** A cached fan-out runs one statement per node while its runs take less than this (ms)... */
    static constexpr double kSplitAboveMs = 10.0;
    /** ...and, once split per shard, is combined again when they take less than this (ms). */
    static constexpr double kCombineBelowMs = 3.0;
    /** A fan-out lane is paused while the merge holds this many of its rows (memory bound). */
    static constexpr uint64_t kLaneBacklogRows = 256;
    LaneOp TaskOp(const Task& task, const Params& params, int result_format, bool single_row, int tag);
    Lane LaneFor(const NodeRef& node);
    std::vector<Lane> LanesByNode(const std::vector<Task>& tasks, const Params& params, int result_format,
                                  bool single_row);
    void WriteLocalRows(const std::vector<ColumnDesc>& columns, const std::vector<Row>& rows, const StatementExec& exec,
                        const std::string& tag);
    SessionInfo Info() const;

    // exec_txn.cpp
    void RunTransaction(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunSessionSet(const StatementExec& exec, const Plan& plan, DoneFn done);
    void CommitConns(bool implicit, std::function<void(const Error*)> done);
    void RollbackConns(std::function<void()> done);
    void ReleaseTxnConns(bool broken);
    std::string DesiredSettings() const;
    void OnStatementError();

    // exec_copy.cpp
    void RunCopyIn(const StatementExec& exec, const Plan& plan, DoneFn done);
    void RunDistribute(const StatementExec& exec, const Plan& plan, DoneFn done);

    ServerContext& server_;
    net::ClientSocket* socket_;
    wire::Session session_;
    int32_t pid_;
    int32_t key_;
    bool busy_ = false;
    bool closing_ = false;
    bool pumping_ = false;
    bool copy_paused_ = false;
    bool capture_ = false;  ///< output of a row-limited Execute is held back until it is split
    bool copy_out_active_ = false;
    std::string& out() { return session_.output(); }

    // Extended protocol
    std::map<std::string, std::shared_ptr<PreparedStmt>> statements_;
    std::map<std::string, Portal> portals_;
    bool skip_until_sync_ = false;
    std::optional<std::string> pending_describe_portal_;
    /** A Bind whose BindComplete waits for the portal's Execute (bind_error.h). */
    std::optional<std::string> pending_bind_;
    /** Counts writes of output to the socket: bytes before a mark are gone once it changes. */
    uint64_t flushes_ = 0;
    /** The running plan's shard statements are prepared on the workers (PrepareOnWorkers). */
    bool prepare_tasks_ = false;
    /** Client parameter indexes of each task of the statement running now (Task::params). */
    std::vector<std::vector<int>> running_task_params_;

    // Transactions and settings
    TxnState txn_ = TxnState::kIdle;
    bool implicit_txn_ = false;
    std::map<uint32_t, backend::WorkerConn*> txn_conns_;
    std::set<backend::WorkerConn*> needs_begin_;
    std::set<uint32_t> written_nodes_;
    std::vector<std::pair<std::string, std::string>> settings_;
    std::vector<std::string>
        txn_local_sql_;  ///< SET LOCAL / SET TRANSACTION of the open block  ///< name → SQL, in SET order

    // Running work
    std::unique_ptr<TaskRun> run_;
    std::function<void(char, std::string_view)> copy_sink_;  ///< set while COPY FROM STDIN runs
    std::function<void()> on_drained_;
    std::string begin_sql_ = "BEGIN";
    std::vector<Task> planned_copy_tasks_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::set<class CopyTarget*> live_copies_;  ///< COPYs in progress (owned by their callbacks)
};

}  // namespace jade::coord::exec
