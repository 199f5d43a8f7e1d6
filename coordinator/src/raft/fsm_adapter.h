// fsm_adapter.h — C trampolines from libraft's `struct raft_fsm` to a C++ StateMachine.
//
// libraft calls apply/snapshot/restore on the loop thread. The outcome of an apply reaches the
// proposer through the `result` pointer of its raft_apply callback, which libraft invokes right
// after fsm->apply (replication.c applyCommand), so the adapter hands out a pointer to its own
// `last_outcome_` instead of allocating one per entry (followers have no callback to free it).
#pragma once

#include "raft/raft_c.h"
#include "raft/state_machine.h"

namespace jade::coord::raft {

class FsmAdapter {
public:
    explicit FsmAdapter(StateMachine* machine);
    FsmAdapter(const FsmAdapter&) = delete;
    FsmAdapter& operator=(const FsmAdapter&) = delete;

    /** The struct to pass to raft_init / raft_fixture_grow. */
    raft_fsm* fsm() { return &fsm_; }
    /** The raft instance using this adapter (for the index of the entry being applied). */
    void Bind(::raft* r) { raft_ = r; }
    /** Number of entries applied, and how many were refused, since start (for status views). */
    uint64_t applied() const { return applied_; }
    uint64_t refused() const { return refused_; }

private:
    static int ApplyTrampoline(raft_fsm* fsm, const raft_buffer* buf, void** result);
    static int SnapshotTrampoline(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
    static int RestoreTrampoline(raft_fsm* fsm, raft_buffer* buf);

    raft_fsm fsm_{};
    StateMachine* machine_;
    ::raft* raft_ = nullptr;
    Status last_outcome_;
    uint64_t applied_ = 0;
    uint64_t refused_ = 0;
};

}  // namespace jade::coord::raft
