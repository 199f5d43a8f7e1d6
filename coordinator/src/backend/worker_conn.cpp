// worker_conn.cpp — non-blocking libpq connection on the libuv loop (see worker_conn.h).
#include "backend/worker_conn.h"

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
    if (pg_ != nullptr) PQfinish(pg_);
}

// Starts the asynchronous connection attempt under a timeout.
void WorkerConn::Connect(ConnectFn done) {
    connect_done_ = std::move(done);
    std::string port = std::to_string(port_);
    const char* keys[] = {"hostaddr",
                          "port",
                          "user",
                          "dbname",
                          "application_name",
                          "client_encoding",
                          login_.password.empty() ? nullptr : "password",
                          nullptr};
    const char* vals[] = {hostaddr_.c_str(),  port.c_str(), login_.user.c_str(),     login_.database.c_str(),
                          "jade-coordinator", "UTF8",       login_.password.c_str(), nullptr};
    pg_ = PQconnectStartParams(keys, vals, 0);
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
    if (self->connecting_) self->Fail("timeout expired while connecting");
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

void WorkerConn::PollCb(uv_poll_t* h, int status, int events) {
    static_cast<WorkerConn*>(h->data)->OnPollEvent(status, events);
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
        if (PQconsumeInput(pg_) == 0) {
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
        if (PQconsumeInput(pg_) == 0) {
            Fail(PQerrorMessage(pg_));
            return;
        }
        DrainResults();
    }
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

// Forwards worker notices to the current handler.
void WorkerConn::NoticeReceiver(void* arg, const PGresult* res) {
    auto* self = static_cast<WorkerConn*>(arg);
    if (self->handler_ != nullptr) self->handler_->OnNotice(self, res);
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
