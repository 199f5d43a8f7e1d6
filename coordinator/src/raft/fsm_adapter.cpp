// fsm_adapter.cpp — libraft FSM callbacks (see fsm_adapter.h).
#include "raft/fsm_adapter.h"

#include <cstdio>
#include <cstring>

namespace jade::coord::raft {

FsmAdapter::FsmAdapter(StateMachine* machine) : machine_(machine) {
    fsm_.version = 1;  // libraft owns (and frees) snapshot buffers; no async snapshots
    fsm_.data = this;
    fsm_.apply = &FsmAdapter::ApplyTrampoline;
    fsm_.snapshot = &FsmAdapter::SnapshotTrampoline;
    fsm_.restore = &FsmAdapter::RestoreTrampoline;
}

// Applies one committed command entry. Always returns 0: a refusal is an outcome, not a failure
// (a non-zero return would make libraft stop applying on this peer only, diverging from the rest).
int FsmAdapter::ApplyTrampoline(raft_fsm* fsm, const raft_buffer* buf, void** result) {
    auto* self = static_cast<FsmAdapter*>(fsm->data);
    // applyCommand() advances last_applied after we return, so this entry is the next one.
    uint64_t index = self->raft_ != nullptr ? raft_last_applied(self->raft_) + 1 : 0;
    self->last_outcome_ = self->machine_->Apply(index, std::string_view(static_cast<const char*>(buf->base), buf->len));
    self->applied_++;
    if (!self->last_outcome_.ok()) self->refused_++;
    *result = &self->last_outcome_;
    return 0;
}

// Copies the state into one raft_malloc'd buffer; libraft frees it (fsm version 1).
int FsmAdapter::SnapshotTrampoline(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
    auto* self = static_cast<FsmAdapter*>(fsm->data);
    std::string bytes = self->machine_->Snapshot();
    auto* out = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
    if (out == nullptr) return RAFT_NOMEM;
    out->len = bytes.size();
    out->base = raft_malloc(bytes.empty() ? 1 : bytes.size());
    if (out->base == nullptr) {
        raft_free(out);
        return RAFT_NOMEM;
    }
    if (!bytes.empty()) std::memcpy(out->base, bytes.data(), bytes.size());
    *bufs = out;
    *n_bufs = 1;
    return 0;
}

// Restores a snapshot; the buffer is ours to free once decoded (snapshot.c snapshotRestore).
int FsmAdapter::RestoreTrampoline(raft_fsm* fsm, raft_buffer* buf) {
    auto* self = static_cast<FsmAdapter*>(fsm->data);
    Status st = self->machine_->Restore(std::string_view(static_cast<const char*>(buf->base), buf->len));
    if (!st.ok()) {
        std::fprintf(stderr, "jade-coordinator: raft: cannot restore snapshot: %s\n", st.error().message.c_str());
        return RAFT_CORRUPT;  // keep the buffer: libraft frees it on this path
    }
    raft_free(buf->base);
    return 0;
}

}  // namespace jade::coord::raft
