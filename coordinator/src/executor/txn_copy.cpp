// txn_copy.cpp — COPY into shards inside the client's transaction block (see txn_copy.h).
#include "executor/txn_copy.h"

#include <cstdlib>

#include "copy/copy_binary.h"
#include "executor/result_relay.h"
#include "wire/messages/error_response.h"

namespace jade::coord::exec {

TxnCopy::TxnCopy(uv_loop_t* loop, ConnSource* source, CopyPlan plan, Callbacks cb,
                 std::function<void(uint32_t)> wrote_node)
    : loop_(loop),
      source_(source),
      plan_(std::move(plan)),
      cb_(std::move(cb)),
      wrote_node_(std::move(wrote_node)),
      splitter_(plan_.format, plan_.key_field, plan_.key_type, plan_.shard_count, plan_.key_length) {
    buf_.resize(plan_.shard_tasks.size());
    for (const Task& t : plan_.shard_tasks) nodes_[t.node.id].node = t.node;
}

TxnCopy::~TxnCopy() {
    *alive_ = false;
    for (auto& [id, q] : nodes_) {
        if (q.run && !q.run->done()) q.run->Abort();
    }
}

// Nothing to open: the block's connections are taken per batch. The client may start at once
// (on the next loop turn: the caller is still setting up its side).
void TxnCopy::Start() {
    auto alive = alive_;
    DeferDelete(loop_, [this, alive] {
        if (*alive && !finished_ && cb_.on_ready) cb_.on_ready();
    });
}

void TxnCopy::Feed(std::string_view data) {
    if (error_) return;  // discarded until the end of input, as PostgreSQL does
    Status s = splitter_.Feed(data, [this](uint32_t shard, std::string_view row) { Collect(shard, row); });
    if (!s) Fail(wire::ErrorFieldsOf(s.error()));
    UpdatePause();
}

void TxnCopy::Collect(uint32_t shard, std::string_view row) {
    if (plan_.format.binary && buf_[shard].empty()) buf_[shard] = splitter_.binary_header();
    buf_[shard].append(row.data(), row.size());
    if (buf_[shard].size() >= kBatch) Enqueue(shard);
}

// Turns a shard's collected rows into a batch on its node's queue.
void TxnCopy::Enqueue(size_t shard) {
    if (buf_[shard].empty() || error_) return;
    std::string data = std::move(buf_[shard]);
    buf_[shard].clear();
    if (plan_.format.binary) data.append(copy_binary::kTrailer.data(), copy_binary::kTrailer.size());
    NodeQueue& q = nodes_[plan_.shard_tasks[shard].node.id];
    q.batches.emplace_back(shard, std::move(data));
    if (!q.run) SendNext(q);
}

// Sends the node's next batch: `COPY <shard> FROM STDIN`, the data, CopyDone.
void TxnCopy::SendNext(NodeQueue& q) {
    if (q.batches.empty() || error_) {
        q.batches.clear();
        UpdatePause();
        MaybeDone();
        return;
    }
    auto batch = std::make_shared<std::pair<size_t, std::string>>(std::move(q.batches.front()));
    q.batches.pop_front();
    Lane l;
    l.node_id = q.node.id;
    l.host = q.node.host;
    l.port = q.node.port;
    LaneOp op;
    std::string sql = plan_.shard_tasks[batch->first].sql;
    op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    l.ops.push_back(std::move(op));
    uint32_t node_id = q.node.id;
    TaskRun::Callbacks cb;
    cb.on_result = [this, node_id, batch](size_t lane, int, backend::PgResult res) {
        ExecStatusType st = PQresultStatus(res.get());
        if (st == PGRES_COPY_IN) {
            backend::WorkerConn* c = nodes_[node_id].run->conn(lane);
            const std::string& data = batch->second;
            if (error_ || PQputCopyData(c->pg(), data.data(), static_cast<int>(data.size())) != 1) {
                PQputCopyEnd(c->pg(), "COPY aborted by the coordinator");
            } else {
                PQputCopyEnd(c->pg(), nullptr);
            }
            batch->second.clear();
            batch->second.shrink_to_fit();
            c->ResumeAfterCopyIn();
            return;
        }
        if (st == PGRES_FATAL_ERROR) {
            Fail(ErrorFieldsOf(res.get()));
            return;
        }
        if (st == PGRES_COMMAND_OK) rows_ += std::strtoull(PQcmdTuples(res.get()), nullptr, 10);
    };
    auto alive = alive_;
    cb.on_done = [this, alive, node_id](const Error* err) {
        if (!*alive) return;
        if (err != nullptr) {
            Fail(wire::ErrorFieldsOf(*err));
        } else if (!error_ && wrote_node_) {
            wrote_node_(node_id);
        }
        NodeQueue& nq = nodes_[node_id];
        // The finished run is freed once its callbacks are off the stack.
        TaskRun* done_run = nq.run.release();
        DeferDelete(loop_, [done_run] { delete done_run; });
        SendNext(nq);
    };
    q.run = std::make_unique<TaskRun>(loop_, source_, std::vector<Lane>{std::move(l)}, std::move(cb));
    UpdatePause();
    q.run->Start();
}

// End of input: every shard's remaining rows become a last batch.
void TxnCopy::Finish() {
    if (input_done_) return;
    input_done_ = true;
    if (!error_) {
        Status s = splitter_.Finish([this](uint32_t shard, std::string_view row) { Collect(shard, row); });
        if (!s) Fail(wire::ErrorFieldsOf(s.error()));
        for (size_t i = 0; i < buf_.size(); ++i) Enqueue(i);
    }
    MaybeDone();
}

void TxnCopy::Abort(const wire::ErrorFields& error) {
    Fail(error);
    input_done_ = true;
    MaybeDone();
}

void TxnCopy::Fail(wire::ErrorFields f) {
    if (error_) return;
    error_ = std::move(f);
    for (auto& b : buf_) b.clear();
    for (auto& [id, q] : nodes_) q.batches.clear();
    UpdatePause();
}

// Reading pauses while a node has a full queue; resumes when none has.
void TxnCopy::UpdatePause() {
    bool full = false;
    for (const auto& [id, q] : nodes_) full |= q.batches.size() >= kQueuedBatches;
    if (paused_ && !full) {
        paused_ = false;
        if (cb_.on_resume) cb_.on_resume();
        return;
    }
    paused_ = full;
}

// Reports the end once input is over and no batch is queued or running.
void TxnCopy::MaybeDone() {
    if (finished_ || !input_done_) return;
    for (const auto& [id, q] : nodes_) {
        if (q.run || !q.batches.empty()) return;
    }
    finished_ = true;
    if (cb_.on_done) cb_.on_done(!error_, rows_, error_ ? *error_ : wire::ErrorFields{}, false);
}

void TxnCopy::Abandon() {
    finished_ = true;
    for (auto& [id, q] : nodes_) {
        if (q.run && !q.run->done()) q.run->Abort();
    }
    auto* cbs = new Callbacks(std::move(cb_));
    cb_ = Callbacks{};
    wrote_node_ = nullptr;
    DeferDelete(loop_, [cbs] { delete cbs; });
}

void TxnCopy::Cancel() {
    for (auto& [id, q] : nodes_) {
        if (q.run && !q.run->done()) q.run->CancelAll();
    }
}

}  // namespace jade::coord::exec
