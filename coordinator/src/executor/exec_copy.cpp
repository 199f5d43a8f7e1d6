// exec_copy.cpp — kCopyIn: COPY FROM STDIN into a distributed table, and kDistributeTable:
// create_distributed_table() on a table that already exists on the default node (shards
// created, rows moved, the source kept as an empty, write-guarded catalog shell). Both stream
// through ShardCopy (shard_copy.h: atomic via 2PC, bounded memory); a COPY inside a transaction
// block goes into the block's worker transactions through TxnCopy. See statement_executor.h.
#include <cstdlib>

#include "executor/result_relay.h"
#include "executor/shard_copy.h"
#include "executor/statement_executor.h"
#include "executor/txn_copy.h"
#include "planner/planner_internal.h"
#include "transaction/transaction_coordinator.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/copy.h"
#include "wire/messages/error_response.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {
namespace {

// Frees a COPY after the callback that finished it has returned.
template <typename T>
void Retire(uv_loop_t* loop, std::unique_ptr<T>& copy, std::set<CopyTarget*>& live) {
    T* p = copy.release();
    live.erase(p);
    if (p != nullptr) DeferDelete(loop, [p] { delete p; });
}

}  // namespace

// COPY <distributed table> FROM STDIN: client CopyData → ShardCopy (on its own, 2PC) or, inside a
// transaction block, TxnCopy (in the block's worker transactions).
void StatementExecutor::RunCopyIn(const StatementExec& exec, const Plan& plan, DoneFn done) {
    (void)exec;
    bool in_block = txn_.in_block();
    struct State {
        std::unique_ptr<CopyTarget> copy;
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
        client_.EndCopyIn();
        Retire(server_.loop(), st->copy, live_copies_);
        if (!st->ok) {
            wire::WriteErrorFields(&out(), 'E', st->error);
            StatementFailed(done);
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
    CopyTarget::Callbacks cb;
    bool binary = plan.copy.format.binary;
    cb.on_ready = [this, st, finish, binary]() {
        client_.StopCapture();  // the client must see CopyInResponse now
        wire::WriteCopyInResponse(&out(), binary, 0);
        st->client_in_copy = true;
        client_.Flush();
        client_.StartCopyIn([this, st, finish](char type, std::string_view payload) mutable {
            if (st->client_done || type == 'H' || type == 'S') return;
            if (type == 'd') {
                st->copy->Feed(payload);
                if (st->copy->paused()) client_.PauseCopyIn();
                return;
            }
            st->client_done = true;
            client_.PauseCopyIn();  // nothing more is read until the statement is answered
            if (type == 'c') {
                st->copy->Finish();
            } else if (type == 'f') {
                auto r = wire::DecodeCopyFail(payload);
                st->copy->Abort(wire::ErrorFieldsOf(MakeError(
                    iostate::kQueryCanceled, "COPY from stdin failed: " + (r ? *r : std::string("no reason")))));
            } else {
                st->copy->Abort(
                    wire::ErrorFieldsOf(MakeError(iostate::kProtocolViolation, std::string("unexpected message type ") +
                                                                                   type + " during COPY from stdin")));
            }
            finish();
        });
        client_.ResumeCopyIn();
    };
    cb.on_resume = [this]() { client_.ResumeCopyIn(); };
    cb.on_done = [st, finish](bool ok, uint64_t rows, const wire::ErrorFields& error, bool unresolved) {
        st->copy_done = true;
        st->ok = ok;
        st->rows = rows;
        st->error = error;
        st->unresolved = unresolved;
        finish();
    };
    if (in_block) {
        st->copy = std::make_unique<TxnCopy>(server_.loop(), &txn_, plan.copy, std::move(cb),
                                             [this](uint32_t node) { txn_.MarkWritten(node); });
    } else {
        st->copy = std::make_unique<ShardCopy>(server_.loop(), &txn_, server_.two_phase(), plan.copy, std::move(cb));
    }
    live_copies_.insert(st->copy.get());
    st->copy->Start();
}

// create_distributed_table() on an existing table: describe it on the default node, then one
// atomic move (ShardCopy with the source as a participant): every shard's transaction creates
// its table, takes its rows and builds its constraints and indexes; the source's transaction
// copies the rows out and leaves the table empty and write-guarded as the catalog shell. The
// metadata command is appended once all have prepared, before the commit decision.
void StatementExecutor::RunDistribute(const StatementExec& exec, const Plan& plan, DoneFn done) {
    constexpr int kColumns = 0, kConstraints = 1, kIndexes = 2;
    DistributeRequest req = plan.distribute;
    auto described = std::make_shared<TableDescription>();
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    Lane lane = LaneFor(req.source);
    for (auto [tag, sql] : {std::pair<int, std::string>{kColumns, req.describe_sql},
                            std::pair<int, std::string>{kConstraints, req.constraints_sql},
                            std::pair<int, std::string>{kIndexes, req.indexes_sql}}) {
        LaneOp op;
        op.tag = tag;
        op.send = [sql = sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
        lane.ops.push_back(std::move(op));
    }
    auto fail = [this, done](const wire::ErrorFields& f) {
        wire::WriteErrorFields(&out(), 'E', f);
        StatementFailed(done);
    };
    TaskRun::Callbacks cb;
    cb.on_result = [described, error](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorFieldsOf(res.get());
            return;
        }
        if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return;
        std::vector<Row>* rows = tag == kColumns       ? &described->columns
                                 : tag == kConstraints ? &described->constraints
                                                       : &described->indexes;
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
    cb.on_done = [this, described, error, req, fail, plan_copy, exec_copy, done](const Error* err) {
        if (*error || err != nullptr) {
            fail(*error ? **error : wire::ErrorFieldsOf(*err));
            return;
        }
        auto steps_or = PlanDistribution(txn_.catalog(), req, *described);
        if (!steps_or) {
            fail(wire::ErrorFieldsOf(steps_or.error()));
            return;
        }
        auto steps = std::make_shared<DistributionSteps>(std::move(steps_or).value());
        auto holder = std::make_shared<std::unique_ptr<ShardCopy>>();
        CopyTarget::Callbacks scb;
        scb.before_commit = [this, steps](std::function<void(Status)> answer) {
            // The catalog may have changed while the rows moved (another session distributed
            // the same table or took these shard ids): the state machine refuses the command then.
            server_.ProposeMetadata({Command{steps->command}}, std::move(answer));
        };
        scb.on_done = [this, holder, fail, plan_copy, exec_copy, done](bool ok, uint64_t, const wire::ErrorFields& e,
                                                                       bool unresolved) {
            Retire(server_.loop(), *holder, live_copies_);
            if (!ok) {
                fail(e);
                return;
            }
            if (unresolved) {
                wire::WriteNotice(&out(), "WARNING", iostate::kTransactionResolutionUnknown,
                                  "the table was distributed, but some workers have not confirmed yet; the "
                                  "coordinator will finish it");
            }
            WriteLocalRows(plan_copy.local.columns, plan_copy.local.rows, exec_copy, plan_copy.command_tag);
            done(true);
        };
        *holder =
            std::make_unique<ShardCopy>(server_.loop(), &txn_, server_.two_phase(), steps->copy_in, std::move(scb));
        (*holder)->SetSource(steps->source);
        live_copies_.insert(holder->get());
        EnsureSchema(steps->copy_in, [this, holder, fail, alive = alive_](const wire::ErrorFields* schema_error) {
            if (!*alive || !*holder) return;
            if (schema_error != nullptr) {
                fail(*schema_error);
                Retire(server_.loop(), *holder, live_copies_);
                return;
            }
            (*holder)->Start();
        });
    };
    StartRun({std::move(lane)}, std::move(cb));
}

// The shard tables' schema on every node that gets a shard (CREATE SCHEMA IF NOT EXISTS, each
// node on its own, committed at once): a schema created before the node joined, or only on the
// default node, is there before the shards are. Nothing to do for public.
void StatementExecutor::EnsureSchema(const CopyPlan& copy, std::function<void(const wire::ErrorFields*)> then) {
    if (copy.schema.empty() || copy.schema == "public") {
        then(nullptr);
        return;
    }
    std::string sql = "CREATE SCHEMA IF NOT EXISTS " + planner::QuoteIdent(copy.schema);
    std::map<uint32_t, Lane> lanes_by_node;
    for (const Task& t : copy.shard_tasks) {
        Lane& l = lanes_by_node[t.node.id];
        if (!l.ops.empty()) continue;
        l = LaneFor(t.node);
        LaneOp op;
        op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
        l.ops.push_back(std::move(op));
    }
    std::vector<Lane> lanes;
    for (auto& [id, l] : lanes_by_node) lanes.push_back(std::move(l));
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    TaskRun::Callbacks cb;
    cb.on_result = [error](size_t, int, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !*error) *error = ErrorFieldsOf(res.get());
    };
    cb.on_done = [error, then](const Error* err) {
        if (err != nullptr && !*error) *error = wire::ErrorFieldsOf(*err);
        then(*error ? &**error : nullptr);
    };
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
