// shard_copy.cpp — atomic COPY into shards with bounded memory (see shard_copy.h).
#include "executor/shard_copy.h"

#include <cstdlib>

#include "copy/copy_binary.h"
#include "executor/result_relay.h"
#include "transaction/two_phase_commit.h"
#include "transaction/two_phase_log.h"
#include "wire/messages/error_response.h"

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

}  // namespace

ShardCopy::ShardCopy(uv_loop_t* loop, ConnSource* source, txn::TwoPhaseLog& log, CopyPlan plan, Callbacks cb)
    : loop_(loop),
      source_(source),
      log_(log),
      plan_(std::move(plan)),
      cb_(std::move(cb)),
      splitter_(plan_.format, plan_.key_field, plan_.key_type, plan_.shard_count, plan_.key_length) {
    size_t n = plan_.shard_tasks.size();
    buf_.resize(n);
    in_copy_.assign(n, false);
    started_.assign(n, false);
    prepared_.assign(n, false);
}

ShardCopy::~ShardCopy() {
    *alive_ = false;
    if (run_ && !run_->done()) run_->Abort();
    if (source_run_ && !source_run_->done()) source_run_->Abort();
    if (commit_) commit_->Abandon();
}

// Aborts the runs (a prepared participant is left to recovery) and hands the callbacks to a
// deferred deleter.
void ShardCopy::Abandon() {
    finished_ = true;
    if (run_ && !run_->done()) run_->Abort();
    if (source_run_ && !source_run_->done()) source_run_->Abort();
    if (commit_) commit_->Abandon();
    auto* cbs = new Callbacks(std::move(cb_));
    cb_ = Callbacks{};
    DeferDelete(loop_, [cbs] { delete cbs; });
}

// Opens one connection per shard: BEGIN; [setup;] COPY ... FROM STDIN; (data) [finish;] PREPARE.
// Setup/finish statements carry tag -1: their errors fail the COPY, their results are not counted.
void ShardCopy::Start() {
    commit_ = std::make_unique<txn::TwoPhaseCommit>(loop_, source_, log_);
    size_t n = plan_.shard_tasks.size();
    std::vector<Lane> lanes;
    for (size_t i = 0; i < n; ++i) {
        const Task& t = plan_.shard_tasks[i];
        Lane l;
        l.node_id = t.node.id;
        l.host = t.node.host;
        l.port = t.node.port;
        l.ops.push_back(Sql("BEGIN", -1));
        if (i < plan_.shard_setup.size()) {
            for (const auto& sql : plan_.shard_setup[i]) l.ops.push_back(Sql(sql, -1));
        }
        l.ops.push_back(Sql(t.sql, static_cast<int>(i)));
        if (i < plan_.shard_finish.size()) {
            for (const auto& sql : plan_.shard_finish[i]) l.ops.push_back(Sql(sql, -1));
        }
        l.ops.push_back(Sql("PREPARE TRANSACTION '" + commit_->Gid(t.shard_id) + "'", static_cast<int>(n + i)));
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
            if (++ready_ == n) {
                if (source_table_) {
                    StartSource();
                } else if (cb_.on_ready) {
                    cb_.on_ready();
                }
            }
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
        if (err != nullptr) Fail(wire::ErrorFieldsOf(*err));
        run_done_ = true;
        OnRunDone();
    };
    run_ = std::make_unique<TaskRun>(loop_, source_, std::move(lanes), std::move(cb));
    run_->Start();
}

// The source table's transaction: lock, COPY TO STDOUT into Feed(), empty + guard, PREPARE.
void ShardCopy::StartSource() {
    constexpr int kSetup = -1, kCopyOut = -2, kPrepare = -3;
    const SourceMove& src = *source_table_;
    Lane l;
    l.node_id = src.node.id;
    l.host = src.node.host;
    l.port = src.node.port;
    l.ops.push_back(Sql("BEGIN", kSetup));
    for (const auto& sql : src.before) l.ops.push_back(Sql(sql, kSetup));
    l.ops.push_back(Sql(src.copy_out, kCopyOut));
    for (const auto& sql : src.after) l.ops.push_back(Sql(sql, kSetup));
    l.ops.push_back(Sql("PREPARE TRANSACTION '" + commit_->Gid(src.node.id) + "'", kPrepare));
    TaskRun::Callbacks cb;
    cb.on_copy_data = [this](size_t, int, const char* data, int len) {
        Feed(std::string_view(data, static_cast<size_t>(len)));
        if (paused() && source_run_) source_run_->PauseAll();
    };
    cb.on_result = [this](size_t, int tag, backend::PgResult res) {
        ExecStatusType s = PQresultStatus(res.get());
        if (s == PGRES_FATAL_ERROR) {
            Fail(ErrorFieldsOf(res.get()));
            EndCopies("the source table could not be read");
            input_done_ = true;
            return;
        }
        if (s != PGRES_COMMAND_OK) return;
        if (tag == kCopyOut) {
            source_copying_ = false;
            Finish();
        } else if (tag == kPrepare && std::string(PQcmdStatus(res.get())) == "PREPARE TRANSACTION") {
            source_prepared_ = true;
        }
    };
    cb.on_done = [this](const Error* err) {
        if (err != nullptr) {
            Fail(wire::ErrorFieldsOf(*err));
            EndCopies("the source table could not be read");
        }
        input_done_ = true;
        source_done_ = true;
        OnRunDone();
    };
    source_copying_ = true;
    source_run_ = std::make_unique<TaskRun>(loop_, source_, std::vector<Lane>{std::move(l)}, std::move(cb));
    source_run_->Start();
}

// The shards took the queued data: the feeder may go on.
void ShardCopy::Resume() {
    if (source_run_ && !source_run_->done()) source_run_->ResumeAll();
    if (cb_.on_resume) cb_.on_resume();
}

// Splits input into rows and batches them per shard.
void ShardCopy::Feed(std::string_view data) {
    if (error_ || ended_) return;  // discarded until the end of input, as PostgreSQL does
    Status s = splitter_.Feed(data, [this](uint32_t shard, std::string_view row) {
        if (plan_.format.binary && !started_[shard]) {
            buf_[shard] = splitter_.binary_header();  // a binary stream starts with the client's header
            started_[shard] = true;
        }
        buf_[shard].append(row.data(), row.size());
        if (buf_[shard].size() >= kBatch) SendBatch(shard);
    });
    if (!s) {
        Fail(wire::ErrorFieldsOf(s.error()));
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
            if (pending_flush_ > 0 && --pending_flush_ == 0) Resume();
        };
    }
}

// End of input.
void ShardCopy::Finish() {
    if (input_done_) return;
    input_done_ = true;
    if (!error_ && !ended_) {
        Status s = splitter_.Finish([this](uint32_t shard, std::string_view row) {
            if (plan_.format.binary && !started_[shard]) {
                buf_[shard] = splitter_.binary_header();
                started_[shard] = true;
            }
            buf_[shard].append(row.data(), row.size());
        });
        if (!s) {
            Fail(wire::ErrorFieldsOf(s.error()));
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
        if (abort_reason == nullptr && plan_.format.binary) {
            // Every shard's binary stream is complete: header (even without rows) and trailer.
            if (!started_[i]) buf_[i] = splitter_.binary_header();
            started_[i] = true;
            buf_[i].append(copy_binary::kTrailer.data(), copy_binary::kTrailer.size());
        }
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
    // The source's remaining rows are of no use now (cancelled only while it still copies out).
    if (source_copying_ && source_run_ && !source_run_->done()) source_run_->CancelAll();
    source_copying_ = false;
}

// Commits once the input, every shard lane and the source (when it started) are done.
void ShardCopy::OnRunDone() {
    if (finished_ || !run_done_) return;
    if (!input_done_ && ready_ == plan_.shard_tasks.size() && !error_) return;  // still feeding
    if (source_run_ && !source_done_) return;
    finished_ = true;
    Commit();
}

// The two-phase decision over the participants that prepared themselves (each lane ended in
// PREPARE): commit when all did and nothing failed, else roll back the prepared ones.
void ShardCopy::Commit() {
    std::vector<txn::TwoPhaseCommit::Participant> participants;
    std::vector<bool> prepared;
    if (source_table_) {
        participants.push_back({source_table_->node, commit_->Gid(source_table_->node.id)});
        prepared.push_back(source_prepared_);
    }
    for (size_t i = 0; i < prepared_.size(); ++i) {
        const Task& t = plan_.shard_tasks[i];
        participants.push_back({t.node, commit_->Gid(t.shard_id)});
        prepared.push_back(prepared_[i]);
    }
    std::optional<Error> failure;
    if (error_) failure = MakeError(sqlstate::kInternalError, "the COPY failed");
    if (cb_.before_commit) commit_->SetBeforeCommit(cb_.before_commit);
    auto alive = alive_;
    commit_->Decide(std::move(participants), std::move(prepared), std::move(failure),
                    [this, alive](const txn::TwoPhaseCommit::Outcome& outcome) {
                        if (!*alive) return;
                        if (!outcome.committed && !error_ && outcome.error) Fail(wire::ErrorFieldsOf(*outcome.error));
                        if (cb_.on_done) {
                            cb_.on_done(outcome.committed, rows_, error_ ? *error_ : wire::ErrorFields{},
                                        outcome.unresolved);
                        }
                    });
}

}  // namespace jade::coord::exec
