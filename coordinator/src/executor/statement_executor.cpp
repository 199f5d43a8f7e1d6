// statement_executor.cpp — planning, the failed-block rule, dispatch by plan kind, and the
// helpers every plan kind uses (see statement_executor.h).
#include "executor/statement_executor.h"

#include "executor/copy_target.h"
#include "executor/result_relay.h"
#include "transaction/transaction_coordinator.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/error_response.h"

namespace jade::coord::exec {
namespace {

// Converts the parameters a task uses into libpq arrays (text or binary as the client sent them).
struct ParamArrays {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

// Shards a writing plan may write (empty: none shard-specific).
std::vector<uint64_t> WrittenShards(const Plan& plan) {
    std::vector<uint64_t> shards;
    if (plan.read_only) return shards;
    for (const Task& t : plan.tasks) {
        if (t.shard_id != 0) shards.push_back(t.shard_id);
    }
    for (const Task& t : plan.copy.shard_tasks) {
        if (t.shard_id != 0) shards.push_back(t.shard_id);
    }
    return shards;
}

}  // namespace

StatementExecutor::StatementExecutor(ServerContext& server, ClientChannel& client, txn::TransactionCoordinator& txn)
    : server_(server), client_(client), txn_(txn) {}

StatementExecutor::~StatementExecutor() {
    Abandon();
}

// Drops running work; COPYs give up their connections now (their callbacks are freed later).
void StatementExecutor::Abandon() {
    *alive_ = false;
    if (run_) run_->Abort();
    for (CopyTarget* c : live_copies_) c->Abandon();
    live_copies_.clear();
}

// Cancels the worker queries of the running statement.
void StatementExecutor::Cancel() {
    if (run_ && !run_->done()) run_->CancelAll();
    for (CopyTarget* c : live_copies_) c->Cancel();
}

// The planner's view of this session.
SessionInfo StatementExecutor::Info() const {
    SessionInfo info;
    info.in_transaction = txn_.in_block();
    info.user = client_.user();
    info.database = server_.config().worker_database;
    info.search_path = txn_.SearchPath(info.user);
    return info;
}

// Plans the statement (or reuses the prepared statement's plan), applies the failed-transaction
// rule, and runs the plan.
void StatementExecutor::Execute(StatementExec exec, DoneFn done) {
    // The statement_timeout backstop (frontend/session_timeouts.cpp) counts from here.
    running_since_ms_ = uv_now(server_.loop());
    // Outside a block, a statement's writes end with it (transaction_hooks.h).
    done = [this, alive = alive_, done = std::move(done)](bool ok) {
        if (*alive) {
            running_since_ms_.reset();
            txn_.StatementEnded();
        }
        done(ok);
    };
    const Catalog& catalog = txn_.catalog();
    SessionInfo info = Info();
    Expected<Plan> plan = MakeError(sqlstate::kInternalError, "not planned");
    // Plans made against a transaction's own (deferred) metadata are not kept.
    std::shared_ptr<PlanCacheEntry> cache = txn_.has_deferred_metadata() ? nullptr : exec.plan_cache;
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
        bool combine = cache->combined && cache->recent_ms < (cache->ran_combined ? kSplitAboveMs : kCombineBelowMs);
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
        StatementFailed(done);
        return;
    }
    if (txn_.state() == txn::TransactionCoordinator::State::kFailed) {
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

// Statement-level bookkeeping around the run: the schema epoch for DDL, the write hook.
void StatementExecutor::RunPlan(StatementExec exec, Plan plan, DoneFn done) {
    running_task_params_.clear();
    for (const Task& t : plan.tasks) running_task_params_.push_back(t.params);
    prepare_tasks_ = PrepareOnWorkers(exec, plan);
    if (ChangesSchema(exec.stmt, plan)) {
        // Statements prepared on workers before this DDL are dropped before their next use
        // (statement_cache.h); bumped again when it is done, for connections that prepared meanwhile.
        server_.BumpSchemaEpoch();
        done = [this, done = std::move(done)](bool ok) {
            server_.BumpSchemaEpoch();
            done(ok);
        };
    }
    std::vector<uint64_t> shards = WrittenShards(plan);
    if (shards.empty()) {
        Dispatch(std::move(exec), std::move(plan), std::move(done));
        return;
    }
    // Shard moves may hold writes back here (transaction_hooks.h).
    auto alive = alive_;
    auto state =
        std::make_shared<std::tuple<StatementExec, Plan, DoneFn>>(std::move(exec), std::move(plan), std::move(done));
    uint64_t planned_at = txn_.catalog().applied_index();
    txn_.BeforeWrite(std::move(shards), [this, alive, state, planned_at](const Error* err) {
        if (!*alive) return;
        auto& [e, p, d] = *state;
        if (err != nullptr) {
            SendError(*err);
            StatementFailed(d);
            return;
        }
        if (txn_.catalog().applied_index() != planned_at) {
            // The catalog changed while the write waited (a shard moved): plan it again.
            Execute(std::move(e), std::move(d));
            return;
        }
        Dispatch(std::move(e), std::move(p), std::move(d));
    });
}

// Runs the plan by kind.
void StatementExecutor::Dispatch(StatementExec exec, Plan plan, DoneFn done) {
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
bool StatementExecutor::ChangesSchema(const ParsedStatement& stmt, const Plan& plan) {
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
    switch (stmt.kind()) {
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

// True when the plan's shard statements repeat with the same text for this client statement, so
// preparing them on the workers pays off: extended-protocol SELECT/INSERT/UPDATE/DELETE (their
// values arrive as parameters) whose plan is reusable, or that go to one shard or the default
// node (a few texts per statement). A multi-row INSERT split by shard is not (texts vary).
bool StatementExecutor::PrepareOnWorkers(const StatementExec& exec, const Plan& plan) {
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
LaneOp StatementExecutor::TaskOp(const Task& task, const Params& params, int result_format, bool single_row, int tag) {
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

Lane StatementExecutor::LaneFor(const NodeRef& node) {
    Lane l;
    l.node_id = node.id;
    l.host = node.host;
    l.port = node.port;
    return l;
}

// One lane per node, tasks in order (inside transactions: one connection per node).
std::vector<Lane> StatementExecutor::LanesByNode(const std::vector<Task>& tasks, const Params& params,
                                                 int result_format, bool single_row) {
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

std::vector<Lane> StatementExecutor::LanesFor(const std::vector<Task>& tasks, const Params& params, int result_format,
                                              bool single_row) {
    if (txn_.in_block()) return LanesByNode(tasks, params, result_format, single_row);
    std::vector<Lane> lanes;
    for (size_t i = 0; i < tasks.size(); ++i) {
        lanes.push_back(LaneFor(tasks[i].node));
        lanes.back().ops.push_back(TaskOp(tasks[i], params, result_format, single_row, static_cast<int>(i)));
    }
    return lanes;
}

// Sends large output early and pauses the workers while the client's queue is full.
void StatementExecutor::AfterOutput() {
    if (out().size() >= kFlushBytes) client_.Flush();
    if (client_.OutputFull() && run_) {
        run_->PauseAll();
        client_.WhenDrained([this, alive = alive_] {
            if (*alive && run_) run_->ResumeAll();
        });
    }
}

// Starts a TaskRun as the statement's running work (the previous one is freed later).
void StatementExecutor::StartRun(std::vector<Lane> lanes, TaskRun::Callbacks cb) {
    if (run_) {
        TaskRun* old = run_.release();
        DeferDelete(server_.loop(), [old] { delete old; });
    }
    run_ = std::make_unique<TaskRun>(server_.loop(), &txn_, std::move(lanes), std::move(cb));
    run_->Start();
}

void StatementExecutor::SendError(const Error& error) {
    wire::WriteError(&out(), error);
}

void StatementExecutor::WriteNotice(const PGresult* notice) {
    wire::WriteErrorFields(&out(), 'N', ErrorFieldsOf(notice));
}

// The statement failed (its error is written): a block is now aborted.
void StatementExecutor::StatementFailed(const DoneFn& done) {
    txn_.OnStatementError();
    done(false);
}

}  // namespace jade::coord::exec
