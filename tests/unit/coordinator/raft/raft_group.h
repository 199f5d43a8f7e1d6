// raft_group.h — N RaftNodes on libraft's raft_fixture: in-memory network, simulated time.
//
// The same RaftNode code as in the daemon (io_observer, lease, barrier, trampolines) runs over
// the fixture's stub io, so elections, crashes, partitions, message loss, membership changes
// and snapshot installs are replayed deterministically in milliseconds of real time.
// DEPENDENCIES.md §4: raft_fixture_initialize does not zero the struct (`raft_fixture f{}`),
// and the fixture's "has leader" only updates while stepping.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "metadata/byte_codec.h"
#include "raft/raft_node.h"

extern "C" {
#include <raft/fixture.h>
}

namespace jade::coord::raft::testing {

/** A state machine that keeps the applied entries in order and refuses entries starting with '!'. */
class LogMachine : public StateMachine {
public:
    Status Apply(uint64_t index, std::string_view entry) override {
        (void)index;
        if (!entry.empty() && entry[0] == '!') {
            return MakeError("22023", "entry \"" + std::string(entry) + "\" refused");
        }
        applied.emplace_back(entry);
        return {};
    }
    std::string Snapshot() const override {
        ByteWriter w;
        w.StrList(applied);
        return std::move(w.bytes());
    }
    Status Restore(std::string_view snapshot) override {
        ByteReader r(snapshot);
        auto v = r.StrList();
        if (r.failed() || !r.at_end()) return MakeError("XX001", "bad test snapshot");
        applied = std::move(v);
        restores++;
        return {};
    }
    std::vector<std::string> applied;
    int restores = 0;
};

constexpr unsigned kElectionMs = 500;
constexpr unsigned kHeartbeatMs = 50;

class RaftGroup {
public:
    /** `n` servers; the first `voters` are voters of the bootstrap configuration, the rest spares. */
    explicit RaftGroup(unsigned n, unsigned voters = 0, unsigned snapshot_threshold = 1024,
                       unsigned snapshot_trailing = 128) {
        REQUIRE(raft_fixture_initialize(&f_) == 0);
        for (unsigned i = 0; i < n; ++i) Grow(snapshot_threshold, snapshot_trailing);
        raft_configuration conf;
        REQUIRE(raft_fixture_configuration(&f_, voters == 0 ? n : voters, &conf) == 0);
        REQUIRE(raft_fixture_bootstrap(&f_, &conf) == 0);
        raft_configuration_close(&conf);
        REQUIRE(raft_fixture_start(&f_) == 0);
    }
    ~RaftGroup() { raft_fixture_close(&f_); }
    RaftGroup(const RaftGroup&) = delete;
    RaftGroup& operator=(const RaftGroup&) = delete;

    /** Adds a server that is in no configuration yet (it joins through AddVoter). */
    unsigned AddJoiner(unsigned snapshot_threshold = 1024, unsigned snapshot_trailing = 128) {
        unsigned i = Grow(snapshot_threshold, snapshot_trailing);
        REQUIRE(raft_start(raft_fixture_get(&f_, i)) == 0);
        return i;
    }

    unsigned size() const { return static_cast<unsigned>(nodes_.size()); }
    RaftNode& node(unsigned i) { return *nodes_[i]; }
    LogMachine& machine(unsigned i) { return *machines_[i]; }
    raft_fixture* fixture() { return &f_; }
    uint64_t now() const { return f_.time; }

    /** Steps one event, then checks the lease invariant (see CheckLeaseSafety). */
    void Step() {
        raft_fixture_step(&f_);
        CheckLeaseSafety();
    }
    /** Steps until `pred` holds; false when `max_ms` of simulated time passed first. */
    bool StepUntil(const std::function<bool()>& pred, unsigned max_ms) {
        uint64_t deadline = f_.time + max_ms;
        for (int guard = 0; guard < 1000000 && f_.time <= deadline; ++guard) {
            if (pred()) return true;
            Step();
        }
        return pred();
    }
    void StepFor(unsigned ms) {
        StepUntil([] { return false; }, ms);
    }
    /** Index of the server acting as leader, or -1. */
    int ActingLeader() {
        int found = -1;
        for (unsigned i = 0; i < size(); ++i) {
            if (raft_fixture_alive(&f_, i) && nodes_[i]->IsActingLeader()) found = static_cast<int>(i);
        }
        return found;
    }
    /** Steps until some server acts as leader; returns it. */
    int WaitForActingLeader(unsigned max_ms = 5000) {
        int leader = -1;
        bool ok = StepUntil(
            [&] {
                leader = ActingLeader();
                return leader >= 0;
            },
            max_ms);
        INFO(Describe());
        REQUIRE(ok);
        return leader;
    }
    /** Proposes on server i and steps until the outcome is known. */
    ProposalResult ProposeAndWait(unsigned i, const std::string& entry, unsigned max_ms = 5000) {
        bool done = false;
        ProposalResult result;
        nodes_[i]->Propose(entry, [&](const ProposalResult& r) {
            done = true;
            result = r;
        });
        REQUIRE(StepUntil([&] { return done; }, max_ms));
        return result;
    }
    /** Cuts every link between `side` and the other servers (both directions). */
    void Partition(const std::vector<unsigned>& side) {
        for (unsigned i : side) {
            for (unsigned j = 0; j < size(); ++j) {
                if (std::find(side.begin(), side.end(), j) != side.end()) continue;
                raft_fixture_disconnect(&f_, i, j);
                raft_fixture_disconnect(&f_, j, i);
            }
        }
    }
    void Heal() {
        for (unsigned i = 0; i < size(); ++i) {
            for (unsigned j = 0; j < size(); ++j) {
                if (i == j) continue;
                raft_fixture_reconnect(&f_, i, j);
                raft_fixture_desaturate(&f_, i, j);
            }
        }
    }
    /** True when every live server has applied exactly the same entries as server `ref`. */
    bool MachinesEqual(unsigned ref) {
        for (unsigned i = 0; i < size(); ++i) {
            if (machines_[i]->applied != machines_[ref]->applied) return false;
        }
        return true;
    }

    /**
     * The property the lease exists for: while a server acts as leader, no other server is
     * leader (of any term) and no other server acts. Checked after every step.
     */
    void CheckLeaseSafety() {
        int acting = -1;
        for (unsigned i = 0; i < size(); ++i) {
            if (!raft_fixture_alive(&f_, i) || !nodes_[i]->IsActingLeader()) continue;
            INFO("time " << f_.time << ": servers " << acting + 1 << " and " << i + 1 << " both act as leader");
            REQUIRE(acting < 0);
            acting = static_cast<int>(i);
        }
        if (acting < 0) return;
        for (unsigned j = 0; j < size(); ++j) {
            if (static_cast<int>(j) == acting || !raft_fixture_alive(&f_, j)) continue;
            if (raft_state(raft_fixture_get(&f_, j)) != RAFT_LEADER) continue;
            // A deposed leader that has not noticed yet is harmless while it does not act;
            // a leader of a newer term would mean the acting one should have stopped.
            INFO("time " << f_.time << ": server " << acting + 1 << " acts as leader of term "
                         << nodes_[acting]->term() << " while server " << j + 1 << " is leader of term "
                         << nodes_[j]->term());
            REQUIRE(nodes_[j]->term() < nodes_[acting]->term());
        }
    }

    /** One line per server: role, term, acting, applied (for failure messages). */
    std::string Describe() {
        std::string out;
        for (unsigned i = 0; i < size(); ++i) {
            out += "server " + std::to_string(i + 1) + ": " + RoleName(nodes_[i]->role()) + " term " +
                   std::to_string(nodes_[i]->term()) + " leader " + std::to_string(nodes_[i]->leader_id()) +
                   (nodes_[i]->IsActingLeader() ? " acting" : "") + " lease_until " +
                   std::to_string(nodes_[i]->LeaseValidUntil()) + " applied " +
                   std::to_string(nodes_[i]->last_applied()) + (raft_fixture_alive(&f_, i) ? "" : " dead") + "\n";
        }
        return out + "now " + std::to_string(f_.time);
    }

private:
    unsigned Grow(unsigned snapshot_threshold, unsigned snapshot_trailing) {
        unsigned i = static_cast<unsigned>(nodes_.size());
        machines_.push_back(std::make_unique<LogMachine>());
        NodeOptions opts;
        opts.id = i + 1;
        opts.address = std::to_string(i + 1);
        opts.election_timeout_ms = kElectionMs;
        opts.heartbeat_ms = kHeartbeatMs;
        opts.log_changes = false;
        nodes_.push_back(std::make_unique<RaftNode>(machines_.back().get(), opts));
        REQUIRE(raft_fixture_grow(&f_, nodes_.back()->fsm()) == 0);
        ::raft* r = raft_fixture_get(&f_, i);
        nodes_.back()->AttachFixture(r);
        raft_set_election_timeout(r, kElectionMs);
        raft_set_heartbeat_timeout(r, kHeartbeatMs);
        raft_set_snapshot_threshold(r, snapshot_threshold);
        raft_set_snapshot_trailing(r, snapshot_trailing);
        // Deterministic, distinct follower timeouts inside libraft's [T, 2T) window.
        raft_fixture_set_randomized_election_timeout(&f_, i, kElectionMs + 40 * i);
        return i;
    }

    raft_fixture f_{};
    std::vector<std::unique_ptr<LogMachine>> machines_;
    std::vector<std::unique_ptr<RaftNode>> nodes_;
};

}  // namespace jade::coord::raft::testing
