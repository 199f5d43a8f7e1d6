// task_run.cpp — parallel lanes of worker operations (see task_run.h).
#include "executor/task_run.h"

#include <iterator>

#include "backend/cancel.h"

namespace jade::coord::exec {

// Runs `deleter` from a zero-delay timer.
void DeferDelete(uv_loop_t* loop, std::function<void()> deleter) {
    struct Holder {
        uv_timer_t timer;
        std::function<void()> fn;
    };
    auto* h = new Holder{{}, std::move(deleter)};
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(
        &h->timer,
        [](uv_timer_t* t) {
            auto* holder = static_cast<Holder*>(t->data);
            holder->fn();
            uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* ht) { delete static_cast<Holder*>(ht->data); });
        },
        0, 0);
}

TaskRun::TaskRun(uv_loop_t* loop, ConnSource* source, std::vector<Lane> lanes, Callbacks cb)
    : loop_(loop), source_(source), cb_(std::move(cb)) {
    for (auto& l : lanes) {
        LaneState s;
        s.spec = std::move(l);
        lanes_.push_back(std::move(s));
    }
    remaining_ = lanes_.size();
}

TaskRun::~TaskRun() {
    *alive_ = false;
}

// Requests a connection for every lane.
void TaskRun::Start() {
    if (lanes_.empty()) {
        finished_ = true;
        cb_.on_done(nullptr);
        return;
    }
    auto alive = alive_;
    for (size_t i = 0; i < lanes_.size(); ++i) {
        const Lane& l = lanes_[i].spec;
        source_->GetConn(l.node_id, l.host, l.port, [this, i, alive](backend::WorkerConn* c, const Error* err) {
            if (!*alive) {
                if (c != nullptr) source_->PutConn(c, false);
                return;
            }
            if (err != nullptr) {
                Fail(i, *err);
                return;
            }
            lanes_[i].conn = c;
            lane_of_[c] = i;
            std::vector<std::string> setup = source_->SetupStatements(c);
            if (setup.empty()) {
                lanes_[i].next_op = 0;
                RunNext(i);
                return;
            }
            lanes_[i].next_op = -1;
            // Sent last to first (pop_back).
            lanes_[i].setup.assign(std::make_move_iterator(setup.rbegin()), std::make_move_iterator(setup.rend()));
            SendSetup(i);
        });
    }
}

// Sends the lane's next setup statement with the extended protocol (Parse/Bind/Execute): the
// server refuses a text with more than one statement, so a setup statement is exactly one.
void TaskRun::SendSetup(size_t lane) {
    LaneState& ls = lanes_[lane];
    std::string sql = std::move(ls.setup.back());
    ls.setup.pop_back();
    backend::WorkerConn* c = ls.conn;
    if (PQsendQueryParams(c->pg(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
        Fail(lane, backend::WorkerConnectionError(c->node_id(), c->address(), PQerrorMessage(c->pg())));
        return;
    }
    c->Start(this);
}

std::shared_ptr<const StatementCall> MakeStatementCall(StatementCall call) {
    call.key = call.sql;
    call.key.push_back('\0');
    for (Oid t : call.types) call.key.append(std::to_string(t)).push_back(',');
    return std::make_shared<const StatementCall>(std::move(call));
}

namespace {

// libpq's parameter arrays for a call (pointers into the call's strings).
struct ParamPointers {
    std::vector<const char*> values;
    std::vector<int> lengths;
    explicit ParamPointers(const StatementCall& c) {
        for (const auto& v : c.values) {
            values.push_back(v ? v->data() : nullptr);
            lengths.push_back(v ? static_cast<int>(v->size()) : 0);
        }
    }
};

}  // namespace

// Sends the lane's next op, or finishes the lane.
void TaskRun::RunNext(size_t lane) {
    LaneState& ls = lanes_[lane];
    if (ls.next_op >= static_cast<int>(ls.spec.ops.size())) {
        LaneDone(lane, false);
        return;
    }
    if (ls.conn->broken()) {
        // An unanswered cancel request may still arrive (backend/cancel.h): run nothing more here.
        Fail(lane, backend::WorkerConnectionError(ls.conn->node_id(), ls.conn->address(),
                                                  "connection unusable after an unanswered cancel request"));
        return;
    }
    const LaneOp& op = ls.spec.ops[ls.next_op];
    PGconn* pg = ls.conn->pg();
    if (!(op.call ? SendCall(lane) : op.send(pg))) {
        Fail(lane, backend::WorkerConnectionError(ls.conn->node_id(), ls.conn->address(), PQerrorMessage(pg)));
        return;
    }
    if (op.single_row && ls.preparing.empty()) PQsetSingleRowMode(pg);
    ls.conn->Start(this);
}

// A StatementCall: execute its prepared statement, or prepare it first (the execute follows in
// OnQueryDone), or run it unnamed when the connection's cache is full.
bool TaskRun::SendCall(size_t lane) {
    LaneState& ls = lanes_[lane];
    const StatementCall& c = *ls.spec.ops[ls.next_op].call;
    backend::WorkerConn* conn = ls.conn;
    if (const std::string* name = conn->statements.Find(c.key)) return SendPrepared(lane, *name);
    int n = static_cast<int>(c.values.size());
    if (auto name = conn->statements.NewName()) {
        ls.preparing = *name;
        ls.prepare_failed = false;
        return PQsendPrepare(conn->pg(), name->c_str(), c.sql.c_str(), n, n ? c.types.data() : nullptr) == 1;
    }
    ParamPointers p(c);
    return PQsendQueryParams(conn->pg(), c.sql.c_str(), n, n ? c.types.data() : nullptr, n ? p.values.data() : nullptr,
                             n ? p.lengths.data() : nullptr, n ? c.formats.data() : nullptr, c.result_format) == 1;
}

bool TaskRun::SendPrepared(size_t lane, const std::string& name) {
    LaneState& ls = lanes_[lane];
    const StatementCall& c = *ls.spec.ops[ls.next_op].call;
    int n = static_cast<int>(c.values.size());
    ParamPointers p(c);
    return PQsendQueryPrepared(ls.conn->pg(), name.c_str(), n, n ? p.values.data() : nullptr,
                               n ? p.lengths.data() : nullptr, n ? c.formats.data() : nullptr, c.result_format) == 1;
}

size_t TaskRun::LaneOf(backend::WorkerConn* conn) const {
    auto it = lane_of_.find(conn);
    return it == lane_of_.end() ? lanes_.size() : it->second;
}

// Routes a result to the caller (setup results are checked here).
void TaskRun::OnResult(backend::WorkerConn* conn, backend::PgResult result) {
    size_t lane = LaneOf(conn);
    if (lane >= lanes_.size()) return;
    LaneState& ls = lanes_[lane];
    if (ls.next_op < 0) {
        ExecStatusType st = PQresultStatus(result.get());
        if (st == PGRES_FATAL_ERROR && !ls.setup_failed) {
            ls.setup_failed = true;
            // Report the worker's own error through on_result so the client sees it unchanged.
            if (cb_.on_result) cb_.on_result(lane, -1, std::move(result));
        }
        return;
    }
    const LaneOp& op = ls.spec.ops[ls.next_op];
    if (!ls.preparing.empty()) {
        // The Parse of a StatementCall: only its error is the caller's business.
        if (PQresultStatus(result.get()) != PGRES_FATAL_ERROR || ls.prepare_failed) return;
        ls.prepare_failed = true;
    } else if (op.call && PQresultStatus(result.get()) == PGRES_FATAL_ERROR) {
        // The statement may be gone (a DEALLOCATE we did not see: 26000) or stale (DDL run on the
        // worker directly: "cached plan must not change result type"): start over next time.
        conn->statements.Forget();
    }
    if (ls.silenced) return;
    if (cb_.on_result) cb_.on_result(lane, op.tag, std::move(result));
}

void TaskRun::OnCopyData(backend::WorkerConn* conn, const char* data, int len) {
    size_t lane = LaneOf(conn);
    if (lane >= lanes_.size() || lanes_[lane].silenced) return;
    if (cb_.on_copy_data) cb_.on_copy_data(lane, lanes_[lane].spec.ops[lanes_[lane].next_op].tag, data, len);
}

void TaskRun::OnNotice(backend::WorkerConn* /*conn*/, const PGresult* notice) {
    if (cb_.on_notice) cb_.on_notice(notice);
}

// Advances the lane after a command finished.
void TaskRun::OnQueryDone(backend::WorkerConn* conn) {
    size_t lane = LaneOf(conn);
    if (lane >= lanes_.size()) return;
    LaneState& ls = lanes_[lane];
    if (ls.next_op < 0) {
        if (ls.setup_failed) {
            // The error result was already delivered; the lane stops here. The connection's
            // settings are now unknown, so it is not reused.
            LaneDone(lane, true);
            return;
        }
        if (!ls.setup.empty()) {
            SendSetup(lane);
            return;
        }
        source_->SetupDone(conn);
    } else {
        const LaneOp& op = ls.spec.ops[ls.next_op];
        if (!ls.preparing.empty()) {
            std::string name = std::move(ls.preparing);
            ls.preparing.clear();
            if (!ls.prepare_failed) {
                // Prepared: remember it and execute it now (same op).
                conn->statements.Add(op.call->key, name);
                if (!SendPrepared(lane, name)) {
                    Fail(lane,
                         backend::WorkerConnectionError(conn->node_id(), conn->address(), PQerrorMessage(conn->pg())));
                    return;
                }
                if (op.single_row) PQsetSingleRowMode(conn->pg());
                conn->Start(this);
                return;
            }
        }
        if (op.forgets_statements) conn->statements.Forget();
    }
    ++ls.next_op;
    RunNext(lane);
}

// Records a connection failure on a lane.
void TaskRun::OnConnError(backend::WorkerConn* conn, const Error& error) {
    size_t lane = LaneOf(conn);
    if (lane >= lanes_.size()) return;
    Fail(lane, error);
}

void TaskRun::Fail(size_t lane, const Error& error) {
    if (!has_error_) {
        has_error_ = true;
        first_error_ = error;
    }
    LaneDone(lane, true);
}

// Returns the lane's connection and reports completion when it was the last lane.
void TaskRun::LaneDone(size_t lane, bool broken) {
    LaneState& ls = lanes_[lane];
    if (ls.done) return;
    ls.done = true;
    if (ls.conn != nullptr) {
        lane_of_.erase(ls.conn);
        backend::WorkerConn* c = ls.conn;
        ls.conn = nullptr;
        source_->PutConn(c, broken);
    }
    if (--remaining_ == 0 && !finished_) {
        finished_ = true;
        cb_.on_done(has_error_ ? &first_error_ : nullptr);
    }
}

// Drops every connection without callbacks (the owner is going away).
void TaskRun::Abort() {
    finished_ = true;
    for (auto& l : lanes_) {
        if (l.conn != nullptr) {
            backend::WorkerConn* c = l.conn;
            l.conn = nullptr;
            l.done = true;
            lane_of_.erase(c);
            source_->PutConn(c, true);
        }
    }
}

void TaskRun::PauseAll() {
    for (auto& l : lanes_) {
        if (l.conn != nullptr) l.conn->Pause();
    }
}

void TaskRun::ResumeAll() {
    for (size_t i = 0; i < lanes_.size(); ++i) {
        if (lanes_[i].conn != nullptr && !lanes_[i].paused) lanes_[i].conn->Resume();
    }
}

void TaskRun::PauseLane(size_t lane) {
    LaneState& l = lanes_[lane];
    if (l.paused) return;
    l.paused = true;
    if (l.conn != nullptr) l.conn->Pause();
}

void TaskRun::ResumeLane(size_t lane) {
    LaneState& l = lanes_[lane];
    if (!l.paused) return;
    l.paused = false;
    if (l.conn != nullptr) l.conn->Resume();
}

// Cancels every running lane's current query on the thread pool.
void TaskRun::CancelAll() {
    for (auto& l : lanes_) {
        if (l.conn != nullptr && !l.done) backend::CancelAsync(loop_, l.conn);
    }
}

}  // namespace jade::coord::exec
