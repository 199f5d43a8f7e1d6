// test_coordinator_group.cpp — three CoordinatorGroups in one process over real TCP on
// 127.0.0.1: libraft's raft_uv through our cluster transport, proposals forwarded by followers,
// refusals, 2PC decisions, jade_coordinators status, leadership transfer, membership changes
// forwarded to the leader, and garbage on the cluster port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raft/coordinator_group.h"

namespace fs = std::filesystem;
using jade::coord::AddNodeCmd;
using jade::coord::MetadataEntry;
using jade::coord::Status;
using jade::coord::TxnDecision;
using jade::coord::TxnKey;
using jade::coord::raft::CoordinatorGroup;
using jade::coord::raft::CoordinatorRow;
using jade::coord::raft::GroupOptions;
using jade::coord::raft::Outcome;
using jade::coord::raft::ProposalResult;
using jade::coord::raft::Role;

namespace {

// A port nothing listens on right now (bind to 0, read it back, close).
uint16_t FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

class Cluster {
public:
    explicit Cluster(unsigned n) {
        ::signal(SIGPIPE, SIG_IGN);  // as the daemon does: a peer closing its socket is not fatal
        uv_loop_init(&loop_);
        dir_ = fs::temp_directory_path() / ("jade-raft-group-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(dir_);
        for (unsigned i = 0; i < n; ++i) addresses_.push_back("127.0.0.1:" + std::to_string(FreePort()));
        for (unsigned i = 0; i < n; ++i) Add(i + 1, /*bootstrap=*/true, n);
    }
    ~Cluster() {
        for (auto& g : groups_) {
            if (!g) continue;
            bool closed = false;
            g->Close([&] { closed = true; });
            RunUntil([&] { return closed; }, 10000);
        }
        groups_.clear();
        // Let the handles close, then the loop.
        for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
        }
        uv_loop_close(&loop_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    /** Starts coordinator `id` (bootstrapping the first `members` ids, or joining). */
    CoordinatorGroup& Add(uint64_t id, bool bootstrap, unsigned members) {
        if (addresses_.size() < id) addresses_.push_back("127.0.0.1:" + std::to_string(FreePort()));
        GroupOptions o;
        o.node.id = id;
        o.node.address = addresses_[id - 1];
        o.node.election_timeout_ms = 300;
        o.node.heartbeat_ms = 30;
        o.node.log_changes = false;
        o.sql_address = "127.0.0.1:" + std::to_string(6000 + id);
        o.raft_dir = (dir_ / ("raft" + std::to_string(id))).string();
        o.propose_wait_ms = 3000;
        if (bootstrap) {
            for (unsigned i = 0; i < members; ++i) o.bootstrap.push_back({i + 1, addresses_[i], true});
        }
        if (groups_.size() < id) groups_.resize(id);
        groups_[id - 1] = std::make_unique<CoordinatorGroup>(&loop_, o);
        Status st = groups_[id - 1]->Start();
        INFO((st.ok() ? std::string() : st.error().message));
        REQUIRE(st.ok());
        return *groups_[id - 1];
    }

    bool RunUntil(const std::function<bool()>& pred, int timeout_ms) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        uv_timer_t wake;
        uv_timer_init(&loop_, &wake);
        uv_timer_start(
            &wake, [](uv_timer_t*) {}, 10, 10);
        bool ok = false;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pred()) {
                ok = true;
                break;
            }
            uv_run(&loop_, UV_RUN_ONCE);
        }
        uv_timer_stop(&wake);
        uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
        uv_run(&loop_, UV_RUN_NOWAIT);
        return ok || pred();
    }

    int Leader() {
        int found = -1;
        for (size_t i = 0; i < groups_.size(); ++i) {
            if (groups_[i] && groups_[i]->IsActingLeader()) found = static_cast<int>(i);
        }
        return found;
    }
    int WaitLeader() {
        int leader = -1;
        REQUIRE(RunUntil(
            [&] {
                leader = Leader();
                return leader >= 0;
            },
            15000));
        return leader;
    }
    ProposalResult Propose(unsigned i, const MetadataEntry& e) {
        bool done = false;
        ProposalResult r;
        groups_[i]->Propose(e, [&](const ProposalResult& res) {
            done = true;
            r = res;
        });
        REQUIRE(RunUntil([&] { return done; }, 15000));
        return r;
    }
    Status Wait(const std::function<void(CoordinatorGroup::DoneCb)>& start) {
        bool done = false;
        Status st;
        start([&](const Status& s) {
            done = true;
            st = s;
        });
        REQUIRE(RunUntil([&] { return done; }, 20000));
        return st;
    }
    CoordinatorGroup& g(unsigned i) { return *groups_[i]; }
    const std::string& address(unsigned i) const { return addresses_[i]; }
    uv_loop_t* loop() { return &loop_; }

private:
    uv_loop_t loop_{};
    fs::path dir_;
    std::vector<std::string> addresses_;
    std::vector<std::unique_ptr<CoordinatorGroup>> groups_;
};

MetadataEntry AddNode(uint32_t id, uint16_t port) {
    MetadataEntry e;
    e.commands.push_back(AddNodeCmd{id, "127.0.0.1", port});
    return e;
}

}  // namespace

TEST_CASE("coordinator group: followers forward proposals; every replica applies them", "[raft][group]") {
    Cluster c(3);
    int leader = c.WaitLeader();
    unsigned follower = (leader + 1) % 3;

    ProposalResult r = c.Propose(follower, AddNode(1, 5433));
    INFO(r.error.message);
    REQUIRE(r.outcome == Outcome::kApplied);
    // The follower answered only after its own replica applied the change (read your writes).
    CHECK(c.g(follower).catalog().FindNode(1) != nullptr);
    REQUIRE(c.RunUntil([&] { return c.g(0).catalog() == c.g(1).catalog() && c.g(1).catalog() == c.g(2).catalog(); },
                       5000));

    // A refused command is a logged, deterministic outcome on every replica.
    ProposalResult dup = c.Propose(follower, AddNode(1, 5433));
    CHECK(dup.outcome == Outcome::kRefused);
    CHECK(dup.error.sqlstate == "42710");
    CHECK(c.g(leader).catalog().nodes().size() == 1);

    // Two-phase-commit decisions: the first one wins.
    MetadataEntry commit;
    commit.decisions.push_back({TxnKey{"2", 77}, TxnDecision::kCommit});
    REQUIRE(c.Propose(leader, commit).applied());
    MetadataEntry abort;
    abort.decisions.push_back({TxnKey{"2", 77}, TxnDecision::kAbort});
    ProposalResult late = c.Propose(follower, abort);
    CHECK(late.outcome == Outcome::kRefused);
    REQUIRE(c.RunUntil([&] { return c.g(0).state().Decision(TxnKey{"2", 77}).has_value() &&
                                    c.g(1).state().Decision(TxnKey{"2", 77}).has_value() &&
                                    c.g(2).state().Decision(TxnKey{"2", 77}).has_value(); },
                       5000));
    for (unsigned i = 0; i < 3; ++i) CHECK(*c.g(i).state().Decision(TxnKey{"2", 77}) == TxnDecision::kCommit);
}

TEST_CASE("coordinator group: every peer answers jade_coordinators; leadership moves on request", "[raft][group]") {
    Cluster c(3);
    int leader = c.WaitLeader();
    unsigned asker = (leader + 2) % 3;
    REQUIRE(c.RunUntil([&] { return c.g(0).CaughtUp() && c.g(1).CaughtUp() && c.g(2).CaughtUp(); }, 5000));
    std::vector<CoordinatorRow> rows;
    bool got = false;
    c.g(asker).CollectStatus([&](std::vector<CoordinatorRow> r) {
        rows = std::move(r);
        got = true;
    });
    REQUIRE(c.RunUntil([&] { return got; }, 5000));
    REQUIRE(rows.size() == 3);
    int leaders = 0;
    for (const auto& row : rows) {
        CHECK(row.reachable);
        CHECK(row.status.address == c.address(row.status.id - 1));
        CHECK(row.status.sql_address == "127.0.0.1:" + std::to_string(6000 + row.status.id));
        CHECK(row.status.term == rows[0].status.term);
        if (row.status.role == static_cast<uint8_t>(Role::kLeader)) leaders++;
    }
    CHECK(leaders == 1);
    CHECK(rows[leader].status.acting_leader);

    // Transfer leadership, asked on a follower (forwarded to the leader).
    unsigned target = (leader + 1) % 3;
    Status st = c.Wait([&](CoordinatorGroup::DoneCb cb) { c.g(asker).TransferLeadership(target + 1, cb); });
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    REQUIRE(c.RunUntil([&] { return c.Leader() == static_cast<int>(target); }, 5000));
    CHECK(c.g(asker).LeaderDescription().find("coordinator " + std::to_string(target + 1)) == 0);
}

TEST_CASE("coordinator group: add and remove a coordinator; one change at a time", "[raft][group]") {
    Cluster c(3);
    int leader = c.WaitLeader();
    REQUIRE(c.Propose(leader, AddNode(1, 5433)).applied());
    CoordinatorGroup& joiner = c.Add(4, /*bootstrap=*/false, 0);
    unsigned follower = (leader + 1) % 3;
    Status st = c.Wait([&](CoordinatorGroup::DoneCb cb) { c.g(follower).AddCoordinator(4, c.address(3), cb); });
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    // The new coordinator received the log (snapshot or entries) and serves the same catalog.
    REQUIRE(c.RunUntil([&] { return joiner.CaughtUp() && joiner.catalog().FindNode(1) != nullptr; }, 10000));
    CHECK(c.g(leader).node().Configuration().size() == 4);

    // Removing the leader itself is refused with a hint; removing a follower works.
    Status self = c.Wait([&](CoordinatorGroup::DoneCb cb) { c.g(leader).RemoveCoordinator(leader + 1, cb); });
    REQUIRE_FALSE(self.ok());
    CHECK(self.error().hint.find("jade_transfer_leadership") != std::string::npos);
    Status rm = c.Wait([&](CoordinatorGroup::DoneCb cb) { c.g(follower).RemoveCoordinator(4, cb); });
    INFO((rm.ok() ? std::string() : rm.error().message));
    REQUIRE(rm.ok());
    REQUIRE(c.RunUntil([&] { return c.g(follower).node().Configuration().size() == 3; }, 5000));
    REQUIRE(c.Propose(follower, AddNode(2, 5434)).applied());
}

TEST_CASE("coordinator group: garbage on the cluster port closes that connection only", "[raft][group]") {
    Cluster c(3);
    int leader = c.WaitLeader();
    std::string host = c.address(leader).substr(0, c.address(leader).find(':'));
    int port = std::atoi(c.address(leader).substr(c.address(leader).find(':') + 1).c_str());
    for (const std::string& junk : {std::string("GET / HTTP/1.0\r\n\r\n"), std::string(8, '\xff'),
                                    std::string("\x01\0\0\0\0\0\0\0\x07\0\0\0\0\0\0\0\xff\xff\xff\xff\0\0\0\0", 24)}) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
        c.RunUntil([] { return false; }, 200);
        ::close(fd);
    }
    REQUIRE(c.Propose((leader + 1) % 3, AddNode(1, 5433)).applied());
    CHECK(c.Leader() == leader);
}
