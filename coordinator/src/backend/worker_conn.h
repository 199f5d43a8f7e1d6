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
#include "net/exception_boundary.h"
#include "util/error.h"

namespace jade::coord::backend {

/** Owns a PGresult. */
struct PgResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

/** Connection parameters of a worker connection (libpq's keywords where there is one). */
struct WorkerLogin {
    std::string user = "postgres";
    std::string database = "postgres";
    std::string password;
    int connect_timeout_ms = 5000;
    // TCP: a worker host that dies or is cut off is noticed by the kernel (0 = kernel default).
    int keepalives_idle_s = 0;
    int keepalives_interval_s = 0;
    int keepalives_count = 0;
    int tcp_user_timeout_ms = 0;
    // TLS (libpq's sslmode and files; empty = libpq's default).
    std::string sslmode;
    std::string sslrootcert;
    std::string sslcert;
    std::string sslkey;
    std::string passfile;  ///< libpq password file (per-role logins)
    /** A cancel request the worker does not answer within this time: the connection is dropped. */
    int cancel_timeout_ms = 5000;
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
    /** Failed, or must not run anything more (an unanswered cancel request may still arrive). */
    bool broken() const { return broken_ || poisoned_; }
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
    /**
     * The session using this connection answers for exceptions thrown by code its callbacks run
     * (net/exception_boundary.h); cleared when the connection goes back to the pool.
     */
    void SetExceptionOwner(net::ExceptionOwner* owner, std::shared_ptr<bool> alive) {
        exception_owner_ = owner;
        exception_owner_alive_ = std::move(alive);
    }
    /** Cancel handle for this connection (thread-safe copy for the helper thread). */
    PGcancel* GetCancel() const { return PQgetCancel(pg_); }
    /**
     * Cancel requests (backend/cancel.h) in flight for this connection's query. While one is, the
     * end of the query (OnQueryDone) is held back, so nothing new is sent on this connection, and
     * it cannot go back to the pool, until the worker's postmaster has signalled the backend: a
     * late cancel can only hit the query it was meant for, or arrive while the backend waits for
     * a command, where PostgreSQL ignores it.
     */
    int cancels_in_flight() const { return cancels_in_flight_; }
    void CancelStarted() { ++cancels_in_flight_; }
    /** The cancel request finished; `answered` false: unknown whether it was delivered. */
    void CancelFinished(bool answered);
    const WorkerLogin& login() const { return login_; }
    /** Shared token: false once this connection is destroyed (for work outliving it). */
    const std::shared_ptr<bool>& alive_token() const { return alive_; }

private:
    WorkerConn(uv_loop_t* loop, uint32_t node_id, std::string hostaddr, uint16_t port, const WorkerLogin& login);
    ~WorkerConn();
    void PollConnect();
    void UpdatePoll();
    void OnPollEvent(int status, int events);
    void DrainResults();
    bool ConsumeInput();
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
    bool done_held_ = false;  ///< the query ended while a cancel was in flight
    bool poisoned_ = false;   ///< a cancel request went unanswered
    int cancels_in_flight_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    ConnectFn connect_done_;
    WorkerHandler* handler_ = nullptr;
    net::ExceptionOwner* exception_owner_ = nullptr;
    std::shared_ptr<bool> exception_owner_alive_;
};

// Builds the 08006 error naming the worker.
Error WorkerConnectionError(uint32_t node_id, const std::string& address, const std::string& what);

}  // namespace jade::coord::backend
