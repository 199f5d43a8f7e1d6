// exec_modify.cpp — kModify (multi-shard INSERT/UPDATE/DELETE) and kBroadcast (DDL on every
// shard): the tasks of a node run in order on one connection, the nodes in parallel, all inside
// one transaction (the client's block, or an implicit one ended here), so the statement is
// all-or-nothing: one written node → COMMIT, several → two-phase commit (transaction/). Row
// counts are summed; RETURNING rows are relayed; metadata commands follow the commit.
#include <cstdlib>

#include "executor/result_relay.h"
#include "executor/statement_executor.h"
#include "transaction/transaction_coordinator.h"
#include "wire/io_sqlstate.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {

// Multi-shard writes and broadcast DDL: one transaction per node, then (2PC) commit.
void StatementExecutor::RunModify(const StatementExec& exec, const Plan& plan, DoneFn done) {
    if (plan.tasks.size() == 1 && plan.kind == PlanKind::kModify && plan.commands.empty()) {
        RunRelay(exec, plan, std::move(done));
        return;
    }
    // Statements that cannot run in a transaction block (VACUUM, ...) run in autocommit outside
    // one; inside one they go to the block's connections and fail there as on PostgreSQL.
    bool implicit = !txn_.in_block() && plan.atomic;
    bool autocommit = !txn_.in_block() && !plan.atomic;
    if (implicit) txn_.BeginImplicit();
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
    cb.on_notice = [this](const PGresult* n) { WriteNotice(n); };
    auto commands = plan.commands;
    std::string plan_tag = plan.command_tag;
    bool has_count = plan.kind == PlanKind::kModify;
    bool ext_describe = exec.describe && exec.extended;
    cb.on_done = [this, st, done, implicit, autocommit, nodes, commands, plan_tag, has_count,
                  ext_describe](const Error* err) {
        bool ok = !st->failed && err == nullptr;
        if (!ok) {
            if (st->failed) {
                wire::WriteErrorFields(&out(), 'E', st->error);
            } else {
                SendError(*err);
            }
            if (implicit) {
                txn_.RollbackImplicit([done] { done(false); });
                return;
            }
            StatementFailed(done);
            return;
        }
        for (uint32_t n : nodes) txn_.MarkWritten(n);
        std::string tag = plan_tag.empty() ? st->tag_prefix : plan_tag;
        if (has_count &&
            (plan_tag.empty() || tag.find_first_of("0123456789") == std::string::npos || tag == "INSERT 0")) {
            tag = (plan_tag.empty() ? st->tag_prefix : plan_tag) + " " + std::to_string(st->count);
        }
        auto alive = alive_;
        auto complete = [this, alive, done, tag, ext_describe, st](Status applied) {
            if (!*alive) return;
            if (!applied) {
                SendError(applied.error());
                done(false);
                return;
            }
            if (ext_describe && !st->described) wire::WriteNoData(&out());
            wire::WriteCommandComplete(&out(), tag);
            done(true);
        };
        // The statement's metadata (DROP/ALTER of a distributed table) commits with its
        // transaction: inside the two-phase decision of the block's COMMIT, or of the implicit
        // transaction ended here.
        if (autocommit) {
            complete(Status{});
            return;
        }
        txn_.DeferMetadata(commands);
        if (!implicit) {
            complete(Status{});
            return;
        }
        txn_.CommitImplicit([this, alive, complete](const txn::CommitOutcome& outcome) {
            if (!*alive) return;
            if (outcome.unresolved) {
                wire::WriteNotice(&out(), "WARNING", iostate::kTransactionResolutionUnknown,
                                  "transaction committed, but some workers have not confirmed yet; "
                                  "the coordinator will finish it");
            }
            complete(outcome.error ? Status(*outcome.error) : Status{});
        });
    };
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
