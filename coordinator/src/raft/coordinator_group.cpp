// coordinator_group.cpp — this coordinator as a peer of the Raft group (see the header).
#include "raft/coordinator_group.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace jade::coord::raft {
namespace {

constexpr unsigned kRetryMs = 50;
constexpr unsigned kStatusTimeoutMs = 500;
constexpr unsigned kApplyWaitMs = 2000;
constexpr unsigned kMembershipTimeoutMs = 30000;

// Runs `fn` once after `ms` on the loop.
void After(uv_loop_t* loop, unsigned ms, std::function<void()> fn) {
    struct Timer {
        uv_timer_t timer{};
        std::function<void()> fn;
    };
    auto* t = new Timer;
    t->fn = std::move(fn);
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    uv_timer_start(
        &t->timer,
        [](uv_timer_t* h) {
            auto* t = static_cast<Timer*>(h->data);
            auto fn = std::move(t->fn);
            uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* x) { delete static_cast<Timer*>(x->data); });
            fn();
        },
        ms, 0);
}

}  // namespace

struct CoordinatorGroup::Attempt {
    std::string entry;
    ProposeCb cb;
    uint64_t deadline = 0;
};

CoordinatorGroup::CoordinatorGroup(uv_loop_t* loop, GroupOptions options)
    : loop_(loop), options_(std::move(options)) {
    transport_ = std::make_unique<ClusterTransport>(loop_, this);
    node_ = std::make_unique<RaftNode>(&state_, options_.node);
    std::weak_ptr<bool> alive = alive_;
    uint64_t* last_leader = new uint64_t(0);
    node_->AddStateListener([this, alive, last_leader] {
        if (alive.expired()) return;
        CheckWaiters();
        // Learn the SQL address of a new leader, for the hints in errors.
        uint64_t leader = node_->leader_id();
        if (leader != *last_leader) {
            *last_leader = leader;
            if (leader != 0 && leader != id() && sql_addresses_.count(leader) == 0) {
                Client(leader, node_->leader_address())
                    .Call(RpcType::kStatus, "", kStatusTimeoutMs,
                          [this, alive](const std::string& err, bool, const Frame& f) {
                              if (alive.expired() || !err.empty()) return;
                              auto st = DecodePeerStatus(f.payload);
                              if (st) sql_addresses_[st->id] = st->sql_address;
                          });
            }
        }
    });
    leader_memo_.reset(last_leader);
}

CoordinatorGroup::~CoordinatorGroup() { *alive_ = false; }

Status CoordinatorGroup::Start() {
    sql_addresses_[id()] = options_.sql_address;
    std::string bind = options_.bind_address.empty() ? options_.node.address : options_.bind_address;
    JADE_TRY_STATUS(transport_->Listen(bind));
    return node_->StartUv(loop_, options_.raft_dir, transport_->transport(), options_.bootstrap);
}

// A leader hands over first (bounded by libraft's transfer timeout), so a planned restart costs
// clients no election timeout.
void CoordinatorGroup::Close(std::function<void()> done) {
    if (closing_) return;
    closing_ = true;
    auto finish = [this, done] {
        for (auto& w : std::vector<Waiter>(std::move(waiters_))) w.done();
        waiters_.clear();
        clients_.clear();
        node_->Close(done);
    };
    bool others = false;
    for (const ServerInfo& s : node_->Configuration()) others |= s.voter && s.id != id();
    if (node_->IsLeader() && others) {
        node_->TransferLeadership(0, [finish](const Status&) { finish(); });
        return;
    }
    finish();
}

void CoordinatorGroup::Propose(const MetadataEntry& entry, ProposeCb cb) {
    auto a = std::make_shared<Attempt>();
    a->entry = EncodeEntry(entry);
    a->cb = std::move(cb);
    a->deadline = uv_now(loop_) + options_.propose_wait_ms;
    TryPropose(a);
}

// Leader: append. Follower: forward to the leader. Nobody leads: wait and try again.
void CoordinatorGroup::TryPropose(std::shared_ptr<Attempt> a) {
    if (closing_) {
        Finish(a, NotLeader("the coordinator is shutting down"));
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    if (node_->IsLeader()) {
        node_->Propose(a->entry, [this, a, alive](const ProposalResult& r) {
            if (alive.expired()) return;
            if (r.outcome == Outcome::kNotLeader) {
                RetryLater(a);
            } else {
                Finish(a, r);
            }
        });
        return;
    }
    uint64_t leader = node_->leader_id();
    if (leader == 0 || leader == id()) {
        RetryLater(a);
        return;
    }
    Client(leader, node_->leader_address())
        .Call(RpcType::kPropose, a->entry, options_.forward_timeout_ms,
              [this, a, alive](const std::string& err, bool maybe_delivered, const Frame& f) {
                  if (alive.expired()) return;
                  if (!err.empty()) {
                      if (maybe_delivered) {
                          Finish(a, UnknownOutcome("the change was sent to the coordinator leader, but no answer came "
                                                   "back: " + err));
                      } else {
                          RetryLater(a);
                      }
                      return;
                  }
                  auto r = DecodeProposalResult(f.payload);
                  if (!r) {
                      Finish(a, UnknownOutcome("the coordinator leader's answer was malformed"));
                      return;
                  }
                  if (r->outcome == Outcome::kNotLeader) {
                      RetryLater(a);
                      return;
                  }
                  if (r->outcome == Outcome::kUnknown) {
                      Finish(a, *r);
                      return;
                  }
                  // Applied or refused at the leader: wait until this replica applied it as well.
                  ProposalResult res = *r;
                  WaitApplied(res.index, uv_now(loop_) + kApplyWaitMs, [this, a, res] { Finish(a, res); });
              });
}

void CoordinatorGroup::RetryLater(std::shared_ptr<Attempt> a) {
    if (uv_now(loop_) >= a->deadline) {
        ProposalResult r;
        r.outcome = Outcome::kNotLeader;
        r.error = NoLeaderError("cannot change metadata");
        Finish(a, r);
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    After(loop_, kRetryMs, [this, a, alive] {
        if (!alive.expired()) TryPropose(a);
    });
}

void CoordinatorGroup::Finish(std::shared_ptr<Attempt> a, ProposalResult r) {
    if (!a->cb) return;
    ProposeCb cb = std::move(a->cb);
    a->cb = nullptr;
    cb(r);
}

Error CoordinatorGroup::NoLeaderError(const std::string& what) {
    uint64_t leader = node_->leader_id();
    std::string detail = leader == 0 ? "No coordinator leader has been elected; a majority of the coordinators must "
                                       "be running and reachable from each other."
                                     : "The coordinator leader is " + LeaderDescription() + " and did not answer.";
    return MakeError("25006", what + ": no coordinator leader is reachable", detail,
                     "Try again; see SELECT * FROM jade_coordinators.");
}

std::string CoordinatorGroup::LeaderDescription() {
    uint64_t leader = node_->leader_id();
    if (leader == 0) return "none (no leader elected)";
    std::string d = "coordinator " + std::to_string(leader);
    auto it = sql_addresses_.find(leader);
    if (it != sql_addresses_.end() && !it->second.empty()) d += " (SQL " + it->second + ")";
    if (leader == id()) d += ", this one";
    return d;
}

void CoordinatorGroup::WaitApplied(uint64_t index, uint64_t deadline, std::function<void()> done) {
    if (node_->last_applied() >= index || closing_) {
        done();
        return;
    }
    waiters_.push_back(Waiter{index, deadline, std::move(done)});
}

void CoordinatorGroup::CheckWaiters() {
    if (waiters_.empty()) return;
    uint64_t applied = node_->last_applied();
    uint64_t now = uv_now(loop_);
    std::vector<std::function<void()>> ready;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (applied >= it->index || now >= it->deadline) {
            ready.push_back(std::move(it->done));
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& fn : ready) fn();
}

void CoordinatorGroup::AddCoordinator(uint64_t peer, const std::string& address, DoneCb cb) {
    RunMembership(MembershipRequest{MembershipOp::kAdd, peer, address}, std::move(cb),
                  uv_now(loop_) + options_.propose_wait_ms);
}

void CoordinatorGroup::RemoveCoordinator(uint64_t peer, DoneCb cb) {
    RunMembership(MembershipRequest{MembershipOp::kRemove, peer, ""}, std::move(cb),
                  uv_now(loop_) + options_.propose_wait_ms);
}

void CoordinatorGroup::TransferLeadership(uint64_t peer, DoneCb cb) {
    RunMembership(MembershipRequest{MembershipOp::kTransfer, peer, ""}, std::move(cb),
                  uv_now(loop_) + options_.propose_wait_ms);
}

// Membership changes run on the leader; followers forward them like proposals.
void CoordinatorGroup::RunMembership(MembershipRequest req, DoneCb cb, uint64_t deadline) {
    std::weak_ptr<bool> alive = alive_;
    auto retry = [this, alive, req, cb, deadline] {
        if (uv_now(loop_) >= deadline) {
            cb(NoLeaderError("cannot change the coordinator group"));
            return;
        }
        After(loop_, kRetryMs, [this, alive, req, cb, deadline] {
            if (!alive.expired()) RunMembership(req, cb, deadline);
        });
    };
    if (closing_) {
        cb(MakeError("57P01", "the coordinator is shutting down"));
        return;
    }
    if (node_->IsLeader()) {
        RunMembershipLocally(req, cb);
        return;
    }
    uint64_t leader = node_->leader_id();
    if (leader == 0 || leader == id()) {
        retry();
        return;
    }
    Client(leader, node_->leader_address())
        .Call(RpcType::kMembership, EncodeMembershipRequest(req), kMembershipTimeoutMs,
              [this, alive, cb, retry, deadline](const std::string& err, bool maybe_delivered, const Frame& f) {
                  if (alive.expired()) return;
                  if (!err.empty()) {
                      if (maybe_delivered) {
                          cb(MakeError("40003", "the coordinator leader did not answer the membership change: " + err,
                                       "It may or may not have happened.", "Check SELECT * FROM jade_coordinators."));
                      } else if (uv_now(loop_) < deadline) {
                          retry();
                      } else {
                          cb(NoLeaderError("cannot change the coordinator group"));
                      }
                      return;
                  }
                  bool not_leader = false;
                  Status st = DecodeStatusReply(f.payload, &not_leader);
                  if (not_leader && uv_now(loop_) < deadline) {
                      retry();
                      return;
                  }
                  cb(st);
              });
}

void CoordinatorGroup::RunMembershipLocally(const MembershipRequest& req, DoneCb cb) {
    auto logged = [cb, req](const Status& st) {
        static const char* names[] = {"", "add", "remove", "transfer leadership to"};
        std::fprintf(stderr, "jade-coordinator: raft: %s coordinator %llu%s%s: %s\n",
                     names[static_cast<int>(req.op)], static_cast<unsigned long long>(req.id),
                     req.address.empty() ? "" : " at ", req.address.c_str(),
                     st.ok() ? "done" : st.error().message.c_str());
        cb(st);
    };
    switch (req.op) {
        case MembershipOp::kAdd:
            node_->AddVoter(req.id, req.address, logged);
            return;
        case MembershipOp::kRemove:
            if (req.id == id()) {
                cb(MakeError("55000", "cannot remove coordinator " + std::to_string(req.id) + ": it is the leader",
                             {}, "Run SELECT jade_transfer_leadership() first, then remove it."));
                return;
            }
            node_->RemoveServer(req.id, logged);
            return;
        case MembershipOp::kTransfer:
            if (req.id == id()) {
                cb(Status{});
                return;
            }
            node_->TransferLeadership(req.id, logged);
            return;
    }
}

void CoordinatorGroup::CollectStatus(std::function<void(std::vector<CoordinatorRow>)> cb) {
    std::vector<ServerInfo> conf = node_->Configuration();
    auto rows = std::make_shared<std::vector<CoordinatorRow>>(conf.size());
    auto left = std::make_shared<size_t>(conf.size());
    auto done = std::make_shared<std::function<void(std::vector<CoordinatorRow>)>>(std::move(cb));
    auto finish_one = [rows, left, done] {
        if (--*left == 0) {
            std::sort(rows->begin(), rows->end(),
                      [](const CoordinatorRow& a, const CoordinatorRow& b) { return a.status.id < b.status.id; });
            (*done)(std::move(*rows));
        }
    };
    if (conf.empty()) {
        // A joining server that was not added yet knows only itself.
        CoordinatorRow self;
        self.status = SelfStatus();
        self.reachable = true;
        (*done)({self});
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    for (size_t i = 0; i < conf.size(); ++i) {
        CoordinatorRow& row = (*rows)[i];
        row.voter = conf[i].voter;
        row.status.id = conf[i].id;
        row.status.address = conf[i].address;
        row.since_contact_ms = node_->SinceContactMs(conf[i].id);
        if (conf[i].id == id()) {
            row.status = SelfStatus();
            row.reachable = true;
            finish_one();
            continue;
        }
        uint64_t peer = conf[i].id;
        Client(peer, conf[i].address)
            .Call(RpcType::kStatus, "", kStatusTimeoutMs,
                  [this, alive, rows, i, peer, finish_one](const std::string& err, bool, const Frame& f) {
                      if (!alive.expired() && err.empty()) {
                          auto st = DecodePeerStatus(f.payload);
                          if (st && st->id == peer) {
                              std::string address = (*rows)[i].status.address;
                              (*rows)[i].status = *st;
                              (*rows)[i].status.address = address;
                              (*rows)[i].reachable = true;
                              sql_addresses_[peer] = st->sql_address;
                          }
                      }
                      finish_one();
                  });
    }
}

PeerStatus CoordinatorGroup::SelfStatus() {
    PeerStatus s;
    s.id = id();
    s.address = options_.node.address;
    s.sql_address = options_.sql_address;
    s.role = static_cast<uint8_t>(node_->role());
    s.term = node_->term();
    s.leader_id = node_->leader_id();
    s.commit_index = node_->commit_index();
    s.applied_index = node_->last_applied();
    s.last_index = node_->last_index();
    s.caught_up = node_->CaughtUp();
    s.acting_leader = node_->IsActingLeader();
    s.since_leader_contact_ms = node_->SinceLeaderContactMs();
    return s;
}

bool CoordinatorGroup::Writable() {
    if (!node_->CaughtUp() || closing_) return false;
    if (node_->IsActingLeader()) return true;
    return node_->SinceLeaderContactMs() <= options_.stale_after_ms;
}

PeerClient& CoordinatorGroup::Client(uint64_t peer, const std::string& address) {
    auto it = clients_.find(peer);
    if (it == clients_.end() || it->second->address() != address) {
        clients_[peer] = std::make_unique<PeerClient>(loop_, address);
        it = clients_.find(peer);
    }
    return *it->second;
}

// Requests from other coordinators on the cluster port.
void CoordinatorGroup::HandleRpc(RpcType type, std::string payload, Reply reply) {
    switch (type) {
        case RpcType::kPropose:
            if (closing_ || !node_->IsLeader()) {
                reply(RpcType::kProposeReply, EncodeProposalResult(NotLeader("coordinator " + std::to_string(id()) +
                                                                             " is not the leader")));
                return;
            }
            node_->Propose(payload, [reply](const ProposalResult& r) {
                reply(RpcType::kProposeReply, EncodeProposalResult(r));
            });
            return;
        case RpcType::kStatus:
            reply(RpcType::kStatusReply, EncodePeerStatus(SelfStatus()));
            return;
        case RpcType::kMembership: {
            auto req = DecodeMembershipRequest(payload);
            if (!req) {
                reply(RpcType::kMembershipReply, EncodeStatusReply(req.error(), false));
                return;
            }
            if (closing_ || !node_->IsLeader()) {
                reply(RpcType::kMembershipReply,
                      EncodeStatusReply(MakeError("25006", "not the leader"), /*not_leader=*/true));
                return;
            }
            RunMembershipLocally(*req, [reply](const Status& st) {
                reply(RpcType::kMembershipReply, EncodeStatusReply(st, false));
            });
            return;
        }
        default:
            return;  // unknown request types get no answer; the caller times out
    }
}

}  // namespace jade::coord::raft
