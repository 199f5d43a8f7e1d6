// pool.h — a pool of WorkerConns per worker node.
//
// Acquire() hands out an idle connection or opens a new one (at most `max_per_node` per node;
// beyond that requests wait in FIFO order). Release() takes a connection back if it is healthy
// and idle (PQTRANS_IDLE), otherwise closes it. Idle connections stay polled so a worker that
// goes away is noticed and its connections dropped. Non-numeric host names are resolved once with
// uv_getaddrinfo (libuv's thread pool), so the loop never blocks on DNS.
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

class WorkerPool {
public:
    using AcquireFn = std::function<void(WorkerConn*, const Error*)>;

    WorkerPool(uv_loop_t* loop, WorkerLogin login, int max_per_node)
        : loop_(loop), login_(std::move(login)), max_per_node_(max_per_node) {}
    ~WorkerPool();

    /** Gets a connection to node `node_id` at host:port; `cb` may run before Acquire returns. */
    void Acquire(uint32_t node_id, const std::string& host, uint16_t port, AcquireFn cb);
    /** Returns a connection after use. */
    void Release(WorkerConn* conn);
    /** Closes a connection that must not be reused. */
    void Discard(WorkerConn* conn);
    /** Closes idle connections and refuses new work (shutdown). */
    void Shutdown();

    size_t idle_count() const;
    size_t open_count() const { return owner_.size(); }

private:
    struct NodePool {
        uint32_t node_id = 0;
        std::string host;
        uint16_t port = 0;
        std::string hostaddr;  ///< resolved numeric address
        bool resolving = false;
        std::vector<WorkerConn*> idle;
        int total = 0;
        std::deque<AcquireFn> waiters;
    };

    void Open(NodePool& np, AcquireFn cb);
    void Resolve(NodePool& np);
    void ServeWaiters(NodePool& np);
    static std::string Key(uint32_t node_id, const std::string& host, uint16_t port);

    uv_loop_t* loop_;
    WorkerLogin login_;
    int max_per_node_;
    bool shutdown_ = false;
    std::map<std::string, NodePool> pools_;
    std::unordered_map<WorkerConn*, std::string> owner_;
};

}  // namespace jade::coord::backend
