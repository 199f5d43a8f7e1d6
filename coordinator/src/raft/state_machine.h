// state_machine.h — what a replicated state machine gives the Raft layer (no libraft types).
//
// The Raft log carries opaque entries; every peer applies the committed ones in log order.
// Apply must be deterministic: no clock, no I/O, no randomness, the same result on every peer.
// An entry the state machine refuses (a command that no longer fits the state) is a normal,
// logged outcome: Apply returns the refusal, the state is unchanged, and the proposer is told.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::raft {

class StateMachine {
public:
    virtual ~StateMachine() = default;
    /** Applies the committed entry at log `index`; an error is a deterministic refusal. */
    virtual Status Apply(uint64_t index, std::string_view entry) = 0;
    /** The whole state as bytes (a snapshot; the log before it is then compacted away). */
    virtual std::string Snapshot() const = 0;
    /** Replaces the state with a snapshot; an error stops this peer (it cannot follow the log). */
    virtual Status Restore(std::string_view snapshot) = 0;
};

}  // namespace jade::coord::raft
