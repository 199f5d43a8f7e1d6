// cancel.cpp — PQcancel on libuv's thread pool, bounded in time (see cancel.h).
#include "backend/cancel.h"

#include <libpq-fe.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "backend/worker_conn.h"
#include "net/exception_boundary.h"

namespace jade::coord::backend {
namespace {

/** One cancel request: shared by the pool thread (PQcancel), the loop, and its timer. */
struct CancelWork {
    uv_work_t req;
    uv_timer_t timer;
    PGcancel* cancel = nullptr;
    WorkerConn* conn = nullptr;
    std::shared_ptr<bool> conn_alive;
    std::atomic<bool> answered{false};
    bool reported = false;  ///< CancelFinished already called (timer or completion)
    bool work_done = false;
    bool timer_closed = false;
    std::string error;  ///< PQcancel's message (pool thread; read after completion)
};

// Tells the connection once, if it still exists.
void Report(CancelWork* w, bool answered) {
    if (w->reported) return;
    w->reported = true;
    if (*w->conn_alive) {
        WorkerConn* conn = w->conn;
        net::Guarded("cancel completion", [&] { conn->CancelFinished(answered); });
    }
}

void MaybeFree(CancelWork* w) {
    if (w->work_done && w->timer_closed) {
        PQfreeCancel(w->cancel);
        delete w;
    }
}

}  // namespace

void CancelAsync(uv_loop_t* loop, WorkerConn* conn) {
    if (conn == nullptr || conn->pg() == nullptr || conn->broken()) return;
    PGcancel* cancel = conn->GetCancel();
    if (cancel == nullptr) return;
    auto* w = new CancelWork();
    w->cancel = cancel;
    w->conn = conn;
    w->conn_alive = conn->alive_token();
    w->req.data = w;
    w->timer.data = w;
    conn->CancelStarted();
    uv_timer_init(loop, &w->timer);
    int rc = uv_queue_work(
        loop, &w->req,
        [](uv_work_t* req) {
            auto* work = static_cast<CancelWork*>(req->data);
            char err[256] = {0};
            bool ok = PQcancel(work->cancel, err, sizeof err) == 1;
            if (!ok) work->error = err;
            work->answered.store(ok);
        },
        [](uv_work_t* req, int /*status*/) {
            auto* work = static_cast<CancelWork*>(req->data);
            work->work_done = true;
            if (!work->answered.load() && !work->reported) {
                std::fprintf(stderr, "jade-coordinator: cancel request failed: %s\n", work->error.c_str());
            }
            Report(work, work->answered.load());
            if (!work->timer_closed && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&work->timer))) {
                uv_close(reinterpret_cast<uv_handle_t*>(&work->timer), [](uv_handle_t* h) {
                    auto* wk = static_cast<CancelWork*>(h->data);
                    wk->timer_closed = true;
                    MaybeFree(wk);
                });
                return;
            }
            MaybeFree(work);
        });
    if (rc != 0) {
        w->work_done = true;
        Report(w, false);
        uv_close(reinterpret_cast<uv_handle_t*>(&w->timer), [](uv_handle_t* h) {
            auto* wk = static_cast<CancelWork*>(h->data);
            wk->timer_closed = true;
            MaybeFree(wk);
        });
        return;
    }
    // PQcancel has no timeout of its own: a worker that accepts the connection and never answers
    // (a stopped postmaster) would hold the connection forever.
    uv_timer_start(
        &w->timer,
        [](uv_timer_t* t) {
            auto* work = static_cast<CancelWork*>(t->data);
            Report(work, false);
            uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
                auto* wk = static_cast<CancelWork*>(h->data);
                wk->timer_closed = true;
                MaybeFree(wk);
            });
        },
        static_cast<uint64_t>(conn->login().cancel_timeout_ms), 0);
}

}  // namespace jade::coord::backend
