// worker_conn.cpp — non-blocking libpq connection on the libuv loop (see worker_conn.h).
#include "backend/worker_conn.h"

#include <openssl/ssl.h>

#include <utility>
#include <vector>

#include "wire/io_sqlstate.h"

namespace jade::coord::backend {

// Builds "could not ... worker node N (addr): detail" as 08006.
Error WorkerConnectionError(uint32_t node_id, const std::string& address, const std::string& what) {
    std::string msg = what;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return MakeError(iostate::kConnectionFailure,
                     "connection to worker node " + std::to_string(node_id) + " (" + address + ") failed", msg,
                     "The coordinator keeps serving queries that do not need this worker.");
}

WorkerConn* WorkerConn::Create(uv_loop_t* loop, uint32_t node_id, std::string hostaddr, uint16_t port,
                               const WorkerLogin& login) {
    return new WorkerConn(loop, node_id, std::move(hostaddr), port, login);
}

WorkerConn::WorkerConn(uv_loop_t* loop, uint32_t node_id, std::string hostaddr, uint16_t port, const WorkerLogin& login)
    : loop_(loop), node_id_(node_id), hostaddr_(std::move(hostaddr)), port_(port), login_(login) {
    address_ = hostaddr_ + ":" + std::to_string(port_);
}

WorkerConn::~WorkerConn() {
    *alive_ = false;
    if (pg_ != nullptr) PQfinish(pg_);
}

// Starts the asynchronous connection attempt under a timeout.
void WorkerConn::Connect(ConnectFn done) {
    connect_done_ = std::move(done);
    std::vector<std::pair<std::string, std::string>> params = {
        {"hostaddr", hostaddr_},       {"port", std::to_string(port_)},
        {"user", login_.user},         {"dbname", login_.database},
        {"application_name", "jade-coordinator"}, {"client_encoding", "UTF8"},
    };
    auto add = [&](const char* key, const std::string& value) {
        if (!value.empty()) params.emplace_back(key, value);
    };
    auto add_int = [&](const char* key, int value) {
        if (value > 0) params.emplace_back(key, std::to_string(value));
    };
    add("password", login_.password);
    add("passfile", login_.passfile);
    add("sslmode", login_.sslmode);
    add("sslrootcert", login_.sslrootcert);
    add("sslcert", login_.sslcert);
    add("sslkey", login_.sslkey);
    if (login_.keepalives_idle_s > 0 || login_.keepalives_interval_s > 0 || login_.keepalives_count > 0) {
        params.emplace_back("keepalives", "1");
        add_int("keepalives_idle", login_.keepalives_idle_s);
        add_int("keepalives_interval", login_.keepalives_interval_s);
        add_int("keepalives_count", login_.keepalives_count);
    }
    add_int("tcp_user_timeout", login_.tcp_user_timeout_ms);
    std::vector<const char*> keys, vals;
    for (const auto& [k, v] : params) {
        keys.push_back(k.c_str());
        vals.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    vals.push_back(nullptr);
    pg_ = PQconnectStartParams(keys.data(), vals.data(), 0);
    if (pg_ == nullptr || PQstatus(pg_) == CONNECTION_BAD) {
        Fail(pg_ ? PQerrorMessage(pg_) : "out of memory");
        return;
    }
    connecting_ = true;
    timer_ = new uv_timer_t;
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    uv_timer_start(timer_, TimerCb, static_cast<uint64_t>(login_.connect_timeout_ms), 0);
    // libpq: before the first PQconnectPoll, behave as if it returned PGRES_POLLING_WRITING.
    want_write_ = true;
    UpdatePoll();
}

// Fails a connection attempt that takes too long.
void WorkerConn::TimerCb(uv_timer_t* t) {
    auto* self = static_cast<WorkerConn*>(t->data);
    net::Guarded("worker connect timeout", [&] {
        net::OwnerScope scope(self->exception_owner_, self->exception_owner_alive_);
        if (self->connecting_) self->Fail("timeout expired while connecting");
    });
}

// Advances PQconnectPoll and waits for the direction it asks for.
void WorkerConn::PollConnect() {
    switch (PQconnectPoll(pg_)) {
        case PGRES_POLLING_OK:
            connecting_ = false;
            want_write_ = false;
            if (timer_ != nullptr) uv_timer_stop(timer_);
            PQsetnonblocking(pg_, 1);
            PQsetNoticeReceiver(pg_, NoticeReceiver, this);
            UpdatePoll();
            FinishConnect(nullptr);
            return;
        case PGRES_POLLING_READING:
            if (PQsocket(pg_) < 0) {
                Fail(PQerrorMessage(pg_));
                return;
            }
            want_write_ = false;
            UpdatePoll();
            return;
        case PGRES_POLLING_WRITING:
            if (PQsocket(pg_) < 0) {
                Fail(PQerrorMessage(pg_));
                return;
            }
            want_write_ = true;
            UpdatePoll();
            return;
        default:
            Fail(PQerrorMessage(pg_));
            return;
    }
}

// Reports the connection outcome once.
void WorkerConn::FinishConnect(const Error* error) {
    connecting_ = false;
    ConnectFn done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (done) done(this, error);
}

// (Re)arms the poll handle for the current socket and wanted directions.
void WorkerConn::UpdatePoll() {
    if (destroyed_ || broken_ || pg_ == nullptr) return;
    int fd = PQsocket(pg_);
    if (fd < 0) return;
    if (poll_ != nullptr && fd != poll_fd_) {
        uv_poll_stop(poll_);
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
        poll_ = nullptr;
    }
    if (poll_ == nullptr) {
        poll_ = new uv_poll_t;
        uv_poll_init(loop_, poll_, fd);
        poll_->data = this;
        poll_fd_ = fd;
        poll_events_ = 0;
    }
    int events = 0;
    if (connecting_) {
        events = want_write_ ? UV_WRITABLE : UV_READABLE;
    } else {
        if (!paused_) events |= UV_READABLE;
        if (want_write_) events |= UV_WRITABLE;
    }
    if (events == poll_events_) return;
    poll_events_ = events;
    if (events == 0) {
        uv_poll_stop(poll_);
    } else {
        uv_poll_start(poll_, events, PollCb);
    }
}

// Socket readiness, inside the exception boundary: an exception from the code the results ran
// (the session's) ends that session; this connection's protocol state is then unknown, so it
// is marked broken and never reused.
void WorkerConn::PollCb(uv_poll_t* h, int status, int events) {
    auto* self = static_cast<WorkerConn*>(h->data);
    bool threw = true;
    net::Guarded("worker connection", [&] {
        net::OwnerScope scope(self->exception_owner_, self->exception_owner_alive_);
        self->OnPollEvent(status, events);
        threw = false;
    });
    if (threw && !self->destroyed_) {
        // Whoever still waits on this connection hears that it failed (a recovery pass, a lane).
        net::Guarded("worker connection failure", [&] { self->Fail("internal error in the coordinator"); });
    }
}

// Dispatches socket readiness: connect progress, flushing, or reading results.
void WorkerConn::OnPollEvent(int status, int events) {
    if (destroyed_ || broken_) return;
    if (status < 0 && connecting_) {
        // libpq knows why (e.g. connection refused); ask it before reporting the socket error.
        std::string why = PQerrorMessage(pg_);
        if (PQconnectPoll(pg_) == PGRES_POLLING_FAILED) why = PQerrorMessage(pg_);
        Fail(why.empty() ? std::string("socket error: ") + uv_strerror(status) : why);
        return;
    }
    if (status < 0) {
        Fail(std::string("socket error: ") + uv_strerror(status));
        return;
    }
    if (connecting_) {
        PollConnect();
        return;
    }
    if ((events & UV_WRITABLE) != 0 && !Flush()) return;
    if ((events & UV_READABLE) != 0) {
        if (!ConsumeInput()) {
            Fail(PQerrorMessage(pg_));
            return;
        }
        if (handler_ == nullptr) {
            // Idle connection: nothing is expected; a closed socket shows up as an error above.
            if (PQstatus(pg_) == CONNECTION_BAD) Fail(PQerrorMessage(pg_));
            return;
        }
        DrainResults();
    }
}

// Sends what libpq has buffered; keeps POLLOUT armed until everything is out.
bool WorkerConn::Flush() {
    if (broken_ || pg_ == nullptr) return false;
    int rc = PQflush(pg_);
    if (rc < 0) {
        Fail(PQerrorMessage(pg_));
        return false;
    }
    bool was_pending = want_write_;
    want_write_ = rc == 1;
    UpdatePoll();
    if (was_pending && !want_write_ && on_flushed) {
        auto cb = on_flushed;
        cb();
    }
    return !broken_;
}

// Takes over result delivery for the query just sent.
void WorkerConn::Start(WorkerHandler* handler) {
    handler_ = handler;
    in_copy_in_ = false;
    in_copy_out_ = false;
    paused_ = false;
    if (!Flush()) return;
    UpdatePoll();
    // Results may already sit in libpq's buffer (e.g. after a synchronous error).
    DrainResults();
}

// Continues after the handler ended a COPY IN with PQputCopyEnd.
void WorkerConn::ResumeAfterCopyIn() {
    in_copy_in_ = false;
    if (!Flush()) return;
    DrainResults();
}

// Stops reading results (the client is slow).
void WorkerConn::Pause() {
    if (paused_) return;
    paused_ = true;
    UpdatePoll();
}

// Restarts reading and delivers results libpq already buffered.
void WorkerConn::Resume() {
    if (!paused_) return;
    paused_ = false;
    UpdatePoll();
    if (handler_ != nullptr) {
        if (!ConsumeInput()) {
            Fail(PQerrorMessage(pg_));
            return;
        }
        DrainResults();
    }
}

// Reads what the socket has. Under TLS, OpenSSL can hold decrypted bytes of a record libpq has
// not taken yet (libpq reads at most its buffer's free space); the socket will not signal them
// again, so they are taken now (libpq's own blocking waits check pgtls_read_pending likewise).
bool WorkerConn::ConsumeInput() {
    if (PQconsumeInput(pg_) == 0) return false;
    if (PQsslInUse(pg_) == 0) return true;
    auto* ssl = static_cast<SSL*>(PQsslStruct(pg_, "OpenSSL"));
    for (int i = 0; ssl != nullptr && SSL_has_pending(ssl) == 1 && i < 1024; ++i) {
        if (PQconsumeInput(pg_) == 0) return false;
    }
    return true;
}

// The cancel request for this connection's query is over. Unanswered (the worker's postmaster
// did not respond in time, or could not be reached), it might still be delivered later, to
// whatever query would run then, so the connection is never used again: a query still running
// fails (its outcome on that worker is unknown), one that already ended is reported as ended and
// nothing more is sent (broken()).
void WorkerConn::CancelFinished(bool answered) {
    if (cancels_in_flight_ > 0) --cancels_in_flight_;
    if (destroyed_ || broken_) return;
    if (!answered) {
        poisoned_ = true;
        if (!done_held_) {
            Fail("cancel request not answered by the worker within " + std::to_string(login_.cancel_timeout_ms) +
                 " ms; the statement's outcome on this worker is unknown");
            return;
        }
    }
    if (cancels_in_flight_ > 0 || !done_held_) return;
    done_held_ = false;
    WorkerHandler* h = handler_;
    handler_ = nullptr;
    if (h != nullptr) h->OnQueryDone(this);
}

// Hands complete results to the handler until libpq needs more input.
void WorkerConn::DrainResults() {
    if (draining_) return;
    draining_ = true;
    while (handler_ != nullptr && !paused_ && !destroyed_ && !broken_ && !in_copy_in_) {
        if (in_copy_out_) {
            char* buf = nullptr;
            int n = PQgetCopyData(pg_, &buf, 1);
            if (n > 0) {
                handler_->OnCopyData(this, buf, n);
                PQfreemem(buf);
                continue;
            }
            if (n == 0) break;
            in_copy_out_ = false;
        }
        if (PQisBusy(pg_)) break;
        PGresult* r = PQgetResult(pg_);
        if (r == nullptr) {
            if (cancels_in_flight_ > 0) {
                // Held back until the cancel is delivered (cancels_in_flight() in worker_conn.h).
                done_held_ = true;
                break;
            }
            WorkerHandler* h = handler_;
            handler_ = nullptr;
            draining_ = false;
            h->OnQueryDone(this);
            return;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_OUT) in_copy_out_ = true;
        if (st == PGRES_COPY_IN) in_copy_in_ = true;
        handler_->OnResult(this, PgResult(r));
    }
    draining_ = false;
}

// Marks the connection broken and tells whoever is waiting on it.
void WorkerConn::Fail(const std::string& what) {
    if (broken_) return;
    broken_ = true;
    done_held_ = false;
    if (poll_ != nullptr) uv_poll_stop(poll_);
    poll_events_ = 0;
    Error err = WorkerConnectionError(node_id_, address_, what);
    if (connecting_) {
        if (timer_ != nullptr) uv_timer_stop(timer_);
        FinishConnect(&err);
        return;
    }
    if (handler_ != nullptr) {
        WorkerHandler* h = handler_;
        handler_ = nullptr;
        h->OnConnError(this, err);
        return;
    }
    if (on_idle_failure) on_idle_failure(this);
}

// Forwards worker notices to the current handler. libpq calls this from inside its own C
// frames, which an exception must never cross.
void WorkerConn::NoticeReceiver(void* arg, const PGresult* res) {
    auto* self = static_cast<WorkerConn*>(arg);
    net::Guarded("worker notice", [&] {
        net::OwnerScope scope(self->exception_owner_, self->exception_owner_alive_);
        if (self->handler_ != nullptr) self->handler_->OnNotice(self, res);
    });
}

// Closes handles; the last close callback frees the object (and PQfinish()es).
void WorkerConn::Destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    handler_ = nullptr;
    struct Closer {
        WorkerConn* conn;
        int pending;
    };
    auto* closer = new Closer{this, 0};
    auto done = [](uv_handle_t* h) {
        auto* c = static_cast<Closer*>(h->data);
        if (h->type == UV_POLL) {
            delete reinterpret_cast<uv_poll_t*>(h);
        } else {
            delete reinterpret_cast<uv_timer_t*>(h);
        }
        if (--c->pending == 0) {
            delete c->conn;
            delete c;
        }
    };
    if (poll_ != nullptr) {
        uv_poll_stop(poll_);
        poll_->data = closer;
        ++closer->pending;
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), done);
        poll_ = nullptr;
    }
    if (timer_ != nullptr) {
        uv_timer_stop(timer_);
        timer_->data = closer;
        ++closer->pending;
        uv_close(reinterpret_cast<uv_handle_t*>(timer_), done);
        timer_ = nullptr;
    }
    if (closer->pending == 0) {
        delete closer;
        delete this;
    }
}

}  // namespace jade::coord::backend
