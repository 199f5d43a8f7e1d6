// leader_lease.h — how long a Raft leader may still act alone: the leader lease (pure logic).
//
// A leader must stop acting on workers (failover, fencing renewal, 2PC recovery) before another
// leader can exist. libraft steps a leader down only between one and two election timeouts after
// it lost its majority (tick.c checkContactQuorum), while the majority side can elect a new
// leader after one election timeout, so libraft's own step-down is too late. The lease closes
// that gap with the reasoning of the Raft thesis §6.4.1:
//
//   A follower resets its election timer when it processes an AppendEntries of the current
//   leader, and while it has a leader it rejects RequestVote (recv_request_vote.c: "local server
//   has a leader", thesis §4.2.3), so it neither votes for another candidate nor becomes one
//   before one election timeout T has passed since then. If a majority holds an entry that the
//   leader APPENDED at time s, each of them received it in an AppendEntries sent at s or later,
//   and every possible new majority contains one of them: no new leader can exist before s + T.
//
// Entries, not heartbeats: heartbeats are identical and carry no id, so an answer cannot be tied
// to the time its request was sent; an entry has an index, and the leader's match index per
// follower (the same number libraft commits by) says which entries each follower holds. So the
// lease runs until (the append time of the newest entry a majority holds) + T - margin, and
// RaftNode keeps it fresh by appending a barrier entry when nothing else was appended for a
// third of the lease. Assumptions, stated in docs/architecture.md: clocks advance at the same
// rate (one host: one clock; across hosts the margin covers drift), and a restarted peer waits
// one election timeout before it joins (RaftNode does), because a restart forgets its leader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace jade::coord::raft {

class LeaderLease {
public:
    /** `election_timeout_ms` is T, the followers' minimum election timeout (libraft randomizes in [T, 2T)). */
    LeaderLease(uint64_t election_timeout_ms, uint64_t margin_ms)
        : duration_(election_timeout_ms > margin_ms ? election_timeout_ms - margin_ms : 0) {}

    /** Forgets every entry (a new leadership). */
    void Reset() { appended_.clear(); }
    /** This leader appended the entry `index` at `now`. */
    void Appended(uint64_t index, uint64_t now) { appended_[index] = now; }
    /**
     * The time until which no other leader can exist. `match` holds the match index of every
     * voter, `self` the position of the leader itself in it (its own copy counts as "now").
     * 0 when no majority holds an entry of this leadership.
     */
    uint64_t ValidUntil(const std::vector<uint64_t>& match, size_t self, uint64_t now);
    /** Append time of the newest entry of this leadership at or below `index` (0: none). */
    uint64_t AppendTime(uint64_t index) const;
    uint64_t duration() const { return duration_; }

private:
    uint64_t duration_;
    std::map<uint64_t, uint64_t> appended_;  ///< index → append time, this leadership's entries
};

}  // namespace jade::coord::raft
