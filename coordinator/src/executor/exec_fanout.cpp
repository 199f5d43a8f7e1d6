// exec_fanout.cpp — kFanOut: shard queries in parallel, rows merged by cb's ResultMerger (text
// cells, re-encoded only for binary columns). A streaming shard stops being read while the merge
// holds kLaneBacklogRows of its rows it cannot emit yet; rows after the global LIMIT are dropped;
// a shard error cancels the rest. See statement_executor.h.
#include <algorithm>
#include <cstdlib>

#include "executor/binary_format.h"
#include "executor/exec_common.h"
#include "executor/result_relay.h"
#include "executor/statement_executor.h"
#include "executor/vector_binary.h"
#include "executor/vector_types.h"
#include "merge/result_merger.h"
#include "transaction/transaction_coordinator.h"
#include "wire/messages/query.h"

namespace jade::coord::exec {

// Runs shard queries in parallel and merges their rows with cb's ResultMerger.
void StatementExecutor::RunFanOut(const StatementExec& exec, Plan plan, DoneFn done) {
    struct State {
        std::unique_ptr<ResultMerger> merger;
        std::vector<uint32_t> out_types;
        std::vector<bool> finished;
        bool failed = false;
        bool have_error = false;
        wire::ErrorFields error;
        Error merge_error;
        bool output_error = false;  ///< merge_error arose while writing rows (the merge itself is fine)
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
    bool single_row =
        spec->mode == MergeMode::kAggregate || !spec->limit || spec->offset + *spec->limit > kWholeResultRows;
    std::vector<Lane> lanes = LanesFor(plan.tasks, exec.params, 0, single_row);
    auto formats = exec.result_formats;
    // Binary columns are encoded here from the workers' text: vector types need their OIDs.
    AddVectorTypesLookup(formats, &lanes);
    bool describe = exec.describe;
    auto drain = [this, st, formats]() {
        Row row;
        while (!st->output_error && st->merger && st->merger->Pop(&row)) {
            size_t mark = out().size();
            wire::DataRowWriter w(&out());
            w.Begin(static_cast<int16_t>(row.size()));
            for (size_t i = 0; i < row.size(); ++i) {
                if (!row[i]) {
                    w.Null();
                } else if (FormatFor(formats, i) == 1) {
                    uint32_t type = i < st->out_types.size() ? st->out_types[i] : oid::kText;
                    auto bin = TextToBinary(type, *row[i]);
                    if (!bin) {
                        // Never text bytes labelled binary: the statement fails (0A000 for a type
                        // the coordinator cannot encode). An extension OID not seen before means
                        // the types were re-created: look them up again next time.
                        if (type >= kFirstNormalObjectId) ForgetVectorTypes();
                        out().resize(mark);
                        st->failed = true;
                        st->output_error = true;
                        st->merge_error = bin.error();
                        if (run_) run_->CancelAll();
                        return;
                    }
                    w.Cell(*bin);
                } else {
                    w.Cell(*row[i]);
                }
            }
            w.End();
            ++st->rows;
        }
    };
    TaskRun::Callbacks cb;
    bool per_shard_lanes = !txn_.in_block() && !combined;
    cb.on_result = [this, st, spec, shards, formats, describe, drain, per_shard_lanes, inputs_of, first_col](
                       size_t, int tag, backend::PgResult res) {
        if (TakeVectorTypes(tag, res.get())) return;
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
    cb.on_notice = [this](const PGresult* n) { WriteNotice(n); };
    std::string tag = plan.command_tag.empty() ? "SELECT" : plan.command_tag;
    cb.on_done = [this, st, done, drain, tag, describe, spec](const Error* err) mutable {
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
            txn_.OnStatementError();
        }
        done(ok);
    };
    StartRun(std::move(lanes), std::move(cb));
}

}  // namespace jade::coord::exec
