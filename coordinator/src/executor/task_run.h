// task_run.h — runs statements on worker connections in parallel "lanes".
//
// A lane is a sequence of operations on ONE connection to one node (libpq allows one command at
// a time per connection; statements that must see each other's effects, e.g. inside a
// transaction, share a lane). Lanes run in parallel. For each lane the run asks its ConnSource
// for a connection (pooled, or the client's pinned transaction connection), first runs the
// source's setup statements on it (session settings replay, BEGIN; each one protocol message
// with no parameters, so the server runs exactly one statement per message), then each op:
// op.send() issues the PQsend* call, results flow to on_result, PQgetResult()==NULL moves on.
// The run ends (on_done) when every lane finished; the first failure is reported, and lanes
// that failed keep no connection (a broken one is discarded, never pooled).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/worker_conn.h"
#include "util/error.h"
#include "wire/messages/error_response.h"

namespace jade::coord::exec {

/**
 * A statement with parameters that the lane prepares on its connection the first time and then
 * only executes (backend/statement_cache.h); when the connection's cache is full it runs unnamed.
 */
struct StatementCall {
    std::string sql;
    std::vector<Oid> types;
    std::vector<std::optional<std::string>> values;  ///< nullopt = NULL
    std::vector<int> formats;                        ///< per value: 0 text, 1 binary
    int result_format = 0;
    std::string key;  ///< cache key: sql and types (MakeStatementCall fills it)
};
/** Builds a StatementCall with its cache key. */
std::shared_ptr<const StatementCall> MakeStatementCall(StatementCall call);

/** One operation: issues a PQsend* on the connection; returns false on a send failure. */
struct LaneOp {
    std::function<bool(PGconn*)> send;
    std::shared_ptr<const StatementCall> call;  ///< used instead of `send` when set
    bool single_row = false;                    ///< switch on single-row mode after sending (streaming, bounded memory)
    int tag = 0;                                ///< caller's label (task index, ...)
    /** The statement may deallocate prepared statements (DEALLOCATE, DISCARD): forget them after it. */
    bool forgets_statements = false;
};

struct Lane {
    uint32_t node_id = 0;
    std::string host;
    uint16_t port = 0;
    std::vector<LaneOp> ops;
};

/**
 * Where lanes get connections: a client's transaction coordinator
 * (transaction/transaction_coordinator.h), or a plain pool user (recovery).
 */
class ConnSource {
public:
    virtual ~ConnSource() = default;
    using GotFn = std::function<void(backend::WorkerConn*, const Error*)>;
    virtual void GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) = 0;
    /** Statements to run first on this connection, each on its own: settings replay, BEGIN. */
    virtual std::vector<std::string> SetupStatements(backend::WorkerConn* conn) = 0;
    /** The setup statements ran successfully. */
    virtual void SetupDone(backend::WorkerConn* conn) = 0;
    /** The lane is finished with the connection; `broken`: never reuse it. */
    virtual void PutConn(backend::WorkerConn* conn, bool broken) = 0;
};

class TaskRun : public backend::WorkerHandler {
public:
    struct Callbacks {
        std::function<void(size_t lane, int tag, backend::PgResult res)> on_result;
        std::function<void(size_t lane, int tag, const char* data, int len)> on_copy_data;
        std::function<void(const PGresult* notice)> on_notice;
        /** All lanes are done; `error` = first connection-level failure, or null. */
        std::function<void(const Error* error)> on_done;
    };

    TaskRun(uv_loop_t* loop, ConnSource* source, std::vector<Lane> lanes, Callbacks cb);
    ~TaskRun() override;

    void Start();
    void PauseAll();
    void ResumeAll();
    /** Flow control of one lane (the merge does not need its rows yet). */
    void PauseLane(size_t lane);
    void ResumeLane(size_t lane);
    bool lane_paused(size_t lane) const { return lanes_[lane].paused; }
    /** Sends a cancel request for every lane that is running a query. */
    void CancelAll();
    /** Discards running connections without further callbacks (owner shutdown). */
    void Abort();
    /** Stops delivering results of `lane` to on_result (they are drained and dropped). */
    void Silence(size_t lane) { lanes_[lane].silenced = true; }
    /** The connection of `lane` while it runs (COPY IN drivers write to it). */
    backend::WorkerConn* conn(size_t lane) const { return lanes_[lane].conn; }
    size_t lane_count() const { return lanes_.size(); }
    bool done() const { return finished_; }

    // WorkerHandler
    void OnResult(backend::WorkerConn* conn, backend::PgResult result) override;
    void OnCopyData(backend::WorkerConn* conn, const char* data, int len) override;
    void OnQueryDone(backend::WorkerConn* conn) override;
    void OnConnError(backend::WorkerConn* conn, const Error& error) override;
    void OnNotice(backend::WorkerConn* conn, const PGresult* notice) override;

private:
    struct LaneState {
        Lane spec;
        backend::WorkerConn* conn = nullptr;
        int next_op = -1;                ///< -1 = setup running
        std::vector<std::string> setup;  ///< setup statements still to send
        bool setup_failed = false;
        bool done = false;
        bool silenced = false;
        bool paused = false;    ///< paused by PauseLane (PauseAll/ResumeAll keep it paused)
        std::string preparing;  ///< name being prepared for the current op's StatementCall ("" = none)
        bool prepare_failed = false;
    };

    void RunNext(size_t lane);
    void SendSetup(size_t lane);
    bool SendCall(size_t lane);
    bool SendPrepared(size_t lane, const std::string& name);
    void LaneDone(size_t lane, bool broken);
    void Fail(size_t lane, const Error& error);
    size_t LaneOf(backend::WorkerConn* conn) const;

    uv_loop_t* loop_;
    ConnSource* source_;
    std::vector<LaneState> lanes_;
    Callbacks cb_;
    std::unordered_map<backend::WorkerConn*, size_t> lane_of_;
    size_t remaining_ = 0;
    bool finished_ = false;
    bool has_error_ = false;
    Error first_error_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Frees `p` on the next loop iteration (objects whose methods may still be on the stack).
void DeferDelete(uv_loop_t* loop, std::function<void()> deleter);

}  // namespace jade::coord::exec
