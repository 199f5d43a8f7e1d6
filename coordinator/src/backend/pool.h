// pool.h — a pool of WorkerConns per worker node, per login role.
//
// Acquire() hands out an idle connection of the requested role or opens a new one; at most
// `max_per_node` connections per node, all roles together. Requests beyond that wait in FIFO
// order, each at most `wait_timeout_ms`: then it fails with 53300, naming the node, instead of
// hanging behind long transactions. When the first waiter's role has no idle connection and the
// node is full, an idle connection of another role is closed to make room. Release() takes a
// connection back if it is healthy and idle (PQTRANS_IDLE), otherwise closes it. Idle
// connections stay polled so a worker that goes away is noticed and its connections dropped.
// Non-numeric host names are resolved once with uv_getaddrinfo (libuv's thread pool), so the
// loop never blocks on DNS.
//
// Roles (worker_role = client, docs/operations.md "Roles"): a connection logs in as one role
// and only ever serves that role's sessions, so PostgreSQL's own privilege checks apply on the
// workers and nothing a session does (SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION) can reach
// another role's rights: the session user of the worker backend is the client's own role.
// Session settings: a connection remembers which settings it carries (applied_settings); the
// transaction coordinator replays or resets them on acquire (transaction/transaction_coordinator.h).
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/worker_conn.h"

namespace jade::coord::backend {

struct PoolOptions {
    WorkerLogin login;         ///< the shared login (worker_user) and every connection's settings
    int max_per_node = 64;     ///< pool_size
    int wait_timeout_ms = 30000;
    /** Plaintext passwords of client roles (worker_role = client), when the config has them. */
    std::map<std::string, std::string> role_passwords;
};

class WorkerPool {
public:
    using AcquireFn = std::function<void(WorkerConn*, const Error*)>;

    /** What to connect to, and as whom ("" = the shared login's user). */
    struct Request {
        uint32_t node_id = 0;
        std::string host;
        uint16_t port = 0;
        std::string role;
    };

    WorkerPool(uv_loop_t* loop, PoolOptions options);
    ~WorkerPool();

    /** Gets a connection to node `node_id` at host:port as the shared login; `cb` may run before Acquire returns. */
    void Acquire(uint32_t node_id, const std::string& host, uint16_t port, AcquireFn cb) {
        Acquire(Request{node_id, host, port, {}}, std::move(cb));
    }
    /** Gets a connection for `request`. */
    void Acquire(const Request& request, AcquireFn cb);
    /** Returns a connection after use. */
    void Release(WorkerConn* conn);
    /** Closes a connection that must not be reused. */
    void Discard(WorkerConn* conn);
    /** Closes idle connections and refuses new work (shutdown). */
    void Shutdown();

    size_t idle_count() const;
    size_t open_count() const { return owner_.size(); }
    size_t waiting_count() const;
    /** The role a pooled connection logged in as. */
    const std::string& RoleOf(WorkerConn* conn) const;

private:
    struct Waiter {
        std::string role;
        AcquireFn cb;
        uint64_t deadline_ms = 0;  ///< uv_now() at which it fails
    };
    struct NodePool {
        uint32_t node_id = 0;
        std::string host;
        uint16_t port = 0;
        std::string hostaddr;  ///< resolved numeric address
        bool resolving = false;
        std::map<std::string, std::vector<WorkerConn*>> idle;  ///< by role
        int total = 0;
        std::deque<Waiter> waiters;
        bool serving = false;  ///< ServeWaiters is running (it is re-entered by Discard and callbacks)
    };
    struct Owned {
        std::string key;   ///< NodePool key
        std::string role;
    };

    void Open(NodePool& np, const std::string& role, AcquireFn cb);
    void Resolve(NodePool& np);
    void OnResolved(const std::string& key, int status, addrinfo* res);
    void ServeWaiters(NodePool& np);
    bool CloseIdleOfOtherRole(NodePool& np, const std::string& role);
    WorkerLogin LoginFor(const std::string& role) const;
    void ExpireWaiters();
    void ArmTimer();
    static std::string Key(uint32_t node_id, const std::string& host, uint16_t port);

    uv_loop_t* loop_;
    PoolOptions options_;
    bool shutdown_ = false;
    std::map<std::string, NodePool> pools_;
    std::unordered_map<WorkerConn*, Owned> owner_;
    uv_timer_t* timer_ = nullptr;  ///< expires waiters; runs while any wait
    bool timer_running_ = false;
};

}  // namespace jade::coord::backend
