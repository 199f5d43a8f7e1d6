// cancel.cpp — PQcancel on libuv's thread pool (see cancel.h).
#include "backend/cancel.h"

#include <cstdio>

namespace jade::coord::backend {

// Queues PQcancel on the thread pool; the work item owns the PGcancel.
void CancelAsync(uv_loop_t* loop, PGconn* conn) {
    struct Work {
        uv_work_t req;
        PGcancel* cancel;
    };
    PGcancel* cancel = PQgetCancel(conn);
    if (cancel == nullptr) return;
    auto* w = new Work{{}, cancel};
    w->req.data = w;
    int rc = uv_queue_work(
        loop, &w->req,
        [](uv_work_t* req) {
            auto* work = static_cast<Work*>(req->data);
            char err[256];
            if (PQcancel(work->cancel, err, sizeof err) == 0)
                std::fprintf(stderr, "jade-coordinator: cancel failed: %s\n", err);
        },
        [](uv_work_t* req, int /*status*/) {
            auto* work = static_cast<Work*>(req->data);
            PQfreeCancel(work->cancel);
            delete work;
        });
    if (rc != 0) {
        PQfreeCancel(cancel);
        delete w;
    }
}

}  // namespace jade::coord::backend
