// shard_copy.h — one atomic COPY into the shards of a distributed table.
//
// Each shard gets its own worker connection running BEGIN; COPY <shard> FROM STDIN; and after
// the data PREPARE TRANSACTION; the commit decision is logged (transaction/two_phase_log.h) before COMMIT
// PREPARED, so the rows of the whole COPY appear on every shard or on none. Input (client
// CopyData, or a worker's COPY TO STDOUT when a table is distributed) is cut into rows by cb's
// CopySplitter with bytes unchanged, batched per shard (kBatch) and written with PQputCopyData.
// paused() is true while any shard connection holds unsent data: the feeder must stop reading
// its source until on_resume fires, which bounds memory by shards × kBatch + one partial row.
//
// create_distributed_table uses the same machinery with two additions: each shard's transaction
// runs setup statements before its COPY (CREATE TABLE) and finish statements after it
// (constraints, indexes), and SetSource() makes the source table's transaction on the default
// node a participant: once every shard is in COPY IN it runs lock; COPY ... TO STDOUT (fed here,
// paused while the shards are); empty + guard; PREPARE, and commits or rolls back with the shards.
// before_commit (the metadata proposal) runs when every participant has prepared, before the
// commit decision is logged; its failure rolls everything back. The decision and phase 2 are
// the transaction layer's TwoPhaseCommit (transaction/two_phase_commit.h).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copy/copy_split.h"
#include "executor/copy_target.h"
#include "executor/task_run.h"
#include "planner/plan.h"
#include "util/expected.h"
#include "wire/messages/error_response.h"

namespace jade::coord::txn {
class TwoPhaseLog;
class TwoPhaseCommit;
}  // namespace jade::coord::txn

namespace jade::coord::exec {

class ShardCopy final : public CopyTarget {
public:
    ShardCopy(uv_loop_t* loop, ConnSource* source, txn::TwoPhaseLog& log, CopyPlan plan, Callbacks cb);
    ~ShardCopy() override;

    /** Makes the source table's transaction part of this COPY (call before Start). */
    void SetSource(SourceMove source) { source_table_ = std::move(source); }
    void Start() override;
    void Feed(std::string_view data) override;
    /** End of input: flush, end every shard COPY, prepare and commit. */
    void Finish() override;
    void Abort(const wire::ErrorFields& error) override;
    void Abandon() override;
    void Cancel() override {
        if (run_ && !run_->done()) run_->CancelAll();
        if (source_run_ && !source_run_->done()) source_run_->CancelAll();
    }
    bool paused() const override { return pending_flush_ > 0; }
    bool ready() const { return ready_ == plan_.shard_tasks.size(); }
    bool failed() const { return error_.has_value(); }

private:
    void StartSource();
    void Resume();
    void SendBatch(size_t shard);
    void EndCopies(const char* abort_reason);
    void Fail(wire::ErrorFields f);
    void OnRunDone();
    void Commit();

    uv_loop_t* loop_;
    ConnSource* source_;
    txn::TwoPhaseLog& log_;
    CopyPlan plan_;
    Callbacks cb_;
    CopySplitter splitter_;
    std::unique_ptr<TaskRun> run_;
    std::unique_ptr<txn::TwoPhaseCommit> commit_;  ///< the transaction id; decides and finishes
    std::optional<SourceMove> source_table_;
    std::unique_ptr<TaskRun> source_run_;
    bool source_copying_ = false;
    bool source_done_ = false;
    bool source_prepared_ = false;
    std::vector<std::string> buf_;
    std::vector<bool> in_copy_;
    std::vector<bool> started_;  ///< binary: the shard's stream has its header
    std::vector<bool> prepared_;
    size_t ready_ = 0;
    size_t pending_flush_ = 0;
    bool ended_ = false;
    bool input_done_ = false;
    bool run_done_ = false;
    bool finished_ = false;
    std::optional<wire::ErrorFields> error_;
    uint64_t rows_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::exec
