// cancel.h — cancels running worker queries without blocking the loop.
//
// PQcancel is blocking in PostgreSQL 15 (it opens a new connection; the non-blocking
// PQcancelStart arrived in 17), so each cancel runs on libuv's thread pool. The PGcancel object
// is taken on the loop thread (PQgetCancel) and is independent of the PGconn afterwards.
#pragma once

#include <uv.h>

#include <libpq-fe.h>

namespace jade::coord::backend {

// Sends a cancel request for the query running on `conn` (fire and forget).
void CancelAsync(uv_loop_t* loop, PGconn* conn);

}  // namespace jade::coord::backend
