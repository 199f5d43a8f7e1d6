// raft_node.cpp — the libraft wrapper (see raft_node.h).
#include "raft/raft_node.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

namespace jade::coord::raft {
namespace {

struct ApplyRequest {
    struct raft_apply req {};
    RaftNode::ProposeCb cb;
};

struct BarrierRequest {
    struct raft_barrier req {};
    RaftNode::DoneCb cb;
};

struct ChangeRequest {
    struct raft_change req {};
    RaftNode::DoneCb cb;
    ::raft* r = nullptr;
    uint64_t id = 0;
    bool then_promote = false;  ///< raft_add done: now raft_assign(RAFT_VOTER)
};

struct TransferRequest {
    struct raft_transfer req {};
    RaftNode::DoneCb cb;
    ::raft* r = nullptr;
    std::function<void()> after;
};

constexpr const char* kRaftState = "55000";  // object_not_in_prerequisite_state

// Maps a libraft error code to the error a client sees.
Error RaftError(int rv, const std::string& text) {
    switch (rv) {
        case RAFT_NOTLEADER:
            return MakeError("25006", "this coordinator is not the leader", text);
        case RAFT_CANTCHANGE:
            return MakeError(kRaftState, "another coordinator membership change is in progress", text,
                             "Wait until it is finished, then try again.");
        case RAFT_DUPLICATEID:
            return MakeError("42710", "a coordinator with this id is already a member", text);
        case RAFT_DUPLICATEADDRESS:
            return MakeError("42710", "a coordinator with this address is already a member", text);
        case RAFT_BADID:
        case RAFT_NOTFOUND:
            return MakeError("42704", "no such coordinator", text);
        case RAFT_NOCONNECTION:
            return MakeError("08006", "the new coordinator did not catch up with the log", text,
                             "Check that it runs, joined with --join, and that its cluster port is reachable.");
        default:
            return MakeError(kRaftState, "raft: " + text);
    }
}

void ApplyDone(struct raft_apply* req, int status, void* result) {
    auto* a = static_cast<ApplyRequest*>(req->data);
    ProposalResult r;
    r.index = req->index;
    if (status == 0) {
        const auto* st = static_cast<const Status*>(result);
        if (st->ok()) {
            r.outcome = Outcome::kApplied;
        } else {
            r.outcome = Outcome::kRefused;
            r.error = st->error();
        }
    } else {
        // Appended to our log, but leadership was lost (or we shut down) before it committed:
        // the next leader may still commit it.
        r = UnknownOutcome(std::string("leadership was lost before the change committed (") + raft_strerror(status) +
                           ")");
        r.index = req->index;
    }
    RaftNode::ProposeCb cb = std::move(a->cb);
    delete a;
    cb(r);
}

void BarrierDone(struct raft_barrier* req, int status) {
    auto* b = static_cast<BarrierRequest*>(req->data);
    RaftNode::DoneCb cb = std::move(b->cb);
    delete b;
    if (status == 0) {
        cb(Status{});
    } else {
        cb(RaftError(status, raft_strerror(status)));
    }
}

void ChangeDone(struct raft_change* req, int status) {
    auto* c = static_cast<ChangeRequest*>(req->data);
    if (status == 0 && c->then_promote) {
        c->then_promote = false;
        int rv = raft_assign(c->r, &c->req, c->id, RAFT_VOTER, &ChangeDone);
        if (rv == 0) return;
        status = rv;
    }
    RaftNode::DoneCb cb = std::move(c->cb);
    std::string text = status == 0 ? "" : std::string(raft_strerror(status));
    delete c;
    if (status == 0) {
        cb(Status{});
    } else {
        cb(RaftError(status, text));
    }
}

void TransferDone(struct raft_transfer* req) {
    auto* t = static_cast<TransferRequest*>(req->data);
    if (t->after) t->after();
    RaftNode::DoneCb cb = std::move(t->cb);
    bool moved = raft_state(t->r) != RAFT_LEADER;
    delete t;
    if (moved) {
        cb(Status{});
    } else {
        cb(MakeError(kRaftState, "leadership was not transferred",
                     "The target did not take over within an election timeout."));
    }
}

}  // namespace

const char* RoleName(Role role) {
    switch (role) {
        case Role::kLeader:
            return "leader";
        case Role::kFollower:
            return "follower";
        case Role::kCandidate:
            return "candidate";
        default:
            return "unavailable";
    }
}

RaftNode::RaftNode(StateMachine* machine, NodeOptions options)
    : machine_(machine),
      options_(std::move(options)),
      fsm_(machine),
      lease_(options_.election_timeout_ms,
             options_.lease_margin_ms != 0 ? options_.lease_margin_ms : options_.election_timeout_ms / 5) {}

RaftNode::~RaftNode() { *alive_ = false; }

// Creates raft_uv + raft, bootstraps a new group when asked, and schedules raft_start.
Status RaftNode::StartUv(uv_loop_t* loop, const std::string& dir, raft_uv_transport* transport,
                         const std::vector<ServerInfo>& bootstrap) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return MakeError("58030", "could not create raft directory \"" + dir + "\": " + ec.message());
    uv_io_ = std::make_unique<raft_io>();
    std::memset(uv_io_.get(), 0, sizeof(raft_io));
    int rv = raft_uv_init(uv_io_.get(), loop, dir.c_str(), transport);
    if (rv != 0) return MakeError("58030", std::string("raft_uv_init: ") + uv_io_->errmsg);
    observer_ = std::make_unique<IoObserver>(uv_io_.get(), static_cast<IoEvents*>(this));
    owned_raft_ = std::make_unique<::raft>();
    std::memset(owned_raft_.get(), 0, sizeof(::raft));
    raft_ = owned_raft_.get();
    rv = raft_init(raft_, observer_->io(), fsm_.fsm(), options_.id, options_.address.c_str());
    if (rv != 0) return MakeError("58030", std::string("raft_init: ") + raft_errmsg(raft_));
    fsm_.Bind(raft_);
    raft_set_election_timeout(raft_, options_.election_timeout_ms);
    raft_set_heartbeat_timeout(raft_, options_.heartbeat_ms);
    raft_set_pre_vote(raft_, true);
    raft_set_snapshot_threshold(raft_, options_.snapshot_threshold);
    raft_set_snapshot_trailing(raft_, options_.snapshot_trailing);
    if (!bootstrap.empty()) {
        raft_configuration conf;
        raft_configuration_init(&conf);
        for (const ServerInfo& s : bootstrap) {
            rv = raft_configuration_add(&conf, s.id, s.address.c_str(), s.voter ? RAFT_VOTER : RAFT_SPARE);
            if (rv != 0) {
                raft_configuration_close(&conf);
                return MakeError("22023", "invalid coordinator peer list: " + std::string(raft_strerror(rv)));
            }
        }
        rv = raft_bootstrap(raft_, &conf);
        raft_configuration_close(&conf);
        // RAFT_CANTBOOTSTRAP: the directory already holds a log; its configuration wins.
        if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
            return MakeError("58030", std::string("raft_bootstrap: ") + raft_errmsg(raft_));
        }
    }
    start_timer_ = new uv_timer_t;
    uv_timer_init(loop, start_timer_);
    start_timer_->data = this;
    uv_timer_start(
        start_timer_, [](uv_timer_t* t) { static_cast<RaftNode*>(t->data)->OnStartTimer(); },
        options_.election_timeout_ms, 0);
    return {};
}

void RaftNode::OnStartTimer() {
    uv_close(reinterpret_cast<uv_handle_t*>(start_timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    start_timer_ = nullptr;
    if (closing_) return;
    int rv = raft_start(raft_);
    if (rv != 0) {
        std::fprintf(stderr, "jade-coordinator: FATAL: raft_start: %s\n", raft_errmsg(raft_));
        std::exit(1);  // the log cannot be read: serving from a partial catalog would be wrong
    }
    started_ = true;
    std::fprintf(stderr, "jade-coordinator: raft: server %llu started at %s (term %llu, last index %llu)\n",
                 static_cast<unsigned long long>(options_.id), options_.address.c_str(),
                 static_cast<unsigned long long>(raft_->current_term),
                 static_cast<unsigned long long>(raft_last_index(raft_)));
    Evaluate();
}

void RaftNode::AttachFixture(::raft* r) {
    raft_ = r;
    observer_ = std::make_unique<IoObserver>(r->io, static_cast<IoEvents*>(this));
    observer_->Install(r);
    fsm_.Bind(r);
    raft_set_pre_vote(r, true);
    started_ = true;
}

void RaftNode::Propose(const std::string& entry, ProposeCb cb) {
    if (raft_ == nullptr || !started_ || closing_) {
        cb(NotLeader("the coordinator's raft server is not running"));
        return;
    }
    auto* a = new ApplyRequest;
    a->req.data = a;
    a->cb = std::move(cb);
    raft_buffer buf;
    buf.len = entry.size();
    buf.base = raft_malloc(entry.empty() ? 1 : entry.size());
    if (!entry.empty()) std::memcpy(buf.base, entry.data(), entry.size());
    int rv = raft_apply(raft_, &a->req, &buf, 1, &ApplyDone);
    if (rv == 0) {
        NoteAppended(a->req.index);
        return;
    }
    ProposeCb done = std::move(a->cb);
    delete a;
    if (rv == RAFT_NOTLEADER) {
        raft_free(buf.base);  // refused before it was appended
        done(NotLeader("this coordinator is not the leader"));
        return;
    }
    // Failed after appending (out of memory): libraft discarded the entry and owns the buffer.
    ProposalResult r;
    r.outcome = Outcome::kNotLeader;
    r.error = MakeError("53200", std::string("raft: ") + raft_strerror(rv));
    done(r);
}

void RaftNode::Barrier(DoneCb cb) {
    if (raft_ == nullptr || !started_ || closing_) {
        cb(RaftError(RAFT_NOTLEADER, "not running"));
        return;
    }
    auto* b = new BarrierRequest;
    b->req.data = b;
    b->cb = std::move(cb);
    int rv = raft_barrier(raft_, &b->req, &BarrierDone);
    if (rv == 0) {
        NoteAppended(b->req.index);
        return;
    }
    DoneCb done = std::move(b->cb);
    delete b;
    done(RaftError(rv, raft_strerror(rv)));
}

void RaftNode::AddVoter(uint64_t id, const std::string& address, DoneCb cb) {
    auto* c = new ChangeRequest;
    c->req.data = c;
    c->cb = std::move(cb);
    c->r = raft_;
    c->id = id;
    c->then_promote = true;
    int rv = raft_ == nullptr ? RAFT_NOTLEADER : raft_add(raft_, &c->req, id, address.c_str(), &ChangeDone);
    if (rv == 0) return;
    DoneCb done = std::move(c->cb);
    delete c;
    done(RaftError(rv, raft_ != nullptr ? raft_errmsg(raft_) : "not running"));
}

void RaftNode::RemoveServer(uint64_t id, DoneCb cb) {
    auto* c = new ChangeRequest;
    c->req.data = c;
    c->cb = std::move(cb);
    c->r = raft_;
    c->id = id;
    int rv = raft_ == nullptr ? RAFT_NOTLEADER : raft_remove(raft_, &c->req, id, &ChangeDone);
    if (rv == 0) return;
    DoneCb done = std::move(c->cb);
    delete c;
    done(RaftError(rv, raft_ != nullptr ? raft_errmsg(raft_) : "not running"));
}

// Stops acting at once: the target takes over without waiting for an election timeout
// (TimeoutNow carries disrupt_leader), which the lease does not cover.
void RaftNode::TransferLeadership(uint64_t id, DoneCb cb) {
    auto* t = new TransferRequest;
    t->req.data = t;
    t->cb = std::move(cb);
    t->r = raft_;
    std::weak_ptr<bool> alive = alive_;
    t->after = [this, alive] {
        if (alive.expired()) return;
        transferring_ = false;
        Evaluate();
    };
    transferring_ = true;
    Evaluate();
    int rv = raft_ == nullptr ? RAFT_NOTLEADER : raft_transfer(raft_, &t->req, id, &TransferDone);
    if (rv == 0) return;
    transferring_ = false;
    DoneCb done = std::move(t->cb);
    delete t;
    Evaluate();
    done(RaftError(rv, raft_ != nullptr ? raft_errmsg(raft_) : "not running"));
}

void RaftNode::Close(std::function<void()> done) {
    closing_ = true;
    if (acting_) {
        acting_ = false;
        for (auto& l : leadership_listeners_) l(false, led_term_);
    }
    if (start_timer_ != nullptr) {
        uv_timer_stop(start_timer_);
        uv_close(reinterpret_cast<uv_handle_t*>(start_timer_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
        start_timer_ = nullptr;
    }
    if (owned_raft_ == nullptr) {
        if (done) done();
        return;
    }
    struct CloseState {
        std::function<void()> done;
        raft_io* uv_io;
    };
    auto* state = new CloseState{std::move(done), uv_io_.get()};
    raft_->data = state;
    raft_close(raft_, [](::raft* r) {
        auto* st = static_cast<CloseState*>(r->data);
        // raft_uv's memory goes only after libraft closed it (DEPENDENCIES.md §4 shutdown order).
        if (st->uv_io != nullptr) raft_uv_close(st->uv_io);
        if (st->done) st->done();
        delete st;
    });
}

Role RaftNode::role() const {
    if (raft_ == nullptr) return Role::kUnavailable;
    switch (raft_state(raft_)) {
        case RAFT_LEADER:
            return Role::kLeader;
        case RAFT_FOLLOWER:
            return Role::kFollower;
        case RAFT_CANDIDATE:
            return Role::kCandidate;
        default:
            return Role::kUnavailable;
    }
}

uint64_t RaftNode::term() const { return raft_ == nullptr ? 0 : raft_->current_term; }

uint64_t RaftNode::leader_id() const {
    if (raft_ == nullptr) return 0;
    raft_id id = 0;
    const char* addr = nullptr;
    raft_leader(raft_, &id, &addr);
    return id;
}

std::string RaftNode::leader_address() const {
    if (raft_ == nullptr) return {};
    raft_id id = 0;
    const char* addr = nullptr;
    raft_leader(raft_, &id, &addr);
    return addr != nullptr ? addr : "";
}

uint64_t RaftNode::commit_index() const { return raft_ == nullptr ? 0 : raft_->commit_index; }
uint64_t RaftNode::last_applied() const { return raft_ == nullptr ? 0 : raft_last_applied(raft_); }
uint64_t RaftNode::last_index() const { return raft_ == nullptr ? 0 : raft_last_index(raft_); }

std::vector<ServerInfo> RaftNode::Configuration() const {
    std::vector<ServerInfo> out;
    if (raft_ == nullptr) return out;
    for (unsigned i = 0; i < raft_->configuration.n; ++i) {
        const raft_server& s = raft_->configuration.servers[i];
        out.push_back(ServerInfo{s.id, s.address != nullptr ? s.address : "", s.role == RAFT_VOTER});
    }
    return out;
}

uint64_t RaftNode::Now() const { return raft_ == nullptr || raft_->io == nullptr ? 0 : raft_->io->time(raft_->io); }

bool RaftNode::IsLeader() const { return raft_ != nullptr && raft_state(raft_) == RAFT_LEADER; }

bool RaftNode::IsActingLeader() {
    if (!IsLeader() || closing_ || transferring_ || !barrier_done_ || led_term_ != raft_->current_term) return false;
    return Now() < LeaseValidUntil();
}

// The match index of every voter (libraft's progress array is aligned with the configuration).
uint64_t RaftNode::LeaseValidUntil() {
    if (!IsLeader() || led_term_ != raft_->current_term) return 0;
    std::vector<uint64_t> match;
    size_t self = 0;
    for (unsigned i = 0; i < raft_->configuration.n; ++i) {
        const raft_server& s = raft_->configuration.servers[i];
        if (s.role != RAFT_VOTER) continue;
        if (s.id == options_.id) self = match.size();
        match.push_back(raft_->leader_state.progress[i].match_index);
    }
    return lease_.ValidUntil(match, self, Now());
}

void RaftNode::NoteAppended(uint64_t index) {
    if (!IsLeader()) return;
    if (led_term_ != raft_->current_term) {  // first entry of a new leadership (Evaluate not run yet)
        led_term_ = raft_->current_term;
        barrier_done_ = false;
        lease_.Reset();
    }
    last_append_ = Now();
    lease_.Appended(index, last_append_);
}

uint64_t RaftNode::SinceContactMs(uint64_t peer) const {
    if (peer == options_.id) return 0;
    auto it = last_contact_.find(peer);
    if (it == last_contact_.end()) return std::numeric_limits<uint64_t>::max();
    uint64_t now = Now();
    return now > it->second ? now - it->second : 0;
}

uint64_t RaftNode::SinceLeaderContactMs() {
    if (IsActingLeader()) return 0;
    uint64_t leader = leader_id();
    if (leader == 0 || leader == options_.id) return std::numeric_limits<uint64_t>::max();
    return SinceContactMs(leader);
}

void RaftNode::AddLeadershipListener(std::function<void(bool, uint64_t)> listener) {
    leadership_listeners_.push_back(std::move(listener));
}

void RaftNode::AddStateListener(std::function<void()> listener) { state_listeners_.push_back(std::move(listener)); }

uint64_t RaftNode::WillSend(const raft_message& message) {
    (void)message;
    return 0;
}

void RaftNode::SendDone(uint64_t server_id, uint64_t ticket, int status) {
    (void)server_id;
    (void)ticket;
    (void)status;
}

void RaftNode::WillReceive(const raft_message& message) {
    uint64_t now = Now();
    last_contact_[message.server_id] = now;
    if (message.type == RAFT_IO_APPEND_ENTRIES && catch_up_target_ == 0 &&
        message.append_entries.term >= raft_->current_term) {
        catch_up_target_ = std::max<uint64_t>(1, message.append_entries.leader_commit);
    }
}

void RaftNode::Handled() { Evaluate(); }

// Re-derives leadership after anything happened: new terms get a barrier, lease changes reach
// the listeners, role changes are logged.
void RaftNode::Evaluate() {
    if (raft_ == nullptr) return;
    int state = raft_state(raft_);
    uint64_t term = raft_->current_term;
    uint64_t leader = leader_id();
    if (state != last_state_ || term != last_role_term_ || leader != last_leader_seen_) {
        if (options_.log_changes) std::fprintf(stderr, "jade-coordinator: raft: server %llu is %s in term %llu (leader %llu)\n",
                     static_cast<unsigned long long>(options_.id), RoleName(role()),
                     static_cast<unsigned long long>(term), static_cast<unsigned long long>(leader));
        last_state_ = state;
        last_role_term_ = term;
        last_leader_seen_ = leader;
    }
    if (state == RAFT_LEADER && barrier_term_ != term) {
        barrier_term_ = term;
        if (led_term_ != term) {
            led_term_ = term;
            lease_.Reset();
        }
        barrier_done_ = false;
        StartBarrierOfTerm(term);
    }
    if (state != RAFT_LEADER && barrier_done_) {
        barrier_done_ = false;
        lease_.Reset();
    }
    KeepLease();
    if (!caught_up_) {
        if (state == RAFT_LEADER && barrier_done_) caught_up_ = true;
        if (state == RAFT_FOLLOWER && catch_up_target_ != 0 && raft_last_applied(raft_) >= catch_up_target_) {
            caught_up_ = true;
        }
    }
    bool acting = IsActingLeader();
    if (acting != acting_) {
        acting_ = acting;
        if (options_.log_changes) std::fprintf(stderr, "jade-coordinator: raft: server %llu %s acting as leader (term %llu)\n",
                     static_cast<unsigned long long>(options_.id), acting ? "starts" : "stops",
                     static_cast<unsigned long long>(term));
        for (auto& l : leadership_listeners_) l(acting, term);
    }
    for (auto& l : state_listeners_) l();
}

// Appends a barrier when nothing was appended for a third of the lease: entries held by a
// majority are what the lease is measured from (leader_lease.h).
void RaftNode::KeepLease() {
    if (!IsLeader() || keeper_in_flight_ || closing_ || transferring_) return;
    if (Now() - last_append_ < lease_.duration() / 3) return;
    keeper_in_flight_ = true;
    last_append_ = Now();  // a synchronous failure below must not retry at once
    std::weak_ptr<bool> alive = alive_;
    Barrier([this, alive](const Status&) {
        if (alive.expired()) return;
        keeper_in_flight_ = false;
    });
}

// A new leader appends a barrier: once applied, every earlier entry is in the state machine.
void RaftNode::StartBarrierOfTerm(uint64_t term) {
    std::weak_ptr<bool> alive = alive_;
    Barrier([this, alive, term](const Status& st) {
        if (alive.expired()) return;
        if (st.ok() && raft_state(raft_) == RAFT_LEADER && raft_->current_term == term && led_term_ == term) {
            barrier_done_ = true;
        }
        Evaluate();
    });
}

}  // namespace jade::coord::raft
