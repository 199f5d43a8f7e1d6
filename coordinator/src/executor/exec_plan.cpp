// exec_plan.cpp — runs a Plan by kind for one client statement (see client_session.h, plan.h).
//
// Rows the client sees unchanged (passthrough, single shard) are streamed through a ResultRelay
// in single-row mode, pausing the worker while the client's output queue is full. Fan-out rows
// go through cb's ResultMerger (text cells) and are re-encoded only for binary columns.
// Multi-shard writes run in a transaction on one connection per node and commit with 2PC
// (exec_txn.cpp) so they are all-or-nothing.
#include <algorithm>
#include <cstdlib>

#include "backend/pool.h"
#include "executor/binary_format.h"
#include "executor/client_session.h"
#include "executor/result_relay.h"
#include "merge/result_merger.h"
#include "planner/explain.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/copy.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {
namespace {

// Adds the row count to tags that carry one (plan.h "Command tags").
std::string TagWithCount(const std::string& tag, uint64_t n) {
    if (tag == "SELECT" || tag == "INSERT 0" || tag == "UPDATE" || tag == "DELETE" || tag == "COPY" || tag == "MERGE" ||
        tag == "FETCH" || tag == "MOVE") {
        return tag + " " + std::to_string(n);
    }
    return tag;
}

// Storage size PostgreSQL reports for fixed-width types (RowDescription typlen).
int16_t TypeLen(uint32_t type) {
    switch (type) {
        case oid::kBool:
            return 1;
        case oid::kInt2:
            return 2;
        case oid::kInt4:
        case oid::kOid:
        case oid::kFloat4:
        case oid::kDate:
            return 4;
        case oid::kInt8:
        case oid::kFloat8:
        case oid::kTimestamp:
        case oid::kTimestamptz:
            return 8;
        case oid::kName:
            return 64;
        case oid::kUuid:
            return 16;
        default:
            return -1;
    }
}

// Converts the parameters a task uses into libpq arrays (text or binary as the client sent them).
struct ParamArrays {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

}  // namespace

// Plans the statement (or reuses the prepared statement's plan), applies the failed-transaction
// rule, and runs the plan.
void ClientSession::Execute(StatementExec exec, DoneFn done) {
    const Catalog& catalog = server_.store().catalog();
    SessionInfo info = Info();
    Expected<Plan> plan = MakeError(sqlstate::kInternalError, "not planned");
    std::shared_ptr<PlanCacheEntry> cache = exec.plan_cache;
    bool hit = cache != nullptr && cache->plan && cache->catalog_index == catalog.applied_index() &&
               cache->in_transaction == info.in_transaction && cache->param_count == exec.params.size();
    if (!hit) {
        plan = PlanStatement(catalog, exec.stmt, exec.params, info);
        if (cache != nullptr && plan && PlanIsReusable(*plan)) {
            cache->catalog_index = catalog.applied_index();
            cache->in_transaction = info.in_transaction;
            cache->param_count = exec.params.size();
            cache->plan = *plan;
            cache->combined.reset();
            cache->recent_ms = 0;
            cache->ran_combined = false;
            // A plan run again and again is worth one statement per node instead of per shard.
            auto combined = CombineFanOutByNode(*plan);
            if (combined && combined->merge_input_count > 0) cache->combined = std::move(combined).value();
            hit = true;
        }
    }
    if (hit) {
        // Combined or per shard, with hysteresis on the smoothed run time (PlanCacheEntry).
        bool combine = cache->combined &&
                       cache->recent_ms < (cache->ran_combined ? kSplitAboveMs : kCombineBelowMs);
        cache->ran_combined = combine;
        plan = combine ? *cache->combined : *cache->plan;
        if (cache->combined) {
            uint64_t start = uv_hrtime();
            done = [cache, start, done = std::move(done)](bool ok) {
                double ms = static_cast<double>(uv_hrtime() - start) / 1e6;
                cache->recent_ms = cache->recent_ms == 0 ? ms : 0.7 * cache->recent_ms + 0.3 * ms;
                done(ok);
            };
        }
    }
    if (!plan) {
        SendError(plan.error());
        OnStatementError();
        done(false);
        return;
    }
    if (txn_ == TxnState::kFailed) {
        bool ends_txn = plan->kind == PlanKind::kTransaction &&
                        (plan->txn.kind == TxnKind::kCommit || plan->txn.kind == TxnKind::kRollback ||
                         plan->txn.kind == TxnKind::kRollbackTo);
        if (!ends_txn) {
            SendError(MakeError(iostate::kInFailedSqlTransaction,
                                "current transaction is aborted, commands ignored until end of transaction block"));
            done(false);
            return;
        }
    }
    RunPlan(std::move(exec), std::move(plan).value(), std::move(done));
}

// Dispatches on the plan kind.
void ClientSession::RunPlan(StatementExec exec, Plan plan, DoneFn done) {
    running_task_params_.clear();
    for (const Task& t : plan.tasks) running_task_params_.push_back(t.params);
    prepare_tasks_ = PrepareOnWorkers(exec, plan);
    if (ChangesSchema(exec, plan)) {
        // Statements prepared on workers before this DDL are dropped before their next use
        // (statement_cache.h); bumped again when it is done, for connections that prepared meanwhile.
        server_.BumpSchemaEpoch();
        done = [this, done = std::move(done)](bool ok) {
            server_.BumpSchemaEpoch();
            done(ok);
        };
    }
    switch (plan.kind) {
        case PlanKind::kLocal:
            RunLocal(exec, plan, std::move(done));
            return;
        case PlanKind::kPassthrough:
        case PlanKind::kSingleShard:
            RunRelay(exec, plan, std::move(done));
            return;
        case PlanKind::kFanOut:
            RunFanOut(exec, std::move(plan), std::move(done));
            return;
        case PlanKind::kModify:
        case PlanKind::kBroadcast:
            RunModify(exec, plan, std::move(done));
            return;
        case PlanKind::kCopyIn:
            RunCopyIn(exec, plan, std::move(done));
            return;
        case PlanKind::kTransaction:
            RunTransaction(exec, plan, std::move(done));
            return;
        case PlanKind::kSessionSet:
            RunSessionSet(exec, plan, std::move(done));
            return;
        case PlanKind::kDistributeTable:
            RunDistribute(exec, plan, std::move(done));
            return;
        case PlanKind::kExplain:
            RunExplain(exec, plan, std::move(done));
            return;
    }
    SendError(MakeError(sqlstate::kInternalError, "unknown plan kind"));
    done(false);
}

// True for statements after which a prepared shard statement could see another result type:
// DDL on distributed tables and any utility statement sent to a node.
bool ClientSession::ChangesSchema(const StatementExec& exec, const Plan& plan) {
    switch (plan.kind) {
        case PlanKind::kBroadcast:
        case PlanKind::kDistributeTable:
            return true;
        case PlanKind::kPassthrough:
        case PlanKind::kSingleShard:
            break;
        default:
            return false;
    }
    switch (exec.stmt.kind()) {
        case PG_QUERY__NODE__NODE_SELECT_STMT:
        case PG_QUERY__NODE__NODE_INSERT_STMT:
        case PG_QUERY__NODE__NODE_UPDATE_STMT:
        case PG_QUERY__NODE__NODE_DELETE_STMT:
        case PG_QUERY__NODE__NODE_COPY_STMT:
        case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
        case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
            return false;
        default:
            return true;
    }
}

// Applies metadata commands durably, then answers with the coordinator's own rows.
void ClientSession::RunLocal(const StatementExec& exec, const Plan& plan, DoneFn done) {
    for (const Command& cmd : plan.commands) {
        Status st = server_.store().Append(cmd);
        if (!st) {
            SendError(st.error());
            OnStatementError();
            done(false);
            return;
        }
        std::fprintf(stderr, "jade-coordinator: metadata: %s\n", DescribeCommand(cmd).c_str());
    }
    WriteLocalRows(plan.local.columns, plan.local.rows, exec, plan.command_tag.empty() ? "SELECT" : plan.command_tag);
    done(true);
}

// Writes a coordinator-produced result (RowDescription, DataRows, CommandComplete).
void ClientSession::WriteLocalRows(const std::vector<ColumnDesc>& columns, const std::vector<Row>& rows,
                                   const StatementExec& exec, const std::string& tag) {
    if (exec.describe) {
        if (columns.empty()) {
            if (exec.extended) wire::WriteNoData(&out());
        } else {
            std::vector<wire::FieldDesc> fields;
            for (size_t i = 0; i < columns.size(); ++i) {
                wire::FieldDesc f;
                f.name = columns[i].name;
                f.type_oid = columns[i].type_oid;
                f.typmod = columns[i].typmod;
                f.type_len = columns[i].type_len != -1 ? columns[i].type_len : TypeLen(columns[i].type_oid);
                f.format = FormatFor(exec.result_formats, i);
                fields.push_back(std::move(f));
            }
            wire::WriteRowDescription(&out(), fields);
        }
    }
    for (const Row& row : rows) {
        wire::DataRowWriter w(&out());
        w.Begin(static_cast<int16_t>(row.size()));
        for (size_t i = 0; i < row.size(); ++i) {
            if (!row[i]) {
                w.Null();
            } else if (FormatFor(exec.result_formats, i) == 1 && i < columns.size()) {
                auto bin = TextToBinary(columns[i].type_oid, *row[i]);
                w.Cell(bin ? *bin : *row[i]);
            } else {
                w.Cell(*row[i]);
            }
        }
        w.End();
    }
    wire::WriteCommandComplete(&out(), columns.empty() ? tag : TagWithCount(tag, rows.size()));
}

// True when the plan's shard statements repeat with the same text for this client statement, so
// preparing them on the workers pays off: extended-protocol SELECT/INSERT/UPDATE/DELETE (their
// values arrive as parameters) whose plan is reusable, or that go to one shard or the default
// node (a few texts per statement). A multi-row INSERT split by shard is not (texts vary).
bool ClientSession::PrepareOnWorkers(const StatementExec& exec, const Plan& plan) {
    if (!exec.extended) return false;
    switch (exec.stmt.kind()) {
        case PG_QUERY__NODE__NODE_SELECT_STMT:
        case PG_QUERY__NODE__NODE_INSERT_STMT:
        case PG_QUERY__NODE__NODE_UPDATE_STMT:
        case PG_QUERY__NODE__NODE_DELETE_STMT:
            break;
        default:
            return false;
    }
    return PlanIsReusable(plan) || plan.kind == PlanKind::kSingleShard || plan.kind == PlanKind::kPassthrough;
}

// Builds the op that runs one task with the client's parameters it references.
LaneOp ClientSession::TaskOp(const Task& task, const Params& params, int result_format, bool single_row, int tag) {
    if (prepare_tasks_) {
        StatementCall call;
        call.sql = task.sql;
        call.result_format = result_format;
        for (int idx : task.params) {
            const Param* p = (idx >= 0 && static_cast<size_t>(idx) < params.size()) ? &params[idx] : nullptr;
            call.values.push_back(p ? p->value : std::nullopt);
            call.types.push_back(p ? p->type_oid : 0);
            call.formats.push_back(p && p->binary ? 1 : 0);
        }
        LaneOp op;
        op.call = MakeStatementCall(std::move(call));
        op.single_row = single_row;
        op.tag = tag;
        return op;
    }
    auto arrays = std::make_shared<ParamArrays>();
    auto values = std::make_shared<std::vector<std::optional<std::string>>>();
    for (int idx : task.params) {
        const Param* p = (idx >= 0 && static_cast<size_t>(idx) < params.size()) ? &params[idx] : nullptr;
        values->push_back(p ? p->value : std::nullopt);
        arrays->types.push_back(p ? p->type_oid : 0);
        arrays->formats.push_back(p && p->binary ? 1 : 0);
    }
    std::string sql = task.sql;
    LaneOp op;
    op.single_row = single_row;
    op.tag = tag;
    op.send = [sql, arrays, values, result_format](PGconn* pg) {
        arrays->values.clear();
        arrays->lengths.clear();
        for (const auto& v : *values) {
            arrays->values.push_back(v ? v->data() : nullptr);
            arrays->lengths.push_back(v ? static_cast<int>(v->size()) : 0);
        }
        int n = static_cast<int>(values->size());
        return PQsendQueryParams(pg, sql.c_str(), n, n ? arrays->types.data() : nullptr,
                                 n ? arrays->values.data() : nullptr, n ? arrays->lengths.data() : nullptr,
                                 n ? arrays->formats.data() : nullptr, result_format) == 1;
    };
    return op;
}

Lane ClientSession::LaneFor(const NodeRef& node) {
    Lane l;
    l.node_id = node.id;
    l.host = node.host;
    l.port = node.port;
    return l;
}

// One lane per node, tasks in order (inside transactions: one connection per node).
std::vector<Lane> ClientSession::LanesByNode(const std::vector<Task>& tasks, const Params& params, int result_format,
                                             bool single_row) {
    std::vector<Lane> lanes;
    std::map<uint32_t, size_t> by_node;
    for (size_t i = 0; i < tasks.size(); ++i) {
        auto it = by_node.find(tasks[i].node.id);
        if (it == by_node.end()) {
            it = by_node.emplace(tasks[i].node.id, lanes.size()).first;
            lanes.push_back(LaneFor(tasks[i].node));
        }
        lanes[it->second].ops.push_back(TaskOp(tasks[i], params, result_format, single_row, static_cast<int>(i)));
    }
    return lanes;
}

// Sends large output early and pauses the workers while the client's queue is full.
void ClientSession::AfterOutput() {
    if (out().size() >= kFlushBytes) Flush();
    if (OutputFull() && run_) {
        run_->PauseAll();
        on_drained_ = [this] {
            if (run_) run_->ResumeAll();
        };
    }
}

// Ends COPY IN routing; the sink may be the function running right now, so it is freed later.
void ClientSession::ClearCopySink() {
    copy_paused_ = false;
    if (!copy_sink_) return;
    auto* old = new std::function<void(char, std::string_view)>(std::move(copy_sink_));
    copy_sink_ = nullptr;
    DeferDelete(server_.loop(), [old] { delete old; });
}

// Starts a TaskRun as the session's running work (the previous one is freed later).
void ClientSession::StartRun(std::vector<Lane> lanes, TaskRun::Callbacks cb) {
    if (run_) {
        TaskRun* old = run_.release();
        DeferDelete(server_.loop(), [old] { delete old; });
    }
    run_ = std::make_unique<TaskRun>(server_.loop(), this, std::move(lanes), std::move(cb));
    run_->Start();
}

// Streams one task's results to the client unchanged (also COPY TO/FROM of plain tables).
void ClientSession::RunRelay(const StatementExec& exec, const Plan& plan, DoneFn done) {
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
    bool writes = !plan.read_only;
    uint32_t node_id = task.node.id;
    TaskRun::Callbacks cb;
    cb.on_result = [this, relay](size_t lane, int, backend::PgResult res) {
        ExecStatusType st = PQresultStatus(res.get());
        if (st == PGRES_COPY_OUT) {
            wire::WriteCopyOutResponse(&out(), PQbinaryTuples(res.get()) != 0,
                                       static_cast<int16_t>(PQnfields(res.get())));
            return;
        }
        if (st == PGRES_COPY_IN) {
            capture_ = false;  // the client must see CopyInResponse now
            wire::WriteCopyInResponse(&out(), PQbinaryTuples(res.get()) != 0,
                                      static_cast<int16_t>(PQnfields(res.get())));
            Flush();
            backend::WorkerConn* conn = run_->conn(lane);
            // Client CopyData goes straight to the worker; the pump stops while libpq holds unsent data.
            conn->on_flushed = [this] {
                copy_paused_ = false;
                Pump();
            };
            copy_sink_ = [this, conn](char type, std::string_view payload) {
                if (type == 'd') {
                    if (PQputCopyData(conn->pg(), payload.data(), static_cast<int>(payload.size())) < 0 ||
                        !conn->Flush()) {
                        ClearCopySink();
                        return;
                    }
                    if (conn->write_pending()) copy_paused_ = true;
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
                ClearCopySink();
                conn->on_flushed = nullptr;
                PQputCopyEnd(conn->pg(), why);
                conn->ResumeAfterCopyIn();
            };
            return;
        }
        if (st == PGRES_COMMAND_OK && PQresultStatus(res.get()) == PGRES_COMMAND_OK && copy_out_active_) {
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
    cb.on_notice = [this](const PGresult* n) { wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(n)); };
    cb.on_done = [this, relay, done, writes, node_id](const Error* err) {
        ClearCopySink();
        copy_out_active_ = false;
        if (err != nullptr && !relay->failed()) SendError(*err);
        bool ok = err == nullptr && !relay->failed();
        if (ok && writes) written_nodes_.insert(node_id);
        if (!ok) OnStatementError();
        done(ok);
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Sends a whole multi-statement string of plain-table statements to the default node.
void ClientSession::RunWholeString(const std::string& sql, const Plan& plan, bool forgets_statements, DoneFn done) {
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
    cb.on_notice = [this](const PGresult* n) { wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(n)); };
    uint32_t node_id = plan.tasks[0].node.id;
    cb.on_done = [this, relay, done, node_id](const Error* err) {
        if (err != nullptr && !relay->failed()) SendError(*err);
        bool ok = err == nullptr && !relay->failed();
        if (ok) written_nodes_.insert(node_id);
        if (!ok) OnStatementError();
        done(ok);
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Runs shard queries in parallel and merges their rows with cb's ResultMerger.
void ClientSession::RunFanOut(const StatementExec& exec, Plan plan, DoneFn done) {
    struct State {
        std::unique_ptr<ResultMerger> merger;
        std::vector<uint32_t> out_types;
        std::vector<bool> finished;
        bool failed = false;
        bool have_error = false;
        wire::ErrorFields error;
        Error merge_error;
        uint64_t rows = 0;
        std::vector<uint64_t> pushed;  ///< rows handed to the merger per shard
    };
    // Merge inputs: one per task, or (node-combined tasks) the shard positions the tasks carry,
    // named by the first column of each row.
    bool combined = plan.merge_input_count > 0;
    size_t shards = combined ? plan.merge_input_count : plan.tasks.size();
    auto inputs_of = std::make_shared<std::vector<std::vector<uint32_t>>>();
    for (size_t i = 0; i < plan.tasks.size(); ++i) {
        inputs_of->push_back(combined ? plan.tasks[i].merge_inputs : std::vector<uint32_t>{static_cast<uint32_t>(i)});
    }
    int first_col = combined ? 1 : 0;
    auto st = std::make_shared<State>();
    st->finished.assign(shards, false);
    st->pushed.assign(shards, 0);
    auto spec = std::make_shared<MergeSpec>(plan.merge);
    // A shard query with a small LIMIT (top-k) returns at most offset+limit rows: take them as one
    // result, without a PGresult per row. Otherwise stream row by row (bounded memory).
    bool single_row = spec->mode == MergeMode::kAggregate || !spec->limit ||
                      spec->offset + *spec->limit > kWholeResultRows;
    std::vector<Lane> lanes;
    if (txn_ != TxnState::kIdle) {
        lanes = LanesByNode(plan.tasks, exec.params, 0, single_row);
    } else {
        for (size_t i = 0; i < plan.tasks.size(); ++i) {
            lanes.push_back(LaneFor(plan.tasks[i].node));
            lanes.back().ops.push_back(TaskOp(plan.tasks[i], exec.params, 0, single_row, static_cast<int>(i)));
        }
    }
    auto formats = exec.result_formats;
    bool describe = exec.describe;
    auto drain = [this, st, formats]() {
        Row row;
        while (st->merger && st->merger->Pop(&row)) {
            wire::DataRowWriter w(&out());
            w.Begin(static_cast<int16_t>(row.size()));
            for (size_t i = 0; i < row.size(); ++i) {
                if (!row[i]) {
                    w.Null();
                } else if (FormatFor(formats, i) == 1) {
                    auto bin = TextToBinary(i < st->out_types.size() ? st->out_types[i] : oid::kText, *row[i]);
                    w.Cell(bin ? *bin : *row[i]);
                } else {
                    w.Cell(*row[i]);
                }
            }
            w.End();
            ++st->rows;
        }
    };
    TaskRun::Callbacks cb;
    bool per_shard_lanes = txn_ == TxnState::kIdle && !combined;
    cb.on_result = [this, st, spec, shards, formats, describe, drain, per_shard_lanes, inputs_of, first_col](
                       size_t, int tag, backend::PgResult res) {
        if (st->failed) return;
        ExecStatusType status = PQresultStatus(res.get());
        if (status == PGRES_FATAL_ERROR) {
            st->failed = true;
            st->have_error = true;
            st->error = ErrorFieldsOf(res.get());
            DropPosition(&st->error);
            if (run_) run_->CancelAll();
            return;
        }
        if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK) return;
        if (tag < 0 || static_cast<size_t>(tag) >= inputs_of->size()) return;
        int ncols = PQnfields(res.get());
        if (ncols < first_col) return;
        if (!st->merger) {
            std::vector<uint32_t> shard_types;
            for (int c = first_col; c < ncols; ++c) shard_types.push_back(PQftype(res.get(), c));
            auto m = ResultMerger::Create(*spec, shards, shard_types);
            if (!m) {
                st->failed = true;
                st->merge_error = m.error();
                if (run_) run_->CancelAll();
                return;
            }
            st->merger = std::move(m).value();
            st->out_types = OutputTypes(*spec, shard_types);
            st->out_types.resize(std::min(st->out_types.size(), spec->visible_outputs));
            if (describe) {
                std::vector<wire::FieldDesc> fields;
                for (size_t i = 0; i < spec->visible_outputs && i < spec->outputs.size(); ++i) {
                    wire::FieldDesc f;
                    f.name = spec->outputs[i].name;
                    f.type_oid = i < st->out_types.size() ? st->out_types[i] : oid::kText;
                    f.type_len = TypeLen(f.type_oid);
                    int src = spec->outputs[i].source + first_col;
                    if (spec->outputs[i].kind == OutputKind::kColumn && src < ncols) {
                        f.typmod = PQfmod(res.get(), src);
                        f.type_len = static_cast<int16_t>(PQfsize(res.get(), src));
                    }
                    f.format = FormatFor(formats, i);
                    fields.push_back(std::move(f));
                }
                wire::WriteRowDescription(&out(), fields);
            }
        }
        const std::vector<uint32_t>& inputs = (*inputs_of)[static_cast<size_t>(tag)];
        size_t shard = inputs[0];
        // Rows of this result (one in single-row mode, all of a small LIMIT otherwise). Once the
        // merge has produced every row it can (LIMIT reached), later rows are dropped.
        for (int r = 0; r < PQntuples(res.get()) && !st->merger->Done(); ++r) {
            if (first_col > 0) {
                // Node-combined: the first column names the merge input (shard position).
                shard = std::strtoul(PQgetvalue(res.get(), r, 0), nullptr, 10);
                if (shard >= shards || std::find(inputs.begin(), inputs.end(), shard) == inputs.end()) {
                    st->failed = true;
                    st->merge_error = MakeError(sqlstate::kInternalError, "a node returned a row of another shard");
                    if (run_) run_->CancelAll();
                    return;
                }
            }
            if (st->finished[shard]) continue;
            Row row(ncols - first_col);
            for (int c = first_col; c < ncols; ++c) {
                if (!PQgetisnull(res.get(), r, c))
                    row[c - first_col] = std::string(PQgetvalue(res.get(), r, c), PQgetlength(res.get(), r, c));
            }
            Status s = st->merger->Push(shard, std::move(row));
            if (!s) {
                st->failed = true;
                st->merge_error = s.error();
                if (run_) run_->CancelAll();
                return;
            }
            ++st->pushed[shard];
        }
        if (status == PGRES_TUPLES_OK) {
            for (uint32_t in : inputs) {
                if (st->finished[in]) continue;
                st->finished[in] = true;
                Status s = st->merger->Finish(in);
                if (!s) {
                    st->failed = true;
                    st->merge_error = s.error();
                    return;
                }
            }
        }
        drain();
        if (run_ && per_shard_lanes) {
            // Flow control of the k-way merge: stop reading a shard while the merge holds many of
            // its rows it cannot emit yet (another shard is behind), so memory stays bounded;
            // read it again once the merge needs its next row. Toggling per row would cost two
            // epoll_ctl calls per row.
            bool backlog = st->pushed[shard] - st->merger->RowsConsumed(shard) >= kLaneBacklogRows;
            if (!st->finished[shard] && backlog && !st->merger->Done()) run_->PauseLane(shard);
            for (size_t s = 0; s < shards; ++s) {
                if (run_ && run_->lane_paused(s) && (st->merger->WantsMore(s) || st->merger->Done()))
                    run_->ResumeLane(s);
            }
        }
        AfterOutput();
    };
    cb.on_notice = [this](const PGresult* n) { wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(n)); };
    std::string tag = plan.command_tag.empty() ? "SELECT" : plan.command_tag;
    cb.on_done = [this, st, done, drain, tag, describe, spec, exec_ext = exec.extended](const Error* err) {
        if (st->have_error) {
            wire::WriteErrorFields(&out(), 'E', st->error);
        } else if (st->failed) {
            SendError(st->merge_error);
        } else if (err != nullptr) {
            SendError(*err);
        }
        bool ok = !st->failed && err == nullptr;
        if (ok) {
            if (!st->merger) {
                // No shard produced a description (no shards): an empty result.
                if (describe) wire::WriteRowDescription(&out(), {});
            } else {
                drain();
            }
            wire::WriteCommandComplete(&out(), TagWithCount(tag, st->rows));
        } else {
            OnStatementError();
        }
        (void)exec_ext;
        done(ok);
    };
    StartRun(std::move(lanes), std::move(cb));
}

// Multi-shard writes and broadcast DDL: one transaction per node, then (2PC) commit.
void ClientSession::RunModify(const StatementExec& exec, const Plan& plan, DoneFn done) {
    if (plan.tasks.size() == 1 && plan.kind == PlanKind::kModify && plan.commands.empty()) {
        RunRelay(exec, plan, std::move(done));
        return;
    }
    bool implicit = txn_ == TxnState::kIdle;
    if (implicit) implicit_txn_ = true;
    struct State {
        uint64_t count = 0;
        std::string tag_prefix;
        bool failed = false;
        wire::ErrorFields error;
        bool described = false;
    };
    auto st = std::make_shared<State>();
    auto lanes = LanesByNode(plan.tasks, exec.params, 0, true);
    std::set<uint32_t> nodes;
    for (const auto& t : plan.tasks) nodes.insert(t.node.id);
    auto formats = exec.result_formats;
    bool describe = exec.describe;
    TaskRun::Callbacks cb;
    cb.on_result = [this, st, formats, describe](size_t, int, backend::PgResult res) {
        if (st->failed) return;
        ExecStatusType status = PQresultStatus(res.get());
        if (status == PGRES_FATAL_ERROR) {
            st->failed = true;
            st->error = ErrorFieldsOf(res.get());
            DropPosition(&st->error);
            return;
        }
        if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
            // RETURNING rows: one RowDescription, then every shard's rows.
            if (describe && !st->described) {
                wire::WriteRowDescription(&out(), FieldsOf(res.get(), formats, true));
                st->described = true;
            }
            if (status == PGRES_SINGLE_TUPLE) {
                ResultRelay rows(&out(), formats, false, true);
                rows.OnResult(res.get());
                return;
            }
        }
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            std::string cmd = PQcmdStatus(res.get());
            size_t sp = cmd.find_last_of(' ');
            bool numeric = sp != std::string::npos && cmd.find_first_not_of("0123456789", sp + 1) == std::string::npos;
            if (numeric) {
                st->count += std::strtoull(cmd.c_str() + sp + 1, nullptr, 10);
                if (st->tag_prefix.empty()) st->tag_prefix = cmd.substr(0, sp);
            } else if (st->tag_prefix.empty()) {
                st->tag_prefix = cmd;
            }
        }
    };
    cb.on_notice = [this](const PGresult* n) { wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(n)); };
    auto commands = plan.commands;
    std::string plan_tag = plan.command_tag;
    bool has_count = plan.kind == PlanKind::kModify;
    cb.on_done = [this, st, done, implicit, nodes, commands, plan_tag, has_count, describe,
                  exec_ext = exec.extended](const Error* err) {
        bool ok = !st->failed && err == nullptr;
        if (!ok) {
            if (st->failed) {
                wire::WriteErrorFields(&out(), 'E', st->error);
            } else {
                SendError(*err);
            }
            if (implicit) {
                RollbackConns([this, done] {
                    implicit_txn_ = false;
                    done(false);
                });
                return;
            }
            OnStatementError();
            done(false);
            return;
        }
        for (uint32_t n : nodes) written_nodes_.insert(n);
        std::string tag = plan_tag.empty() ? st->tag_prefix : plan_tag;
        if (has_count &&
            (plan_tag.empty() || tag.find_first_of("0123456789") == std::string::npos || tag == "INSERT 0")) {
            tag = (plan_tag.empty() ? st->tag_prefix : plan_tag) + " " + std::to_string(st->count);
        }
        auto finish = [this, done, commands, tag, describe, exec_ext, st](const Error* cerr) {
            if (cerr != nullptr) {
                SendError(*cerr);
                done(false);
                return;
            }
            for (const Command& cmd : commands) {
                Status s = server_.store().Append(cmd);
                if (!s) {
                    SendError(s.error());
                    done(false);
                    return;
                }
            }
            if (describe && exec_ext && !st->described) wire::WriteNoData(&out());
            wire::WriteCommandComplete(&out(), tag);
            done(true);
        };
        if (implicit) {
            CommitConns(/*implicit=*/true, [this, finish](const Error* cerr) {
                implicit_txn_ = false;
                finish(cerr);
            });
            return;
        }
        finish(nullptr);
    };
    StartRun(std::move(lanes), std::move(cb));
}

// EXPLAIN: runs each shard's EXPLAIN and assembles the distributed plan text.
void ClientSession::RunExplain(const StatementExec& exec, const Plan& plan, DoneFn done) {
    auto outputs = std::make_shared<std::vector<std::vector<std::string>>>(plan.tasks.size());
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    std::vector<Lane> lanes;
    if (txn_ != TxnState::kIdle) {
        lanes = LanesByNode(plan.tasks, exec.params, 0, false);
    } else {
        for (size_t i = 0; i < plan.tasks.size(); ++i) {
            lanes.push_back(LaneFor(plan.tasks[i].node));
            lanes.back().ops.push_back(TaskOp(plan.tasks[i], exec.params, 0, false, static_cast<int>(i)));
        }
    }
    TaskRun::Callbacks cb;
    cb.on_result = [outputs, error](size_t, int tag, backend::PgResult res) {
        ExecStatusType status = PQresultStatus(res.get());
        if (status == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorFieldsOf(res.get());
            return;
        }
        if (status != PGRES_TUPLES_OK || tag < 0 || static_cast<size_t>(tag) >= outputs->size()) return;
        for (int r = 0; r < PQntuples(res.get()); ++r) (*outputs)[tag].push_back(PQgetvalue(res.get(), r, 0));
    };
    Plan plan_copy = plan;
    StatementExec exec_copy = exec;
    cb.on_done = [this, outputs, error, done, plan_copy, exec_copy](const Error* err) {
        if (*error || err != nullptr) {
            if (*error) {
                wire::WriteErrorFields(&out(), 'E', **error);
            } else {
                SendError(*err);
            }
            OnStatementError();
            done(false);
            return;
        }
        std::vector<std::string> lines = AssembleExplain(plan_copy, *outputs);
        std::vector<Row> rows;
        for (auto& l : lines) rows.push_back(Row{std::move(l)});
        ColumnDesc col;
        col.name = "QUERY PLAN";
        col.type_oid = oid::kText;
        WriteLocalRows({col}, rows, exec_copy, "EXPLAIN");
        done(true);
    };
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
