// exec_local.cpp — answers the coordinator builds itself: kLocal (metadata functions and views)
// and kExplain (the distributed plan around each task's EXPLAIN). See statement_executor.h.
#include "backend/pool.h"
#include "executor/binary_format.h"
#include "executor/exec_common.h"
#include "executor/result_relay.h"
#include "executor/statement_executor.h"
#include "planner/explain.h"
#include "transaction/transaction_coordinator.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {

// Applies metadata commands durably, then answers with the coordinator's own rows.
void StatementExecutor::RunLocal(const StatementExec& exec, const Plan& plan, DoneFn done) {
    auto answer = [this, exec, columns = plan.local.columns, rows = plan.local.rows,
                   tag = plan.command_tag.empty() ? std::string("SELECT") : plan.command_tag, alive = alive_,
                   done](Status st) mutable {
        if (!*alive) return;
        if (!st) {
            SendError(st.error());
            StatementFailed(done);
            return;
        }
        WriteLocalRows(columns, rows, exec, tag);
        done(true);
    };
    if (plan.commands.empty()) {
        answer(Status{});
        return;
    }
    const Node* def = server_.store().catalog().DefaultNode();
    if (server_.config().worker_role == WorkerRole::kClient && !cluster_admin_ && def != nullptr) {
        CheckClusterAdmin(*def, [this, commands = plan.commands, answer = std::move(answer)](Status st) mutable {
            if (!st) {
                answer(st);
                return;
            }
            server_.ProposeMetadata(commands, std::move(answer));
        });
        return;
    }
    server_.ProposeMetadata(plan.commands, std::move(answer));
}

// worker_role = client: changing the cluster's nodes takes a superuser, as Citus' node functions
// do. The client's own role is asked on the default node (its is_superuser ParameterStatus); the
// first node of an empty cluster is added by whoever set the coordinator up.
void StatementExecutor::CheckClusterAdmin(const Node& def, std::function<void(Status)> done) {
    backend::WorkerPool::Request request{def.id, def.host, def.port, client_.user()};
    auto alive = alive_;
    server_.pool().Acquire(request, [this, alive, done = std::move(done)](backend::WorkerConn* c, const Error* err) {
        if (!*alive) {
            if (c != nullptr) server_.pool().Release(c);
            return;
        }
        if (err != nullptr) {
            done(*err);
            return;
        }
        const char* su = PQparameterStatus(c->pg(), "is_superuser");
        bool superuser = su != nullptr && std::string(su) == "on";
        server_.pool().Release(c);
        if (!superuser) {
            done(MakeError("42501", "permission denied to change the cluster's metadata",
                           "Role \"" + client_.user() + "\" is not a superuser on the workers.",
                           "Connect as a superuser to add or remove nodes."));
            return;
        }
        cluster_admin_ = true;
        done(Status{});
    });
}

// Writes a coordinator-produced result (RowDescription, DataRows, CommandComplete).
void StatementExecutor::WriteLocalRows(const std::vector<ColumnDesc>& columns, const std::vector<Row>& rows,
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

// EXPLAIN: runs each shard's EXPLAIN and assembles the distributed plan text.
void StatementExecutor::RunExplain(const StatementExec& exec, const Plan& plan, DoneFn done) {
    auto outputs = std::make_shared<std::vector<std::vector<std::string>>>(plan.tasks.size());
    auto error = std::make_shared<std::optional<wire::ErrorFields>>();
    std::vector<Lane> lanes = LanesFor(plan.tasks, exec.params, 0, false);
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
    cb.on_done = [this, outputs, error, done, plan_copy, exec_copy](const Error* err) mutable {
        if (*error || err != nullptr) {
            if (*error) {
                wire::WriteErrorFields(&out(), 'E', **error);
            } else {
                SendError(*err);
            }
            StatementFailed(done);
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
