// proposal.h — the outcome of proposing an entry to the Raft group, as a plain value.
//
// Four outcomes, because a client must never be told "failed" for something that may have
// happened (the project guide: an outcome that cannot be known is reported as unknown):
//   kApplied    committed and applied; `index` is its log index
//   kRefused    committed, and the state machine refused it (deterministically, on every peer);
//               `error` says why, nothing changed
//   kNotLeader  definitely not in the log (the peer asked was not the leader); safe to retry
//   kUnknown    it may or may not commit (leadership lost after it was appended, the leader's
//               connection broke after the request was sent); never retried automatically
#pragma once

#include <cstdint>
#include <string>

#include "util/error.h"

namespace jade::coord::raft {

enum class Outcome : uint8_t { kApplied = 0, kRefused = 1, kNotLeader = 2, kUnknown = 3 };

struct ProposalResult {
    Outcome outcome = Outcome::kUnknown;
    uint64_t index = 0;  ///< log index (kApplied, kRefused)
    Error error;         ///< kRefused: the state machine's error; otherwise a description

    bool applied() const { return outcome == Outcome::kApplied; }
};

/** A result that is definitely not in the log. */
inline ProposalResult NotLeader(const std::string& why) {
    ProposalResult r;
    r.outcome = Outcome::kNotLeader;
    r.error = MakeError("25006", why);
    return r;
}

/** A result whose outcome cannot be known. */
inline ProposalResult UnknownOutcome(const std::string& why) {
    ProposalResult r;
    r.outcome = Outcome::kUnknown;
    r.error = MakeError("40003", why);
    return r;
}

}  // namespace jade::coord::raft
