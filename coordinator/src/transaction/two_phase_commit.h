// two_phase_commit.h — one atomic commit across several worker transactions: the only copy of
// the two-phase commit protocol in the coordinator (transaction blocks, multi-shard writes,
// COPY into shards and create_distributed_table all end here).
//
//   phase 1   PREPARE TRANSACTION '<gid>' on every participant (Run), or the participants
//             prepared themselves as the last step of their work (Decide: COPY lanes)
//   decision  every participant prepared → before_commit() (metadata proposals of the
//             transaction; an error aborts) → the commit record is made durable
//             (TwoPhaseLog::LogCommit; with Raft, the decision is proposed to the group here)
//   phase 2   COMMIT PREPARED everywhere; without a decision ROLLBACK PREPARED on the prepared
//             participants and ROLLBACK on the others
//   recovery  a participant that missed phase 2 is finished by recovery (server/recovery.cpp)
//             from the commit record: committed if the record exists, rolled back otherwise
//
// A participant is a transaction open on a connection the ConnSource gives for its node (the
// pinned connection of a transaction block), or (Decide) a prepared gid on that node, finished on
// any connection. The owner's connection source stays valid until `done` runs or Abandon().
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "executor/task_run.h"
#include "planner/plan.h"
#include "util/expected.h"

namespace jade::coord::txn {

class TwoPhaseLog;

class TwoPhaseCommit {
public:
    struct Participant {
        NodeRef node;     ///< node id (and address, for connections not pinned)
        std::string gid;  ///< TwoPhaseLog::Gid(txid, ...)
    };
    struct Outcome {
        bool committed = false;      ///< the commit decision was made durable
        bool unresolved = false;     ///< committed, but a participant has not confirmed phase 2 yet
        std::optional<Error> error;  ///< why it did not commit (first PREPARE failure, before_commit, log)
    };
    using DoneFn = std::function<void(const Outcome&)>;

    /** Registers a new transaction id in `log` (in flight until done or Abandon). */
    TwoPhaseCommit(uv_loop_t* loop, exec::ConnSource* source, TwoPhaseLog& log);
    ~TwoPhaseCommit();

    uint64_t txid() const { return txid_; }
    /** The gid of a participant of this transaction (node id, or shard id for COPY lanes). */
    std::string Gid(uint64_t participant) const;
    /**
     * Runs once every participant prepared, before the decision is logged; answers through its
     * callback (a metadata proposal may take a round of Raft); an error rolls everything back.
     */
    using BeforeCommitFn = std::function<void(std::function<void(Status)> answer)>;
    void SetBeforeCommit(BeforeCommitFn fn) { before_commit_ = std::move(fn); }

    /**
     * Phase 1 and 2 on open transactions: PREPARE each participant on the source's connection for
     * its node; a participant whose PREPARE failed is rolled back with ROLLBACK where
     * `still_open(node id)` (its connection is still held).
     */
    void Run(std::vector<Participant> participants, std::function<bool(uint32_t)> still_open, DoneFn done);
    /**
     * The participants ran PREPARE themselves; `prepared[i]` says which did. Commits when all did
     * and `failure` is empty; otherwise rolls back the prepared ones.
     */
    void Decide(std::vector<Participant> participants, std::vector<bool> prepared, std::optional<Error> failure,
                DoneFn done);
    /**
     * The owner is going away: running work is dropped (its connections discarded) and the
     * transaction is left to recovery, which commits it if the decision was logged and rolls it
     * back otherwise. No callback runs afterwards.
     */
    void Abandon();

private:
    void Conclude(bool commit, std::function<bool(uint32_t)> still_open);
    void Phase2(bool commit, std::function<bool(uint32_t)> still_open);

    uv_loop_t* loop_;
    exec::ConnSource* source_;
    TwoPhaseLog& log_;
    uint64_t txid_;
    BeforeCommitFn before_commit_;
    std::vector<Participant> participants_;
    std::vector<bool> prepared_;
    Outcome outcome_;
    DoneFn done_;
    std::unique_ptr<exec::TaskRun> run_;
    bool finished_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::txn
