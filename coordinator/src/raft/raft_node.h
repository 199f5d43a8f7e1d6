// raft_node.h — our interface to one libraft server: propose, barrier, membership, leadership.
//
// RaftNode owns a `struct raft` (or, in tests, attaches to one of raft_fixture's) and turns
// libraft's C callbacks into C++ ones. Everything runs on the loop thread; no method blocks.
//
// Leadership, as the rest of the coordinator sees it (IsActingLeader):
//   1. libraft says we are leader (state LEADER, no leadership transfer under way),
//   2. a barrier of the current term has been applied: the state machine holds every entry of
//      earlier terms, so what the leader reads (catalog, 2PC decisions) is the whole truth
//      (Raft thesis §6.4: a new leader commits an entry of its own term first),
//   3. the leader lease is valid now (leader_lease.h): no other leader can exist yet.
// Leader duties (worker health checks, failover, fencing renewal, 2PC recovery) check
// IsActingLeader() right before each action, and start/stop their periodic work from the
// leadership listener, which is told whenever the answer changes (at the latest one heartbeat
// interval after the lease ran out). Proposals need none of this: Raft itself refuses to commit
// a deposed leader's entries.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raft/fsm_adapter.h"
#include "raft/io_observer.h"
#include "raft/leader_lease.h"
#include "raft/proposal.h"
#include "raft/raft_c.h"
#include "raft/state_machine.h"

namespace jade::coord::raft {

enum class Role { kUnavailable, kFollower, kCandidate, kLeader };
/** "leader", "follower", "candidate", "unavailable" (as in jade_coordinators.role). */
const char* RoleName(Role role);

/** A member of the Raft configuration. */
struct ServerInfo {
    uint64_t id = 0;
    std::string address;  ///< host:port of its cluster port
    bool voter = true;    ///< false while a new server catches up (libraft standby/spare)
};

struct NodeOptions {
    uint64_t id = 0;
    std::string address;               ///< cluster address other peers connect to (numeric host:port)
    unsigned election_timeout_ms = 500;  ///< followers wait [T, 2T) without a leader before an election
    unsigned heartbeat_ms = 50;
    unsigned snapshot_threshold = 1024;  ///< entries between snapshots (log compaction)
    unsigned snapshot_trailing = 256;    ///< entries kept after a snapshot for slow followers
    unsigned lease_margin_ms = 0;        ///< subtracted from T for the lease (0: T/5)
    bool log_changes = true;             ///< role, term and leadership changes to stderr
};

class RaftNode : private IoEvents {
public:
    RaftNode(StateMachine* machine, NodeOptions options);
    ~RaftNode() override;
    RaftNode(const RaftNode&) = delete;
    RaftNode& operator=(const RaftNode&) = delete;

    /**
     * Daemon: libraft's raft_uv on `loop` with its log in `dir`, peers reached through `transport`
     * (not owned; raft_uv closes it). With `bootstrap` non-empty and an empty `dir`, the group is
     * created with that configuration; otherwise the configuration comes from the log (a joining
     * server starts empty and waits to be added). raft_start runs one election timeout later,
     * so that a restarted peer cannot vote against a lease it granted before it died.
     */
    Status StartUv(uv_loop_t* loop, const std::string& dir, raft_uv_transport* transport,
                   const std::vector<ServerInfo>& bootstrap);
    /** Tests: the fsm for raft_fixture_grow, then AttachFixture(raft_fixture_get(...)) before raft_fixture_start. */
    raft_fsm* fsm() { return fsm_.fsm(); }
    void AttachFixture(::raft* r);

    using ProposeCb = std::function<void(const ProposalResult&)>;
    using DoneCb = std::function<void(const Status&)>;
    /** Appends `entry` to the log if this server is the leader; `cb` gets the outcome once known. */
    void Propose(const std::string& entry, ProposeCb cb);
    /** Completes once every entry before it is applied here (leader only). */
    void Barrier(DoneCb cb);
    /** Adds a server: first as a non-voter that catches up, then as a voter (leader only). */
    void AddVoter(uint64_t id, const std::string& address, DoneCb cb);
    /** Removes a server from the configuration (leader only). */
    void RemoveServer(uint64_t id, DoneCb cb);
    /** Hands leadership to `id` (0: the most up-to-date voter); done when another server leads. */
    void TransferLeadership(uint64_t id, DoneCb cb);
    /** Stops the server; `done` runs when libraft and its I/O are closed. */
    void Close(std::function<void()> done);

    Role role() const;
    uint64_t id() const { return options_.id; }
    const std::string& address() const { return options_.address; }
    uint64_t term() const;
    uint64_t leader_id() const;
    std::string leader_address() const;
    uint64_t commit_index() const;
    uint64_t last_applied() const;
    uint64_t last_index() const;
    std::vector<ServerInfo> Configuration() const;
    /** libraft's clock (ms; simulated under raft_fixture). */
    uint64_t Now() const;

    bool IsLeader() const;
    /** Leader, barrier of this term applied, lease valid right now (see the top of this file). */
    bool IsActingLeader();
    /** Time until which no other leader can exist (0 when not leading). */
    uint64_t LeaseValidUntil();
    /**
     * True once this server has applied what the leader had committed when it first heard from
     * one (or, as leader, its barrier): before that its state may be older than what clients saw.
     */
    bool CaughtUp() const { return caught_up_; }
    /** Milliseconds since any message arrived from `peer` (UINT64_MAX: never). */
    uint64_t SinceContactMs(uint64_t peer) const;
    /** Milliseconds since the current leader was last heard from (0 as acting leader, UINT64_MAX: none). */
    uint64_t SinceLeaderContactMs();

    /** Called with (acting, term) whenever IsActingLeader's answer changes. */
    void AddLeadershipListener(std::function<void(bool acting, uint64_t term)> listener);
    /** Called after every event that may have changed role, term, leader or applied index. */
    void AddStateListener(std::function<void()> listener);

    const FsmAdapter& fsm_adapter() const { return fsm_; }

private:
    // IoEvents
    uint64_t WillSend(const raft_message& message) override;
    void SendDone(uint64_t server_id, uint64_t ticket, int status) override;
    void WillReceive(const raft_message& message) override;
    void Handled() override;

    void Evaluate();
    void StartBarrierOfTerm(uint64_t term);
    void NoteAppended(uint64_t index);
    void KeepLease();
    void OnStartTimer();
    static std::string ErrorText(int rv, const ::raft* r);

    StateMachine* machine_;
    NodeOptions options_;
    FsmAdapter fsm_;
    ::raft* raft_ = nullptr;
    std::unique_ptr<::raft> owned_raft_;
    std::unique_ptr<raft_io> uv_io_;
    std::unique_ptr<IoObserver> observer_;
    uv_timer_t* start_timer_ = nullptr;
    bool started_ = false;
    bool closing_ = false;

    LeaderLease lease_;
    uint64_t led_term_ = 0;          ///< term of our current (or last) leadership
    uint64_t barrier_term_ = 0;      ///< term whose leadership barrier was issued
    bool barrier_done_ = false;      ///< a barrier of led_term_ has been applied
    bool acting_ = false;            ///< last answer given to the leadership listeners
    bool transferring_ = false;
    bool keeper_in_flight_ = false;
    uint64_t last_append_ = 0;       ///< Now() of this leader's newest append
    bool caught_up_ = false;
    uint64_t catch_up_target_ = 0;   ///< leader's commit index when first heard from
    uint64_t last_role_term_ = 0;
    int last_state_ = -1;
    uint64_t last_leader_seen_ = 0;
    std::map<uint64_t, uint64_t> last_contact_;  ///< peer id → Now() of its last message
    std::vector<std::function<void(bool, uint64_t)>> leadership_listeners_;
    std::vector<std::function<void()>> state_listeners_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::raft
