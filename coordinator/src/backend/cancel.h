// cancel.h — cancels a worker connection's running query without blocking the loop, and so that
// the request can only reach the query it was meant for.
//
// PQcancel is blocking in PostgreSQL 15 (it opens a new connection; the non-blocking
// PQcancelStart arrived in 17), so each cancel runs on libuv's thread pool. The PGcancel object
// is taken on the loop thread (PQgetCancel) and is independent of the PGconn afterwards.
//
// Exactness. PQcancel returns once the worker's postmaster has closed the cancel connection,
// which it does after signalling the backend (processCancelRequest). Until then the connection
// counts the request as in flight (WorkerConn::cancels_in_flight): the end of its query is held
// back, so no other statement is sent on it and it cannot return to the pool and serve another
// session. A signal that arrives after the query ended finds the backend waiting for a command,
// where PostgreSQL ignores it (ProcessInterrupts: DoingCommandRead). A request not answered
// within cancel_timeout_ms could still be delivered at any later time, so that connection is
// never used again (WorkerConn::CancelFinished).
#pragma once

#include <uv.h>

namespace jade::coord::backend {

class WorkerConn;

// Sends a cancel request for the query running on `conn`.
void CancelAsync(uv_loop_t* loop, WorkerConn* conn);

}  // namespace jade::coord::backend
