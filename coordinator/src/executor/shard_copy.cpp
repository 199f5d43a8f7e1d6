// shard_copy.cpp — atomic COPY into shards with bounded memory (see shard_copy.h).
#include "executor/shard_copy.h"

#include <cstdlib>

#include "executor/result_relay.h"
#include "executor/two_phase.h"

namespace jade::coord::exec {
namespace {

constexpr size_t kBatch = 64 * 1024;

// A simple-query op (generated SQL only).
LaneOp Sql(std::string sql, int tag) {
    LaneOp op;
    op.tag = tag;
    op.send = [sql = std::move(sql)](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    return op;
}

// An ErrorResponse field list for a coordinator error.
wire::ErrorFields FieldsOf(const Error& e) {
    wire::ErrorFields f{{'S', "ERROR"}, {'V', "ERROR"}, {'C', e.sqlstate}, {'M', e.message}};
    if (!e.detail.empty()) f.emplace_back('D', e.detail);
    if (!e.hint.empty()) f.emplace_back('H', e.hint);
    return f;
}

}  // namespace

ShardCopy::ShardCopy(uv_loop_t* loop, ConnSource* source, TwoPhaseLog& log, CopyPlan plan, Callbacks cb)
    : loop_(loop),
      source_(source),
      log_(log),
      plan_(std::move(plan)),
      cb_(std::move(cb)),
      splitter_(plan_.format, plan_.key_field, plan_.key_type, plan_.shard_count) {
    size_t n = plan_.shard_tasks.size();
    buf_.resize(n);
    in_copy_.assign(n, false);
    prepared_.assign(n, false);
}

ShardCopy::~ShardCopy() {
    *alive_ = false;
    if (run_ && !run_->done()) run_->Abort();
    if (resolve_ && !resolve_->done()) resolve_->Abort();
}

// Aborts the runs and hands the callbacks to a deferred deleter.
void ShardCopy::Abandon() {
    finished_ = true;
    if (run_ && !run_->done()) run_->Abort();
    if (resolve_ && !resolve_->done()) resolve_->Abort();
    auto* cbs = new Callbacks(std::move(cb_));
    cb_ = Callbacks{};
    DeferDelete(loop_, [cbs] { delete cbs; });
}

// Opens one connection per shard: BEGIN; COPY ... FROM STDIN; (data) PREPARE TRANSACTION.
void ShardCopy::Start() {
    txid_ = log_.Begin();
    size_t n = plan_.shard_tasks.size();
    std::vector<Lane> lanes;
    for (size_t i = 0; i < n; ++i) {
        const Task& t = plan_.shard_tasks[i];
        Lane l;
        l.node_id = t.node.id;
        l.host = t.node.host;
        l.port = t.node.port;
        l.ops.push_back(Sql("BEGIN", -1));
        l.ops.push_back(Sql(t.sql, static_cast<int>(i)));
        l.ops.push_back(Sql("PREPARE TRANSACTION '" + log_.Gid(txid_, static_cast<uint32_t>(t.shard_id)) + "'",
                            static_cast<int>(n + i)));
        lanes.push_back(std::move(l));
    }
    TaskRun::Callbacks cb;
    cb.on_result = [this, n](size_t lane, int tag, backend::PgResult res) {
        ExecStatusType s = PQresultStatus(res.get());
        if (s == PGRES_FATAL_ERROR) {
            Fail(ErrorFieldsOf(res.get()));
            EndCopies("COPY aborted on another shard");
            return;
        }
        if (s == PGRES_COPY_IN) {
            backend::WorkerConn* c = run_->conn(lane);
            if (error_ || ended_) {
                PQputCopyEnd(c->pg(), "COPY aborted on another shard");
                c->ResumeAfterCopyIn();
                return;
            }
            in_copy_[lane] = true;
            if (++ready_ == n && cb_.on_ready) cb_.on_ready();
            return;
        }
        if (s != PGRES_COMMAND_OK || tag < 0) return;
        if (static_cast<size_t>(tag) < n) {
            rows_ += std::strtoull(PQcmdTuples(res.get()), nullptr, 10);
        } else if (std::string(PQcmdStatus(res.get())) == "PREPARE TRANSACTION") {
            prepared_[tag - n] = true;
        }
    };
    cb.on_done = [this](const Error* err) {
        if (err != nullptr) Fail(FieldsOf(*err));
        run_done_ = true;
        OnRunDone();
    };
    run_ = std::make_unique<TaskRun>(loop_, source_, std::move(lanes), std::move(cb));
    run_->Start();
}

// Splits input into rows and batches them per shard.
void ShardCopy::Feed(std::string_view data) {
    if (error_ || ended_) return;  // discarded until the end of input, as PostgreSQL does
    Status s = splitter_.Feed(data, [this](uint32_t shard, std::string_view row) {
        buf_[shard].append(row.data(), row.size());
        if (buf_[shard].size() >= kBatch) SendBatch(shard);
    });
    if (!s) {
        Fail(FieldsOf(s.error()));
        EndCopies("COPY aborted by the coordinator");
    }
}

// Writes one shard's batch; counts connections that still hold unsent bytes.
void ShardCopy::SendBatch(size_t shard) {
    backend::WorkerConn* c = run_ ? run_->conn(shard) : nullptr;
    if (c == nullptr || buf_[shard].empty() || !in_copy_[shard]) return;
    PQputCopyData(c->pg(), buf_[shard].data(), static_cast<int>(buf_[shard].size()));
    buf_[shard].clear();
    if (!c->Flush()) return;
    if (c->write_pending() && !c->on_flushed) {
        ++pending_flush_;
        auto alive = alive_;
        c->on_flushed = [this, alive, c] {
            c->on_flushed = nullptr;
            if (!*alive) return;
            if (pending_flush_ > 0 && --pending_flush_ == 0 && cb_.on_resume) cb_.on_resume();
        };
    }
}

// End of input.
void ShardCopy::Finish() {
    if (input_done_) return;
    input_done_ = true;
    if (!error_ && !ended_) {
        Status s = splitter_.Finish(
            [this](uint32_t shard, std::string_view row) { buf_[shard].append(row.data(), row.size()); });
        if (!s) {
            Fail(FieldsOf(s.error()));
            EndCopies("COPY aborted by the coordinator");
        } else {
            EndCopies(nullptr);
        }
    }
    OnRunDone();
}

void ShardCopy::Abort(const wire::ErrorFields& error) {
    Fail(error);
    std::string reason;
    for (const auto& [code, v] : error) {
        if (code == 'M') reason = v;
    }
    EndCopies(reason.empty() ? "COPY aborted" : reason.c_str());
    input_done_ = true;
    OnRunDone();
}

// Ends every shard's COPY (normally, or with an error message) so the lanes can continue.
void ShardCopy::EndCopies(const char* abort_reason) {
    if (ended_) return;
    ended_ = true;
    for (size_t i = 0; i < in_copy_.size(); ++i) {
        if (!in_copy_[i] || !run_) continue;
        backend::WorkerConn* c = run_->conn(i);
        in_copy_[i] = false;
        if (c == nullptr) continue;
        if (abort_reason == nullptr && !buf_[i].empty()) {
            PQputCopyData(c->pg(), buf_[i].data(), static_cast<int>(buf_[i].size()));
        }
        buf_[i].clear();
        c->on_flushed = nullptr;
        PQputCopyEnd(c->pg(), abort_reason);
        c->ResumeAfterCopyIn();
    }
    pending_flush_ = 0;
}

void ShardCopy::Fail(wire::ErrorFields f) {
    if (!error_) error_ = std::move(f);
}

// Commits once both the input and every shard lane are done.
void ShardCopy::OnRunDone() {
    if (finished_ || !run_done_) return;
    if (!input_done_ && ready_ == plan_.shard_tasks.size() && !error_) return;  // still feeding
    finished_ = true;
    Commit();
}

// Phase 2: log the decision, then COMMIT PREPARED (or ROLLBACK PREPARED) on each shard's node.
void ShardCopy::Commit() {
    bool all = !error_;
    for (size_t i = 0; i < prepared_.size() && all; ++i) all = prepared_[i];
    if (all) {
        Status s = log_.LogCommit(txid_);
        if (!s) {
            Fail(FieldsOf(s.error()));
            all = false;
        }
    }
    std::vector<Lane> lanes;
    for (size_t i = 0; i < prepared_.size(); ++i) {
        if (!prepared_[i]) continue;
        const Task& t = plan_.shard_tasks[i];
        Lane l;
        l.node_id = t.node.id;
        l.host = t.node.host;
        l.port = t.node.port;
        l.ops.push_back(Sql(std::string(all ? "COMMIT PREPARED '" : "ROLLBACK PREPARED '") +
                                log_.Gid(txid_, static_cast<uint32_t>(t.shard_id)) + "'",
                            0));
        lanes.push_back(std::move(l));
    }
    auto failed = std::make_shared<bool>(false);
    TaskRun::Callbacks cb;
    cb.on_result = [failed](size_t, int, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) *failed = true;
    };
    cb.on_done = [this, all, failed](const Error* err) {
        bool unresolved = *failed || err != nullptr;
        log_.Finish(txid_, all && !unresolved);
        if (cb_.on_done) cb_.on_done(all, rows_, error_ ? *error_ : wire::ErrorFields{}, all && unresolved);
    };
    resolve_ = std::make_unique<TaskRun>(loop_, source_, std::move(lanes), std::move(cb));
    resolve_->Start();
}

}  // namespace jade::coord::exec
