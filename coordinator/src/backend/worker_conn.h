// worker_conn.h — one non-blocking libpq connection to a worker, driven by uv_poll on PQsocket.
//
// Connect: PQconnectStartParams with `hostaddr` (never a host name: that would be a blocking DNS
// lookup, DEPENDENCIES.md §5) and PQconnectPoll as the socket becomes ready, under a timer.
// Queries: the user calls libpq's PQsend* on pg(), then Start(handler). WorkerConn flushes
// (polling POLLIN|POLLOUT while libpq has unsent data — otherwise both sides can block on full
// buffers), consumes input, and hands every PGresult to the handler; PQgetResult() == NULL ends
// the query (OnQueryDone). COPY OUT data is handed over chunk by chunk; COPY IN pauses result
// delivery until the handler has sent PQputCopyEnd and calls ResumeAfterCopyIn().
// Pause()/Resume() stop and restart reading (back-pressure from a slow client); Resume drains
// results libpq had already buffered, since the socket will not signal them again.
// Lifetime: heap object; Destroy() closes the poll handle and PQfinish()es in the close callback.
#pragma once

#include <libpq-fe.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backend/statement_cache.h"
#include "util/error.h"

namespace jade::coord::backend {

/** Owns a PGresult. */
struct PgResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

/** Connection parameters shared by every worker connection. */
struct WorkerLogin {
    std::string user = "postgres";
    std::string database = "postgres";
    std::string password;
    int connect_timeout_ms = 5000;
};

class WorkerConn;

/** Receives the results of the running query. */
class WorkerHandler {
public:
    virtual ~WorkerHandler() = default;
    virtual void OnResult(WorkerConn* conn, PgResult result) = 0;
    /** COPY TO STDOUT data chunk. */
    virtual void OnCopyData(WorkerConn* conn, const char* data, int len) { (void)conn, (void)data, (void)len; }
    virtual void OnQueryDone(WorkerConn* conn) = 0;
    /** The connection broke (08006) or could not be used; the query is over. */
    virtual void OnConnError(WorkerConn* conn, const Error& error) = 0;
    /** A NoticeResponse from the worker (fields already extracted by libpq). */
    virtual void OnNotice(WorkerConn* conn, const PGresult* notice) { (void)conn, (void)notice; }
};

class WorkerConn {
public:
    using ConnectFn = std::function<void(WorkerConn*, const Error*)>;

    /** Creates an unconnected connection to `hostaddr:port` of node `node_id`. */
    static WorkerConn* Create(uv_loop_t* loop, uint32_t node_id, std::string hostaddr, uint16_t port,
                              const WorkerLogin& login);
    /** Starts connecting; `done` runs once with nullptr or the error. */
    void Connect(ConnectFn done);
    /** Begins delivering the results of the query just sent with PQsend* on pg(). */
    void Start(WorkerHandler* handler);
    /** After COPY IN: PQputCopyEnd was called; flush and continue delivering results. */
    void ResumeAfterCopyIn();
    /** Flushes pending output (COPY data); returns false when the connection broke. */
    bool Flush();
    /** True while libpq still holds unsent bytes (COPY back-pressure). */
    bool write_pending() const { return want_write_; }
    void Pause();
    void Resume();
    /** Closes the connection and frees this object (asynchronously). */
    void Destroy();

    PGconn* pg() const { return pg_; }
    uint32_t node_id() const { return node_id_; }
    const std::string& address() const { return address_; }
    bool busy() const { return handler_ != nullptr; }
    bool broken() const { return broken_; }
    /** Session settings replayed on this connection (see the pool's preamble logic). */
    std::string applied_settings;
    /** Statements prepared on this connection by TaskRun (statement_cache.h). */
    StatementCache statements;
    /** Free for the pool's use (idle list membership). */
    bool in_pool = false;
    /** Set while the connection is pinned to one client's transaction. */
    void* pinned_by = nullptr;
    /** Callback when writes flushed (COPY IN back-pressure release). */
    std::function<void()> on_flushed;
    /** Called by the pool when an idle connection reports EOF or an error. */
    std::function<void(WorkerConn*)> on_idle_failure;
    /** Cancel handle for this connection (thread-safe copy for the helper thread). */
    PGcancel* GetCancel() const { return PQgetCancel(pg_); }

private:
    WorkerConn(uv_loop_t* loop, uint32_t node_id, std::string hostaddr, uint16_t port, const WorkerLogin& login);
    ~WorkerConn();
    void PollConnect();
    void UpdatePoll();
    void OnPollEvent(int status, int events);
    void DrainResults();
    void FinishConnect(const Error* error);
    void Fail(const std::string& what);
    static void PollCb(uv_poll_t* h, int status, int events);
    static void TimerCb(uv_timer_t* t);
    static void NoticeReceiver(void* arg, const PGresult* res);

    uv_loop_t* loop_;
    uint32_t node_id_;
    std::string hostaddr_;
    uint16_t port_;
    WorkerLogin login_;
    std::string address_;
    PGconn* pg_ = nullptr;
    uv_poll_t* poll_ = nullptr;
    uv_timer_t* timer_ = nullptr;
    int poll_fd_ = -1;
    int poll_events_ = 0;
    bool connecting_ = false;
    bool want_write_ = false;
    bool paused_ = false;
    bool in_copy_in_ = false;
    bool in_copy_out_ = false;
    bool broken_ = false;
    bool destroyed_ = false;
    bool draining_ = false;
    ConnectFn connect_done_;
    WorkerHandler* handler_ = nullptr;
};

// Builds the 08006 error naming the worker.
Error WorkerConnectionError(uint32_t node_id, const std::string& address, const std::string& what);

}  // namespace jade::coord::backend
