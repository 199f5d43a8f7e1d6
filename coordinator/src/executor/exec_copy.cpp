// exec_copy.cpp — COPY FROM STDIN into a distributed table, and create_distributed_table() on a
// table that already exists on the default node (shards created, rows moved, source dropped).
// Both stream through ShardCopy (shard_copy.h): atomic via 2PC, bounded memory.
#include <cstdlib>

#include "backend/pool.h"
#include "executor/client_session.h"
#include "executor/result_relay.h"
#include "executor/shard_copy.h"
#include "executor/two_phase.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/copy.h"
#include "wire/messages/error_response.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {
namespace {

// An ErrorResponse field list from an Error.
wire::ErrorFields Fields(const Error& e) {
    wire::ErrorFields f{{'S', "ERROR"}, {'V', "ERROR"}, {'C', e.sqlstate}, {'M', e.message}};
    if (!e.detail.empty()) f.emplace_back('D', e.detail);
    return f;
}

// Frees a ShardCopy after the callback that finished it has returned.
void Retire(uv_loop_t* loop, std::unique_ptr<ShardCopy>& copy, std::set<ShardCopy*>& live) {
    ShardCopy* p = copy.release();
    live.erase(p);
    if (p != nullptr) DeferDelete(loop, [p] { delete p; });
}

}  // namespace

// COPY <distributed table> FROM STDIN: client CopyData → ShardCopy.
void ClientSession::RunCopyIn(const StatementExec& exec, const Plan& plan, DoneFn done) {
    (void)exec;
    if (txn_ != TxnState::kIdle) {
        SendError(Unsupported("COPY FROM STDIN inside a transaction block",
                              "COPY into a distributed table commits on its own with two-phase commit."));
        OnStatementError();
        done(false);
        return;
    }
    struct State {
        std::unique_ptr<ShardCopy> copy;
        bool client_in_copy = false;
        bool client_done = false;
        bool copy_done = false;
        bool ok = false;
        bool unresolved = false;
        uint64_t rows = 0;
        wire::ErrorFields error;
    };
    auto st = std::make_shared<State>();
    auto finish = [this, st, done]() {
        if (!st->copy_done || (st->client_in_copy && !st->client_done)) return;
        ClearCopySink();
        Retire(server_.loop(), st->copy, live_copies_);
        if (!st->ok) {
            wire::WriteErrorFields(&out(), 'E', st->error);
            done(false);
            return;
        }
        if (st->unresolved) {
            wire::WriteNotice(
                &out(), "WARNING", iostate::kTransactionResolutionUnknown,
                "COPY committed, but some workers have not confirmed yet; the coordinator will finish it");
        }
        wire::WriteCommandComplete(&out(), "COPY " + std::to_string(st->rows));
        done(true);
    };
    ShardCopy::Callbacks cb;
    cb.on_ready = [this, st, finish]() {
        capture_ = false;  // the client must see CopyInResponse now
        wire::WriteCopyInResponse(&out(), false, 0);
        st->client_in_copy = true;
        Flush();
        copy_sink_ = [this, st, finish](char type, std::string_view payload) {
            if (st->client_done || type == 'H' || type == 'S') return;
            if (type == 'd') {
                st->copy->Feed(payload);
                if (st->copy->paused()) copy_paused_ = true;
                return;
            }
            st->client_done = true;
            copy_paused_ = true;  // nothing more is read until the statement is answered
            if (type == 'c') {
                st->copy->Finish();
            } else if (type == 'f') {
                auto r = wire::DecodeCopyFail(payload);
                st->copy->Abort(Fields(MakeError(iostate::kQueryCanceled,
                                                 "COPY from stdin failed: " + (r ? *r : std::string("no reason")))));
            } else {
                st->copy->Abort(Fields(MakeError(iostate::kProtocolViolation, std::string("unexpected message type ") +
                                                                                  type + " during COPY from stdin")));
            }
            finish();
        };
        Pump();
    };
    cb.on_resume = [this]() {
        copy_paused_ = false;
        Pump();
    };
    cb.on_done = [st, finish](bool ok, uint64_t rows, const wire::ErrorFields& error, bool unresolved) {
        st->copy_done = true;
        st->ok = ok;
        st->rows = rows;
        st->error = error;
        st->unresolved = unresolved;
        finish();
    };
    st->copy = std::make_unique<ShardCopy>(server_.loop(), this, server_.two_phase(), plan.copy, std::move(cb));
    live_copies_.insert(st->copy.get());
    st->copy->Start();
}

// create_distributed_table() on an existing table: describe, create shards, move rows, drop source.
void ClientSession::RunDistribute(const StatementExec& exec, const Plan& plan, DoneFn done) {
    DistributeRequest req = plan.distribute;
    auto rows = std::make_shared<std::vector<Row>>();
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    Lane lane = LaneFor(req.source);
    std::string describe = req.describe_sql;
    LaneOp op;
    op.send = [describe](PGconn* pg) { return PQsendQuery(pg, describe.c_str()) == 1; };
    lane.ops.push_back(std::move(op));
    auto fail = [this, done](const wire::ErrorFields& f) {
        wire::WriteErrorFields(&out(), 'E', f);
        done(false);
    };
    TaskRun::Callbacks cb;
    cb.on_result = [rows, error](size_t, int, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorFieldsOf(res.get());
            return;
        }
        if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return;
        for (int r = 0; r < PQntuples(res.get()); ++r) {
            Row row(PQnfields(res.get()));
            for (int c = 0; c < PQnfields(res.get()); ++c) {
                if (!PQgetisnull(res.get(), r, c)) row[c] = std::string(PQgetvalue(res.get(), r, c));
            }
            rows->push_back(std::move(row));
        }
    };
    Plan plan_copy = plan;
    StatementExec exec_copy = exec;
    cb.on_done = [this, rows, error, req, fail, plan_copy, exec_copy, done](const Error* err) {
        if (*error || err != nullptr) {
            fail(*error ? **error : Fields(*err));
            return;
        }
        auto steps_or = PlanDistribution(server_.store().catalog(), req, *rows);
        if (!steps_or) {
            fail(Fields(steps_or.error()));
            return;
        }
        auto steps = std::make_shared<DistributionSteps>(std::move(steps_or).value());
        // 1. Create the shard tables in one transaction per node, committed together.
        implicit_txn_ = true;
        auto lanes = LanesByNode(steps->create_shards, {}, 0, false);
        auto create_error = std::make_shared<std::optional<wire::ErrorFields>>();
        TaskRun::Callbacks cb2;
        cb2.on_result = [create_error](size_t, int, backend::PgResult res) {
            if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*create_error)
                *create_error = ErrorFieldsOf(res.get());
        };
        cb2.on_done = [this, steps, create_error, fail, plan_copy, exec_copy, done](const Error* err) {
            if (*create_error || err != nullptr) {
                wire::ErrorFields f = *create_error ? **create_error : Fields(*err);
                RollbackConns([this, f, fail] {
                    implicit_txn_ = false;
                    fail(f);
                });
                return;
            }
            for (const auto& t : steps->create_shards) written_nodes_.insert(t.node.id);
            CommitConns(true, [this, steps, fail, plan_copy, exec_copy, done](const Error* cerr) {
                implicit_txn_ = false;
                if (cerr != nullptr) {
                    fail(Fields(*cerr));
                    return;
                }
                // 2. Move the rows: source COPY TO STDOUT → ShardCopy.
                struct Move {
                    std::unique_ptr<ShardCopy> copy;
                    std::optional<wire::ErrorFields> source_error;
                };
                auto mv = std::make_shared<Move>();
                ShardCopy::Callbacks scb;
                scb.on_ready = [this, mv, steps]() {
                    Lane src = LaneFor(steps->copy_out.node);
                    LaneOp out_op;
                    std::string sql = steps->copy_out.sql;
                    out_op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
                    src.ops.push_back(std::move(out_op));
                    TaskRun::Callbacks scb2;
                    scb2.on_copy_data = [this, mv](size_t, int, const char* data, int len) {
                        mv->copy->Feed(std::string_view(data, static_cast<size_t>(len)));
                        if (mv->copy->paused() && run_) run_->PauseAll();
                    };
                    scb2.on_result = [mv](size_t, int, backend::PgResult res) {
                        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !mv->source_error) {
                            mv->source_error = ErrorFieldsOf(res.get());
                        }
                    };
                    scb2.on_done = [mv](const Error* err) {
                        if (mv->source_error || err != nullptr) {
                            mv->copy->Abort(mv->source_error ? *mv->source_error : Fields(*err));
                        } else {
                            mv->copy->Finish();
                        }
                    };
                    StartRun({std::move(src)}, std::move(scb2));
                };
                scb.on_resume = [this]() {
                    if (run_) run_->ResumeAll();
                };
                scb.on_done = [this, mv, steps, fail, plan_copy, exec_copy, done](bool ok, uint64_t,
                                                                                  const wire::ErrorFields& e, bool) {
                    Retire(server_.loop(), mv->copy, live_copies_);
                    if (!ok) {
                        fail(e);
                        return;
                    }
                    // 3. Record the distributed table, 4. drop the source table.
                    Status s = server_.store().Append(Command{steps->command});
                    if (!s) {
                        fail(Fields(s.error()));
                        return;
                    }
                    std::fprintf(stderr, "jade-coordinator: metadata: %s\n",
                                 DescribeCommand(Command{steps->command}).c_str());
                    Lane drop = LaneFor(steps->drop_source.node);
                    std::string sql = steps->drop_source.sql;
                    LaneOp dop;
                    dop.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
                    drop.ops.push_back(std::move(dop));
                    auto drop_error = std::make_shared<std::optional<wire::ErrorFields>>();
                    TaskRun::Callbacks dcb;
                    dcb.on_result = [drop_error](size_t, int, backend::PgResult res) {
                        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*drop_error)
                            *drop_error = ErrorFieldsOf(res.get());
                    };
                    dcb.on_done = [this, drop_error, plan_copy, exec_copy, done](const Error*) {
                        if (*drop_error) {
                            wire::WriteNotice(&out(), "WARNING", "01000",
                                              "the table was distributed, but its original copy on the default node "
                                              "could not be dropped");
                        }
                        WriteLocalRows(plan_copy.local.columns, plan_copy.local.rows, exec_copy, plan_copy.command_tag);
                        done(true);
                    };
                    StartRun({std::move(drop)}, std::move(dcb));
                };
                mv->copy = std::make_unique<ShardCopy>(server_.loop(), this, server_.two_phase(), steps->copy_in,
                                                       std::move(scb));
                live_copies_.insert(mv->copy.get());
                mv->copy->Start();
            });
        };
        StartRun(std::move(lanes), std::move(cb2));
    };
    StartRun({std::move(lane)}, std::move(cb));
}

}  // namespace jade::coord::exec
