// exec_describe.cpp — Describe of statements and portals (extended query protocol).
//
// The coordinator cannot type a statement by itself: it plans the statement, prepares the first
// task's SQL on that task's worker (unnamed statement) and asks the worker to describe it.
// Parameter types are mapped back from the task's $n to the client's parameters; for fan-out
// plans the row description is the merge's output columns (hidden sort/partial columns dropped,
// aggregate types as PostgreSQL gives them: OutputTypes()).
#include <algorithm>

#include "executor/result_relay.h"
#include "executor/statement_executor.h"
#include "transaction/transaction_coordinator.h"
#include "wire/messages/extended.h"
#include "wire/messages/row_data.h"

namespace jade::coord::exec {

// Writes ParameterDescription (statements only) and RowDescription/NoData for a statement.
void StatementExecutor::Describe(std::shared_ptr<PreparedStatement> stmt, const Params& params, bool portal,
                                 const std::vector<int16_t>& formats, DoneFn done) {
    auto param_types = std::make_shared<std::vector<uint32_t>>(stmt->param_types);
    if (param_types->size() < params.size()) param_types->resize(params.size(), 0);
    auto write_params = [this, portal, param_types]() {
        if (portal) return;
        std::vector<uint32_t> t = *param_types;
        for (auto& x : t) {
            if (x == 0) x = 25;  // never resolved: PostgreSQL would say "unknown" → text
        }
        wire::WriteParameterDescription(&out(), t);
    };
    if (stmt->parsed.empty()) {
        write_params();
        wire::WriteNoData(&out());
        done(true);
        return;
    }
    auto plan = PlanStatement(txn_.catalog(), stmt->parsed[0], params, Info());
    if (!plan && !portal) {
        // Without values a statement may not route (INSERT needs a non-NULL shard key): any shard
        // describes it the same, so plan once more with placeholder values.
        Params placeholders = params;
        for (auto& p : placeholders) {
            if (!p.value) {
                p.value = "0";
                p.binary = false;
            }
        }
        auto retry = PlanStatement(txn_.catalog(), stmt->parsed[0], placeholders, Info());
        if (retry) plan = std::move(retry);
    }
    if (!plan) {
        SendError(plan.error());
        done(false);
        return;
    }
    switch (plan->kind) {
        case PlanKind::kLocal: {
            write_params();
            if (plan->local.columns.empty()) {
                wire::WriteNoData(&out());
            } else {
                std::vector<wire::FieldDesc> fields;
                for (size_t i = 0; i < plan->local.columns.size(); ++i) {
                    wire::FieldDesc f;
                    f.name = plan->local.columns[i].name;
                    f.type_oid = plan->local.columns[i].type_oid;
                    f.format = FormatFor(formats, i);
                    fields.push_back(std::move(f));
                }
                wire::WriteRowDescription(&out(), fields);
            }
            done(true);
            return;
        }
        case PlanKind::kExplain: {
            write_params();
            wire::FieldDesc f;
            f.name = "QUERY PLAN";
            f.format = FormatFor(formats, 0);
            wire::WriteRowDescription(&out(), {f});
            done(true);
            return;
        }
        case PlanKind::kTransaction:
        case PlanKind::kSessionSet:
        case PlanKind::kCopyIn:
        case PlanKind::kDistributeTable:
        case PlanKind::kBroadcast:
            write_params();
            wire::WriteNoData(&out());
            done(true);
            return;
        default:
            break;
    }
    if (plan->tasks.empty()) {
        write_params();
        wire::WriteNoData(&out());
        done(true);
        return;
    }
    Task task = plan->tasks[0];
    auto types = std::make_shared<std::vector<Oid>>();
    for (int idx : task.params) {
        types->push_back(idx >= 0 && static_cast<size_t>(idx) < param_types->size() ? (*param_types)[idx] : 0);
    }
    Lane lane = LaneFor(task.node);
    LaneOp prep;
    prep.tag = 1;
    prep.send = [sql = task.sql, types](PGconn* pg) {
        return PQsendPrepare(pg, "", sql.c_str(), static_cast<int>(types->size()),
                             types->empty() ? nullptr : types->data()) == 1;
    };
    LaneOp desc;
    desc.tag = 2;
    desc.send = [](PGconn* pg) { return PQsendDescribePrepared(pg, "") == 1; };
    lane.ops.push_back(std::move(prep));
    lane.ops.push_back(std::move(desc));
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    auto described = std::make_shared<backend::PgResult>();
    TaskRun::Callbacks cb;
    cb.on_result = [error, described](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) {
            if (!*error) *error = ErrorFieldsOf(res.get());
            return;
        }
        if (tag == 2) *described = std::move(res);
    };
    auto spec = std::make_shared<MergeSpec>(plan->merge);
    bool fan_out = plan->kind == PlanKind::kFanOut;
    bool shard_relation = plan->kind != PlanKind::kPassthrough;
    cb.on_done = [this, error, described, stmt, param_types, task, write_params, spec, fan_out, formats, shard_relation,
                  done](const Error* err) {
        if (*error || err != nullptr || !*described) {
            if (*error) {
                wire::WriteErrorFields(&out(), 'E', **error);
            } else {
                SendError(err ? *err : MakeError(sqlstate::kInternalError, "worker returned no description"));
            }
            done(false);
            return;
        }
        PGresult* d = described->get();
        for (int k = 0; k < PQnparams(d) && static_cast<size_t>(k) < task.params.size(); ++k) {
            int idx = task.params[k];
            if (idx < 0) continue;
            if (static_cast<size_t>(idx) >= param_types->size()) param_types->resize(idx + 1, 0);
            if ((*param_types)[idx] == 0) (*param_types)[idx] = PQparamtype(d, k);
        }
        // Later Binds send the learned types, so binary parameters are decoded as the worker expects.
        stmt->param_types = *param_types;
        write_params();
        if (PQnfields(d) == 0) {
            wire::WriteNoData(&out());
        } else if (fan_out) {
            std::vector<uint32_t> shard_types;
            for (int c = 0; c < PQnfields(d); ++c) shard_types.push_back(PQftype(d, c));
            std::vector<uint32_t> out_types = OutputTypes(*spec, shard_types);
            std::vector<wire::FieldDesc> fields;
            for (size_t i = 0; i < spec->visible_outputs && i < spec->outputs.size(); ++i) {
                wire::FieldDesc f;
                f.name = spec->outputs[i].name;
                f.type_oid = i < out_types.size() ? out_types[i] : 25;
                if (spec->outputs[i].kind == OutputKind::kColumn && spec->outputs[i].source < PQnfields(d)) {
                    f.typmod = PQfmod(d, spec->outputs[i].source);
                    f.type_len = static_cast<int16_t>(PQfsize(d, spec->outputs[i].source));
                }
                f.format = FormatFor(formats, i);
                fields.push_back(std::move(f));
            }
            wire::WriteRowDescription(&out(), fields);
        } else {
            wire::WriteRowDescription(&out(), FieldsOf(d, formats, shard_relation));
        }
        done(true);
    };
    StartRun({std::move(lane)}, std::move(cb));
}

}  // namespace jade::coord::exec
