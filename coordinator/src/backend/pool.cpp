// pool.cpp — per-node worker connection pool (see pool.h).
#include "backend/pool.h"

#include <arpa/inet.h>
#include <netdb.h>

#include "wire/io_sqlstate.h"

namespace jade::coord::backend {

WorkerPool::~WorkerPool() {
    Shutdown();
}

std::string WorkerPool::Key(uint32_t node_id, const std::string& host, uint16_t port) {
    return std::to_string(node_id) + "/" + host + ":" + std::to_string(port);
}

// Hands out an idle connection, opens one, or queues the request.
void WorkerPool::Acquire(uint32_t node_id, const std::string& host, uint16_t port, AcquireFn cb) {
    if (shutdown_) {
        Error e = MakeError(iostate::kAdminShutdown, "the coordinator is shutting down");
        cb(nullptr, &e);
        return;
    }
    NodePool& np = pools_[Key(node_id, host, port)];
    if (np.host.empty()) {
        np.node_id = node_id;
        np.host = host;
        np.port = port;
        in_addr a4{};
        in6_addr a6{};
        if (inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
            np.hostaddr = host;
        }
    }
    while (!np.idle.empty()) {
        WorkerConn* c = np.idle.back();
        np.idle.pop_back();
        c->in_pool = false;
        c->on_idle_failure = nullptr;
        if (c->broken() || PQstatus(c->pg()) != CONNECTION_OK) {
            Discard(c);
            continue;
        }
        cb(c, nullptr);
        return;
    }
    if (np.total >= max_per_node_ || np.hostaddr.empty()) {
        np.waiters.push_back(std::move(cb));
        if (np.hostaddr.empty()) Resolve(np);
        return;
    }
    Open(np, std::move(cb));
}

// Opens a new connection for `np`.
void WorkerPool::Open(NodePool& np, AcquireFn cb) {
    ++np.total;
    WorkerConn* conn = WorkerConn::Create(loop_, np.node_id, np.hostaddr, np.port, login_);
    owner_[conn] = Key(np.node_id, np.host, np.port);
    conn->Connect([this, cb = std::move(cb)](WorkerConn* c, const Error* err) {
        if (err != nullptr) {
            Error copy = *err;
            Discard(c);
            cb(nullptr, &copy);
            return;
        }
        cb(c, nullptr);
    });
}

// Resolves a host name off the loop thread, then serves the waiters.
void WorkerPool::Resolve(NodePool& np) {
    if (np.resolving) return;
    np.resolving = true;
    struct Req {
        uv_getaddrinfo_t req;
        WorkerPool* pool;
        std::string key;
    };
    auto* r = new Req{{}, this, Key(np.node_id, np.host, np.port)};
    r->req.data = r;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(
        loop_, &r->req,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
            auto* rq = static_cast<Req*>(req->data);
            NodePool& p = rq->pool->pools_[rq->key];
            p.resolving = false;
            if (status == 0 && res != nullptr) {
                char ip[INET_ADDRSTRLEN] = {0};
                inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, ip, sizeof ip);
                p.hostaddr = ip;
                uv_freeaddrinfo(res);
                rq->pool->ServeWaiters(p);
            } else {
                if (res != nullptr) uv_freeaddrinfo(res);
                Error e = WorkerConnectionError(p.node_id, p.host + ":" + std::to_string(p.port),
                                                std::string("could not resolve host name: ") + uv_strerror(status));
                auto waiters = std::move(p.waiters);
                p.waiters.clear();
                for (auto& w : waiters) w(nullptr, &e);
            }
            delete rq;
        },
        np.host.c_str(), nullptr, &hints);
    if (rc != 0) {
        np.resolving = false;
        delete r;
        Error e =
            WorkerConnectionError(np.node_id, np.host, std::string("could not resolve host name: ") + uv_strerror(rc));
        auto waiters = std::move(np.waiters);
        np.waiters.clear();
        for (auto& w : waiters) w(nullptr, &e);
    }
}

// Opens connections for queued requests while slots are free.
void WorkerPool::ServeWaiters(NodePool& np) {
    while (!np.waiters.empty() && np.total < max_per_node_ && !np.hostaddr.empty()) {
        AcquireFn cb = std::move(np.waiters.front());
        np.waiters.pop_front();
        Open(np, std::move(cb));
    }
}

// Takes a connection back, or closes it when it is not clean.
void WorkerPool::Release(WorkerConn* conn) {
    auto it = owner_.find(conn);
    if (it == owner_.end()) return;
    if (shutdown_ || conn->broken() || conn->busy() || PQstatus(conn->pg()) != CONNECTION_OK ||
        PQtransactionStatus(conn->pg()) != PQTRANS_IDLE) {
        Discard(conn);
        return;
    }
    conn->pinned_by = nullptr;
    NodePool& np = pools_[it->second];
    if (!np.waiters.empty()) {
        AcquireFn cb = std::move(np.waiters.front());
        np.waiters.pop_front();
        cb(conn, nullptr);
        return;
    }
    conn->in_pool = true;
    conn->on_idle_failure = [this](WorkerConn* c) { Discard(c); };
    np.idle.push_back(conn);
}

// Closes a connection and frees its slot.
void WorkerPool::Discard(WorkerConn* conn) {
    auto it = owner_.find(conn);
    if (it != owner_.end()) {
        NodePool& np = pools_[it->second];
        --np.total;
        for (size_t i = 0; i < np.idle.size(); ++i) {
            if (np.idle[i] == conn) {
                np.idle.erase(np.idle.begin() + static_cast<long>(i));
                break;
            }
        }
        owner_.erase(it);
        conn->Destroy();
        ServeWaiters(np);
        return;
    }
    conn->Destroy();
}

// Closes every idle connection; busy ones are closed on release.
void WorkerPool::Shutdown() {
    shutdown_ = true;
    for (auto& [key, np] : pools_) {
        auto idle = np.idle;
        for (WorkerConn* c : idle) Discard(c);
        np.waiters.clear();
    }
}

size_t WorkerPool::idle_count() const {
    size_t n = 0;
    for (const auto& [k, np] : pools_) n += np.idle.size();
    return n;
}

}  // namespace jade::coord::backend
