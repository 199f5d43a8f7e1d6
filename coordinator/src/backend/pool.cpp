// pool.cpp — per-node, per-role worker connection pool with bounded waits (see pool.h).
#include "backend/pool.h"

#include <arpa/inet.h>
#include <netdb.h>

#include "net/exception_boundary.h"
#include "wire/io_sqlstate.h"

namespace jade::coord::backend {
namespace {

/** How often waiting requests are checked against their deadline (ms). */
constexpr uint64_t kWaitCheckMs = 50;

}  // namespace

WorkerPool::WorkerPool(uv_loop_t* loop, PoolOptions options) : loop_(loop), options_(std::move(options)) {
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
}

WorkerPool::~WorkerPool() {
    Shutdown();
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

std::string WorkerPool::Key(uint32_t node_id, const std::string& host, uint16_t port) {
    return std::to_string(node_id) + "/" + host + ":" + std::to_string(port);
}

// Queues the request behind earlier ones, then serves what can be served now.
void WorkerPool::Acquire(const Request& request, AcquireFn cb) {
    if (shutdown_) {
        Error e = MakeError(iostate::kAdminShutdown, "the coordinator is shutting down");
        cb(nullptr, &e);
        return;
    }
    std::string key = Key(request.node_id, request.host, request.port);
    NodePool& np = pools_[key];
    if (np.host.empty()) {
        np.node_id = request.node_id;
        np.host = request.host;
        np.port = request.port;
        in_addr a4{};
        in6_addr a6{};
        if (inet_pton(AF_INET, request.host.c_str(), &a4) == 1 || inet_pton(AF_INET6, request.host.c_str(), &a6) == 1) {
            np.hostaddr = request.host;
        }
    }
    Waiter w;
    w.role = request.role.empty() ? options_.login.user : request.role;
    w.cb = std::move(cb);
    w.deadline_ms = uv_now(loop_) + static_cast<uint64_t>(options_.wait_timeout_ms);
    np.waiters.push_back(std::move(w));
    if (np.hostaddr.empty()) {
        Resolve(np);
    } else {
        ServeWaiters(np);
    }
    ArmTimer();
}

// Serves waiters in order: an idle connection of their role, a new one while the node has room,
// or room made by closing an idle connection of another role.
void WorkerPool::ServeWaiters(NodePool& np) {
    // Discard() and the callbacks below come back here; the outermost call does the serving.
    if (np.serving) return;
    np.serving = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }
    } reset{np.serving};
    while (!np.waiters.empty() && !np.hostaddr.empty() && !shutdown_) {
        Waiter& w = np.waiters.front();
        auto& idle = np.idle[w.role];
        WorkerConn* found = nullptr;
        while (!idle.empty() && found == nullptr) {
            WorkerConn* c = idle.back();
            idle.pop_back();
            c->in_pool = false;
            c->on_idle_failure = nullptr;
            if (c->broken() || PQstatus(c->pg()) != CONNECTION_OK) {
                Discard(c);
                continue;
            }
            found = c;
        }
        if (found == nullptr && np.total >= options_.max_per_node && !CloseIdleOfOtherRole(np, w.role)) break;
        Waiter served = std::move(np.waiters.front());
        np.waiters.pop_front();
        if (found != nullptr) {
            served.cb(found, nullptr);
        } else {
            Open(np, served.role, std::move(served.cb));
        }
    }
}

// Frees a slot held by an idle connection of a role other than `role`.
bool WorkerPool::CloseIdleOfOtherRole(NodePool& np, const std::string& role) {
    for (auto& [r, conns] : np.idle) {
        if (r == role || conns.empty()) continue;
        WorkerConn* victim = conns.front();
        conns.erase(conns.begin());
        victim->in_pool = false;
        victim->on_idle_failure = nullptr;
        Discard(victim);  // may serve waiters again: re-entrancy is bounded by the waiter list
        return true;
    }
    return false;
}

// The login of a role: the shared one, or the same settings as `role` with its password.
WorkerLogin WorkerPool::LoginFor(const std::string& role) const {
    WorkerLogin login = options_.login;
    if (role == login.user) return login;
    login.user = role;
    auto it = options_.role_passwords.find(role);
    login.password = it != options_.role_passwords.end() ? it->second : std::string();
    return login;
}

// Opens a new connection for `np` as `role`.
void WorkerPool::Open(NodePool& np, const std::string& role, AcquireFn cb) {
    ++np.total;
    WorkerConn* conn = WorkerConn::Create(loop_, np.node_id, np.hostaddr, np.port, LoginFor(role));
    owner_[conn] = Owned{Key(np.node_id, np.host, np.port), role};
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
            WorkerPool* pool = rq->pool;
            std::string key = rq->key;
            delete rq;
            net::Guarded("worker host name resolution", [&] { pool->OnResolved(key, status, res); });
        },
        np.host.c_str(), nullptr, &hints);
    if (rc != 0) {
        delete r;
        OnResolved(Key(np.node_id, np.host, np.port), rc, nullptr);
    }
}

// Records the address, or fails everyone waiting for it.
void WorkerPool::OnResolved(const std::string& key, int status, addrinfo* res) {
    NodePool& p = pools_[key];
    p.resolving = false;
    if (status == 0 && res != nullptr) {
        char ip[INET_ADDRSTRLEN] = {0};
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, ip, sizeof ip);
        p.hostaddr = ip;
        uv_freeaddrinfo(res);
        ServeWaiters(p);
        return;
    }
    if (res != nullptr) uv_freeaddrinfo(res);
    Error e = WorkerConnectionError(p.node_id, p.host + ":" + std::to_string(p.port),
                                    std::string("could not resolve host name: ") + uv_strerror(status));
    auto waiters = std::move(p.waiters);
    p.waiters.clear();
    for (auto& w : waiters) w.cb(nullptr, &e);
}

// Takes a connection back, or closes it when it is not clean.
void WorkerPool::Release(WorkerConn* conn) {
    auto it = owner_.find(conn);
    if (it == owner_.end()) return;
    if (shutdown_ || conn->broken() || conn->busy() || conn->cancels_in_flight() > 0 ||
        PQstatus(conn->pg()) != CONNECTION_OK || PQtransactionStatus(conn->pg()) != PQTRANS_IDLE) {
        Discard(conn);
        return;
    }
    conn->pinned_by = nullptr;
    conn->SetExceptionOwner(nullptr, nullptr);
    conn->in_pool = true;
    conn->on_idle_failure = [this](WorkerConn* c) { Discard(c); };
    NodePool& np = pools_[it->second.key];
    np.idle[it->second.role].push_back(conn);
    ServeWaiters(np);
}

// Closes a connection and frees its slot.
void WorkerPool::Discard(WorkerConn* conn) {
    auto it = owner_.find(conn);
    if (it == owner_.end()) {
        conn->Destroy();
        return;
    }
    NodePool& np = pools_[it->second.key];
    --np.total;
    auto& idle = np.idle[it->second.role];
    for (size_t i = 0; i < idle.size(); ++i) {
        if (idle[i] == conn) {
            idle.erase(idle.begin() + static_cast<long>(i));
            break;
        }
    }
    owner_.erase(it);
    conn->Destroy();
    ServeWaiters(np);
}

// Closes every idle connection and fails the waiters; busy ones are closed on release.
void WorkerPool::Shutdown() {
    if (shutdown_) return;
    shutdown_ = true;
    Error e = MakeError(iostate::kAdminShutdown, "the coordinator is shutting down");
    for (auto& [key, np] : pools_) {
        auto idle = np.idle;
        for (auto& [role, conns] : idle) {
            for (WorkerConn* c : conns) Discard(c);
        }
        auto waiters = std::move(np.waiters);
        np.waiters.clear();
        for (auto& w : waiters) w.cb(nullptr, &e);
    }
    if (timer_running_) {
        uv_timer_stop(timer_);
        timer_running_ = false;
    }
}

// Runs the deadline check while anyone waits.
void WorkerPool::ArmTimer() {
    if (timer_running_ || waiting_count() == 0) return;
    timer_running_ = true;
    uv_timer_start(
        timer_,
        [](uv_timer_t* t) {
            auto* pool = static_cast<WorkerPool*>(t->data);
            net::Guarded("pool wait timeout", [&] { pool->ExpireWaiters(); });
        },
        kWaitCheckMs, kWaitCheckMs);
}

// Fails the requests that waited longer than wait_timeout_ms (53300, naming the node).
void WorkerPool::ExpireWaiters() {
    uint64_t now = uv_now(loop_);
    std::vector<std::pair<AcquireFn, Error>> expired;
    for (auto& [key, np] : pools_) {
        for (auto it = np.waiters.begin(); it != np.waiters.end();) {
            if (it->deadline_ms > now) {
                ++it;
                continue;
            }
            expired.emplace_back(
                std::move(it->cb),
                MakeError(iostate::kTooManyConnections,
                          "timed out waiting for a connection to worker node " + std::to_string(np.node_id) + " (" +
                              np.host + ":" + std::to_string(np.port) + ")",
                          "All " + std::to_string(options_.max_per_node) +
                              " connections of the pool to this node (pool_size) stayed in use for " +
                              std::to_string(options_.wait_timeout_ms) + " ms (pool_wait_timeout_ms).",
                          "Raise pool_size, or keep transactions that hold connections short."));
            it = np.waiters.erase(it);
        }
    }
    if (waiting_count() == 0) {
        uv_timer_stop(timer_);
        timer_running_ = false;
    }
    for (auto& [cb, err] : expired) cb(nullptr, &err);
}

size_t WorkerPool::idle_count() const {
    size_t n = 0;
    for (const auto& [k, np] : pools_) {
        for (const auto& [role, conns] : np.idle) n += conns.size();
    }
    return n;
}

size_t WorkerPool::waiting_count() const {
    size_t n = 0;
    for (const auto& [k, np] : pools_) n += np.waiters.size();
    return n;
}

const std::string& WorkerPool::RoleOf(WorkerConn* conn) const {
    static const std::string kNone;
    auto it = owner_.find(conn);
    return it == owner_.end() ? kNone : it->second.role;
}

}  // namespace jade::coord::backend
