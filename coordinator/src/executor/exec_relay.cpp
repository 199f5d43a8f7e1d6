// exec_relay.cpp — plans whose rows the client sees unchanged: kPassthrough (default node) and
// kSingleShard, COPY TO/FROM of plain tables, and strings of several plain-table statements.
// Rows stream through a ResultRelay in single-row mode, pausing the worker while the client's
// output queue is full. See statement_executor.h.
#include "executor/result_relay.h"
#include "executor/statement_executor.h"
#include "executor/vector_types.h"
#include "transaction/transaction_coordinator.h"
#include "wire/messages/copy.h"
#include "wire/messages/error_response.h"

namespace jade::coord::exec {

// Streams one task's results to the client unchanged (also COPY TO/FROM of plain tables).
void StatementExecutor::RunRelay(const StatementExec& exec, const Plan& plan, DoneFn done) {
    if (plan.tasks.empty()) {
        SendError(MakeError(sqlstate::kInternalError, "plan has no task"));
        done(false);
        return;
    }
    const Task& task = plan.tasks[0];
    auto relay = std::make_shared<ResultRelay>(&out(), exec.result_formats, exec.describe, exec.extended);
    relay->SetShardRelation(plan.kind != PlanKind::kPassthrough);
    FormatChoice fmt = ChooseFormats(exec.result_formats);
    std::vector<Lane> lanes{LaneFor(task.node)};
    lanes[0].ops.push_back(TaskOp(task, exec.params, fmt.worker_format, /*single_row=*/true, 0));
    lanes[0].ops[0].forgets_statements = exec.stmt.kind() == PG_QUERY__NODE__NODE_DEALLOCATE_STMT ||
                                         exec.stmt.kind() == PG_QUERY__NODE__NODE_DISCARD_STMT;
    // Mixed formats: the worker sends text and binary columns are encoded here (vector types
    // need their OIDs).
    if (fmt.convert) AddVectorTypesLookup(exec.result_formats, &lanes);
    bool writes = !plan.read_only;
    uint32_t node_id = task.node.id;
    TaskRun::Callbacks cb;
    cb.on_result = [this, relay](size_t lane, int tag, backend::PgResult res) {
        if (TakeVectorTypes(tag, res.get())) return;
        ExecStatusType st = PQresultStatus(res.get());
        if (st == PGRES_COPY_OUT) {
            wire::WriteCopyOutResponse(&out(), PQbinaryTuples(res.get()) != 0,
                                       static_cast<int16_t>(PQnfields(res.get())));
            return;
        }
        if (st == PGRES_COPY_IN) {
            client_.StopCapture();  // the client must see CopyInResponse now
            wire::WriteCopyInResponse(&out(), PQbinaryTuples(res.get()) != 0,
                                      static_cast<int16_t>(PQnfields(res.get())));
            client_.Flush();
            backend::WorkerConn* conn = run_->conn(lane);
            // Client CopyData goes straight to the worker; input stops while libpq holds unsent data.
            conn->on_flushed = [this] { client_.ResumeCopyIn(); };
            client_.StartCopyIn([this, conn](char type, std::string_view payload) {
                if (type == 'd') {
                    if (PQputCopyData(conn->pg(), payload.data(), static_cast<int>(payload.size())) < 0 ||
                        !conn->Flush()) {
                        client_.EndCopyIn();
                        return;
                    }
                    if (conn->write_pending()) client_.PauseCopyIn();
                    return;
                }
                if (type == 'H' || type == 'S') return;  // Flush/Sync during COPY are ignored
                const char* why = nullptr;
                std::string reason;
                if (type == 'f') {
                    auto r = wire::DecodeCopyFail(payload);
                    reason = r ? *r : std::string("COPY failed");
                    why = reason.c_str();
                } else if (type != 'c') {
                    reason = std::string("unexpected message type ") + type + " during COPY from stdin";
                    why = reason.c_str();
                }
                client_.EndCopyIn();
                conn->on_flushed = nullptr;
                PQputCopyEnd(conn->pg(), why);
                conn->ResumeAfterCopyIn();
            });
            return;
        }
        if (st == PGRES_COMMAND_OK && copy_out_active_) {
            wire::WriteCopyDone(&out());
            copy_out_active_ = false;
        }
        relay->OnResult(res.get());
        AfterOutput();
    };
    cb.on_copy_data = [this](size_t, int, const char* data, int len) {
        copy_out_active_ = true;
        wire::WriteCopyData(&out(), std::string_view(data, static_cast<size_t>(len)));
        AfterOutput();
    };
    cb.on_notice = [this](const PGresult* n) { WriteNotice(n); };
    cb.on_done = [this, relay, done, writes, node_id](const Error* err) mutable {
        client_.EndCopyIn();
        copy_out_active_ = false;
        if (err != nullptr && !relay->failed()) SendError(*err);
        bool ok = err == nullptr && !relay->failed();
        if (!ok) {
            StatementFailed(done);
            return;
        }
        if (!writes) {
            done(true);
            return;
        }
        txn_.MarkWritten(node_id);
        if (txn_.in_block()) {
            done(true);
            return;
        }
        // Committed on the worker by itself: replication may wait for it (transaction_hooks.h).
        txn_.Autocommitted({node_id}, [this, alive = alive_, done](const txn::CommitOutcome& outcome) mutable {
            if (!*alive) return;
            if (outcome.error) {
                SendError(*outcome.error);
                done(false);
                return;
            }
            done(true);
        });
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Sends a whole multi-statement string of plain-table statements to the default node.
void StatementExecutor::RunWholeString(const std::string& sql, const Plan& plan, bool forgets_statements, DoneFn done) {
    auto relay = std::make_shared<ResultRelay>(&out(), std::vector<int16_t>{}, true, false);
    std::vector<Lane> lanes{LaneFor(plan.tasks[0].node)};
    LaneOp op;
    op.single_row = true;
    op.forgets_statements = forgets_statements;
    op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    lanes[0].ops.push_back(std::move(op));
    TaskRun::Callbacks cb;
    cb.on_result = [this, relay](size_t, int, backend::PgResult res) {
        relay->OnResult(res.get());
        AfterOutput();
    };
    cb.on_notice = [this](const PGresult* n) { WriteNotice(n); };
    uint32_t node_id = plan.tasks[0].node.id;
    cb.on_done = [this, relay, done, node_id](const Error* err) mutable {
        if (err != nullptr && !relay->failed()) SendError(*err);
        bool ok = err == nullptr && !relay->failed();
        if (!ok) {
            StatementFailed(done);
            return;
        }
        txn_.MarkWritten(node_id);
        done(true);
    };
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
