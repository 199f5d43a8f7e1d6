// coordinator_group.h — this coordinator as one peer of a Raft group of coordinators.
//
// What it ties together: the replicated state (metadata/replicated_metadata.h: catalog + 2PC
// decisions), the Raft server (raft_node.h), the cluster port (cluster_transport.h) and
// requests to other peers (peer_client.h).
//
// Any peer can propose: the leader appends to the log itself; a follower forwards the entry to
// the leader over the cluster port and, once the leader says it is applied, waits until its own
// replica applied it too, so the client that made a change on a follower reads it there next.
// Without a leader, a proposal waits (bounded by propose_wait_ms) for one to be elected, then
// fails with 25006 naming the situation; an outcome that cannot be known (the leader's
// connection broke after the request was sent, leadership lost after appending) is reported as
// such (40003), never as a failure, and never retried.
//
// Membership changes (add/remove/transfer) are forwarded to the leader the same way.
// jade_coordinators asks every member for its own status over the cluster port.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metadata/replicated_metadata.h"
#include "raft/cluster_transport.h"
#include "raft/peer_client.h"
#include "raft/raft_node.h"
#include "raft/rpc_messages.h"

namespace jade::coord::raft {

struct GroupOptions {
    NodeOptions node;                      ///< id, cluster address, timeouts
    std::string bind_address;              ///< where the cluster port listens (default: node.address)
    std::string sql_address;               ///< where clients reach this peer (for hints and the view)
    std::string raft_dir;                  ///< libraft's log and snapshots
    std::vector<ServerInfo> bootstrap;     ///< initial members (empty: join an existing group)
    unsigned propose_wait_ms = 5000;       ///< how long a change waits for a leader to exist
    unsigned forward_timeout_ms = 10000;   ///< a forwarded change without answer: outcome unknown
    unsigned stale_after_ms = 5000;        ///< without leader contact for this long: read-only
};

/** One row of jade_coordinators, as the answering peer sees it. */
struct CoordinatorRow {
    PeerStatus status;        ///< the member's own report (role kUnavailable when unreachable)
    bool reachable = false;
    bool voter = true;
    uint64_t since_contact_ms = 0;  ///< since the answering peer last heard from it (UINT64_MAX: never)
};

class CoordinatorGroup : public RpcHandler {
public:
    CoordinatorGroup(uv_loop_t* loop, GroupOptions options);
    ~CoordinatorGroup() override;
    CoordinatorGroup(const CoordinatorGroup&) = delete;
    CoordinatorGroup& operator=(const CoordinatorGroup&) = delete;

    /** Listens on the cluster port and starts the Raft server (errors: port taken, bad log). */
    Status Start();
    /** Transfers leadership away when leading (bounded), then stops Raft; `done` when closed. */
    void Close(std::function<void()> done);

    const Catalog& catalog() const { return state_.catalog(); }
    const ReplicatedMetadata& state() const { return state_; }
    ReplicatedMetadata& mutable_state() { return state_; }
    RaftNode& node() { return *node_; }
    uint64_t id() const { return options_.node.id; }

    using ProposeCb = std::function<void(const ProposalResult&)>;
    using DoneCb = std::function<void(const Status&)>;
    /** Proposes an entry from any peer (see the top of this file). */
    void Propose(const MetadataEntry& entry, ProposeCb cb);
    void AddCoordinator(uint64_t id, const std::string& address, DoneCb cb);
    void RemoveCoordinator(uint64_t id, DoneCb cb);
    /** `id` 0: the most up-to-date follower. */
    void TransferLeadership(uint64_t id, DoneCb cb);
    /** Every member's status (asked over the cluster port, 500 ms each). */
    void CollectStatus(std::function<void(std::vector<CoordinatorRow>)> cb);
    PeerStatus SelfStatus();

    /** See RaftNode::IsActingLeader. */
    bool IsActingLeader() { return node_->IsActingLeader(); }
    /** Applied what the leader had committed when it was first heard from (serve clients after). */
    bool CaughtUp() const { return node_->CaughtUp(); }
    /** Caught up, and acting leader or in contact with one within stale_after_ms. */
    bool Writable();
    /** "coordinator 2 (SQL 10.0.0.2:6432)", or "none elected" — for errors and hints. */
    std::string LeaderDescription();

    // RpcHandler
    void HandleRpc(RpcType type, std::string payload, Reply reply) override;

private:
    struct Attempt;
    void TryPropose(std::shared_ptr<Attempt> a);
    void RetryLater(std::shared_ptr<Attempt> a);
    void Finish(std::shared_ptr<Attempt> a, ProposalResult r);
    void WaitApplied(uint64_t index, uint64_t deadline, std::function<void()> done);
    void CheckWaiters();
    void RunMembership(MembershipRequest req, DoneCb cb, uint64_t deadline);
    void RunMembershipLocally(const MembershipRequest& req, DoneCb cb);
    PeerClient& Client(uint64_t id, const std::string& address);
    Error NoLeaderError(const std::string& what);

    uv_loop_t* loop_;
    GroupOptions options_;
    ReplicatedMetadata state_;
    std::unique_ptr<ClusterTransport> transport_;
    std::unique_ptr<RaftNode> node_;
    std::map<uint64_t, std::unique_ptr<PeerClient>> clients_;  ///< by peer id (recreated if its address changes)
    std::map<uint64_t, std::string> sql_addresses_;           ///< learned from status replies
    struct Waiter {
        uint64_t index;
        uint64_t deadline;
        std::function<void()> done;
    };
    std::vector<Waiter> waiters_;
    bool closing_ = false;
    std::unique_ptr<uint64_t> leader_memo_;  ///< last leader id the state listener saw
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::raft
