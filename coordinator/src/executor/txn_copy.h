// txn_copy.h — COPY FROM STDIN into a distributed table inside a transaction block.
//
// The rows must become part of the client's worker transactions (later statements of the block
// read them; ROLLBACK removes them), and a block holds one connection per node, which can run
// one COPY at a time while several shards of the node need rows. So the rows are split by shard
// as they arrive (CopySplitter, bytes unchanged) and collected per shard; a full batch (kBatch)
// becomes one `COPY <shard> FROM STDIN` command on its node's block connection (BEGIN is sent
// lazily, as for any statement of the block), and each node sends its batches one after the
// other while the nodes work in parallel. Binary batches are each a complete stream (the
// client's header, tuples, trailer). The block commits as usual: one written node → COMMIT,
// several → 2PC.
//
// Memory: shards × kBatch of collecting buffers plus at most kQueuedBatches batches per node; the
// client's input is not read while a node's queue is full (paused()).
// A failed batch fails the COPY (and the block); batches not sent yet are dropped.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copy/copy_split.h"
#include "executor/copy_target.h"
#include "executor/task_run.h"
#include "planner/plan.h"

namespace jade::coord::exec {

class TxnCopy final : public CopyTarget {
public:
    /** `wrote_node`: a batch committed into the block's transaction on that node. */
    TxnCopy(uv_loop_t* loop, ConnSource* source, CopyPlan plan, Callbacks cb,
            std::function<void(uint32_t node_id)> wrote_node);
    ~TxnCopy() override;

    void Start() override;
    void Feed(std::string_view data) override;
    void Finish() override;
    void Abort(const wire::ErrorFields& error) override;
    void Abandon() override;
    void Cancel() override;
    bool paused() const override { return paused_; }

private:
    static constexpr size_t kBatch = 256 * 1024;
    static constexpr size_t kQueuedBatches = 4;

    struct NodeQueue {
        NodeRef node;
        std::deque<std::pair<size_t, std::string>> batches;  ///< (shard index, COPY data)
        std::unique_ptr<TaskRun> run;                          ///< the batch being sent
    };

    void Collect(uint32_t shard, std::string_view row);
    void Enqueue(size_t shard);
    void SendNext(NodeQueue& q);
    void UpdatePause();
    void Fail(wire::ErrorFields f);
    void MaybeDone();

    uv_loop_t* loop_;
    ConnSource* source_;
    CopyPlan plan_;
    Callbacks cb_;
    std::function<void(uint32_t)> wrote_node_;
    CopySplitter splitter_;
    std::vector<std::string> buf_;             ///< rows collected per shard
    std::map<uint32_t, NodeQueue> nodes_;      ///< by node id
    bool input_done_ = false;
    bool finished_ = false;
    bool paused_ = false;
    std::optional<wire::ErrorFields> error_;
    uint64_t rows_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::exec
