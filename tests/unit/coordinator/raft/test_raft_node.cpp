// test_raft_node.cpp — RaftNode on raft_fixture (simulated time): elections, leader crash,
// partitions (minority and majority), message loss, membership change during a partition and
// snapshot install to a lagging peer. Every step checks the lease invariant (raft_group.h).
#include <random>

#include "raft_group.h"

using jade::coord::raft::Outcome;
using jade::coord::raft::ProposalResult;
using jade::coord::raft::testing::kElectionMs;
using jade::coord::raft::testing::RaftGroup;

TEST_CASE("raft: three servers elect one leader that acts only after its barrier", "[raft]") {
    RaftGroup g(3);
    int leader = g.WaitForActingLeader(3000);
    INFO("elected at simulated ms " << g.now());
    CHECK(g.now() < 2000);
    CHECK(g.node(leader).IsLeader());
    CHECK(g.node(leader).CaughtUp());
    for (unsigned i = 0; i < 3; ++i) {
        if (static_cast<int>(i) == leader) continue;
        CHECK_FALSE(g.node(i).IsActingLeader());
        CHECK(g.node(i).leader_id() == g.node(leader).id());
    }
    // Followers are caught up once they applied what the leader had committed.
    REQUIRE(g.StepUntil([&] { return g.node(0).CaughtUp() && g.node(1).CaughtUp() && g.node(2).CaughtUp(); }, 2000));
}

TEST_CASE("raft: proposals apply in the same order everywhere; refusals are outcomes", "[raft]") {
    RaftGroup g(3);
    int leader = g.WaitForActingLeader();
    ProposalResult a = g.ProposeAndWait(leader, "a");
    REQUIRE(a.outcome == Outcome::kApplied);
    ProposalResult bad = g.ProposeAndWait(leader, "!bad");
    REQUIRE(bad.outcome == Outcome::kRefused);
    CHECK(bad.error.sqlstate == "22023");
    CHECK(bad.index > a.index);
    ProposalResult b = g.ProposeAndWait(leader, "b");
    REQUIRE(b.outcome == Outcome::kApplied);
    REQUIRE(g.StepUntil([&] { return g.machine(0).applied.size() == 2 && g.machine(1).applied.size() == 2 &&
                                     g.machine(2).applied.size() == 2; },
                        2000));
    CHECK(g.MachinesEqual(leader));
    CHECK(g.machine(leader).applied == std::vector<std::string>{"a", "b"});
    // Every peer applied (and refused) the same entries.
    for (unsigned i = 0; i < 3; ++i) CHECK(g.node(i).fsm_adapter().refused() == 1);

    unsigned follower = (leader + 1) % 3;
    ProposalResult f = g.ProposeAndWait(follower, "c");
    CHECK(f.outcome == Outcome::kNotLeader);
}

TEST_CASE("raft: leader crash elects a new leader within two seconds; the old one rejoins as follower", "[raft]") {
    RaftGroup g(3);
    int old = g.WaitForActingLeader();
    REQUIRE(g.ProposeAndWait(old, "before").applied());
    uint64_t killed_at = g.now();
    raft_fixture_kill(g.fixture(), old);
    int leader = -1;
    REQUIRE(g.StepUntil(
        [&] {
            leader = g.ActingLeader();
            return leader >= 0 && leader != old;
        },
        5000));
    INFO("new leader after " << g.now() - killed_at << " simulated ms");
    CHECK(g.now() - killed_at < 2000);
    CHECK(g.node(leader).term() > g.node(old).term());
    REQUIRE(g.ProposeAndWait(leader, "after").applied());

    raft_fixture_revive(g.fixture(), old);
    REQUIRE(g.StepUntil([&] { return g.machine(old).applied.size() == 2; }, 3000));
    CHECK(g.node(old).role() == jade::coord::raft::Role::kFollower);
    CHECK(g.MachinesEqual(leader));
    CHECK(g.machine(old).applied == std::vector<std::string>{"before", "after"});
}

TEST_CASE("raft: a leader cut off from the majority stops acting before a new leader exists", "[raft]") {
    RaftGroup g(3);
    int old = g.WaitForActingLeader();
    REQUIRE(g.ProposeAndWait(old, "x").applied());
    g.StepFor(200);
    uint64_t cut_at = g.now();
    g.Partition({static_cast<unsigned>(old)});
    // The old leader can still append, but nothing it appends can commit: unknown, never "failed".
    bool stale_done = false;
    ProposalResult stale;
    g.node(old).Propose("lost", [&](const ProposalResult& r) {
        stale_done = true;
        stale = r;
    });
    uint64_t stopped_at = 0;
    int leader = -1;
    REQUIRE(g.StepUntil(
        [&] {
            if (stopped_at == 0 && !g.node(old).IsActingLeader()) stopped_at = g.now();
            leader = g.ActingLeader();
            return leader >= 0 && leader != old;
        },
        5000));  // CheckLeaseSafety ran after every step in between
    INFO("old leader stopped acting after " << stopped_at - cut_at << " ms; new leader after " << g.now() - cut_at);
    CHECK(stopped_at > 0);
    CHECK(stopped_at - cut_at <= kElectionMs);
    REQUIRE(g.ProposeAndWait(leader, "y").applied());

    g.Heal();
    REQUIRE(g.StepUntil([&] { return stale_done && g.machine(old).applied.size() == 2; }, 5000));
    CHECK(stale.outcome == Outcome::kUnknown);
    CHECK(g.MachinesEqual(leader));
    CHECK(g.machine(old).applied == std::vector<std::string>{"x", "y"});
    CHECK(g.node(old).role() == jade::coord::raft::Role::kFollower);
}

TEST_CASE("raft: a follower in a minority partition does not disturb the leader and catches up", "[raft]") {
    RaftGroup g(3);
    int leader = g.WaitForActingLeader();
    unsigned cut = (leader + 1) % 3;
    uint64_t term = g.node(leader).term();
    g.Partition({cut});
    for (int i = 0; i < 5; ++i) REQUIRE(g.ProposeAndWait(leader, "e" + std::to_string(i)).applied());
    g.StepFor(3000);
    CHECK(g.node(leader).IsActingLeader());
    CHECK_FALSE(g.node(cut).IsActingLeader());
    CHECK(g.node(cut).SinceLeaderContactMs() >= 3000);
    g.Heal();
    REQUIRE(g.StepUntil([&] { return g.machine(cut).applied.size() == 5; }, 3000));
    // Pre-vote: the isolated server's elections did not raise the term or depose the leader.
    CHECK(g.node(leader).term() == term);
    CHECK(g.node(leader).IsActingLeader());
    CHECK(g.MachinesEqual(leader));
}

TEST_CASE("raft: message loss on random links keeps one acting leader and equal logs", "[raft]") {
    for (unsigned seed : {1u, 2u, 3u}) {
        INFO("seed " << seed);
        RaftGroup g(3);
        std::mt19937 rng(seed);
        g.WaitForActingLeader();
        int proposed = 0;
        int unknown = 0;
        std::vector<std::string> acked;
        for (int round = 0; round < 40; ++round) {
            // Drop everything on a random directed link for a while (a lossy link), then heal.
            unsigned i = rng() % 3, j = (i + 1 + rng() % 2) % 3;
            raft_fixture_saturate(g.fixture(), i, j);
            int leader = g.ActingLeader();
            if (leader >= 0) {
                std::string e = "s" + std::to_string(seed) + "-" + std::to_string(proposed++);
                bool done = false;
                ProposalResult r;
                g.node(leader).Propose(e, [&, e](const ProposalResult& res) {
                    done = true;
                    r = res;
                });
                g.StepUntil([&] { return done; }, 2000);
                if (done && r.applied()) acked.push_back(e);
                if (done && r.outcome == Outcome::kUnknown) unknown++;
            }
            g.StepFor(50 + rng() % 400);
            raft_fixture_desaturate(g.fixture(), i, j);
            g.StepFor(rng() % 200);
        }
        g.Heal();
        int leader = g.WaitForActingLeader();
        REQUIRE(g.ProposeAndWait(leader, "final").applied());
        REQUIRE(g.StepUntil([&] { return g.MachinesEqual(leader); }, 5000));
        // Every acknowledged entry is applied exactly once, in acknowledgement order.
        const auto& applied = g.machine(leader).applied;
        size_t pos = 0;
        for (const std::string& e : acked) {
            CHECK(std::count(applied.begin(), applied.end(), e) == 1);
            auto it = std::find(applied.begin() + pos, applied.end(), e);
            REQUIRE(it != applied.end());
            pos = static_cast<size_t>(it - applied.begin());
        }
        CHECK(acked.size() >= 10);
        (void)unknown;
    }
}

TEST_CASE("raft: membership change while a member is partitioned away", "[raft]") {
    RaftGroup g(3);
    int leader = g.WaitForActingLeader();
    REQUIRE(g.ProposeAndWait(leader, "a").applied());
    unsigned cut = (leader + 1) % 3;
    g.Partition({cut});
    unsigned joiner = g.AddJoiner();
    bool added = false;
    jade::coord::Status add_status;
    g.node(leader).AddVoter(g.node(joiner).id(), g.node(joiner).address(), [&](const jade::coord::Status& st) {
        added = true;
        add_status = st;
    });
    // A second change while the first runs is refused: one configuration change at a time.
    bool refused = false;
    g.node(leader).RemoveServer(g.node(cut).id(), [&](const jade::coord::Status& st) {
        refused = !st.ok();
        if (!st.ok()) CHECK(st.error().sqlstate == "55000");
    });
    CHECK(refused);
    REQUIRE(g.StepUntil([&] { return added; }, 10000));
    REQUIRE(add_status.ok());
    REQUIRE(g.StepUntil([&] { return g.machine(joiner).applied.size() == 1; }, 5000));

    // Now remove the partitioned member: 3 of the 4 voters are reachable, the change commits.
    bool removed = false;
    jade::coord::Status remove_status;
    g.node(leader).RemoveServer(g.node(cut).id(), [&](const jade::coord::Status& st) {
        removed = true;
        remove_status = st;
    });
    REQUIRE(g.StepUntil([&] { return removed; }, 5000));
    REQUIRE(remove_status.ok());
    auto conf = g.node(leader).Configuration();
    REQUIRE(conf.size() == 3);
    for (const auto& s : conf) CHECK(s.id != g.node(cut).id());
    REQUIRE(g.ProposeAndWait(leader, "b").applied());

    // The removed server comes back: it does not disturb the new group (pre-vote, not a member).
    uint64_t term = g.node(leader).term();
    g.Heal();
    g.StepFor(3000);
    CHECK(g.node(leader).IsActingLeader());
    CHECK(g.node(leader).term() == term);
    CHECK(g.machine(joiner).applied == std::vector<std::string>{"a", "b"});
}

TEST_CASE("raft: a lagging follower is brought up to date with a snapshot", "[raft]") {
    RaftGroup g(3, 0, /*snapshot_threshold=*/8, /*snapshot_trailing=*/2);
    int leader = g.WaitForActingLeader();
    unsigned lagging = (leader + 2) % 3;
    raft_fixture_kill(g.fixture(), lagging);
    for (int i = 0; i < 40; ++i) REQUIRE(g.ProposeAndWait(leader, "v" + std::to_string(i)).applied());
    g.StepFor(500);  // let the leader take its snapshots and compact the log
    raft_fixture_revive(g.fixture(), lagging);
    REQUIRE(g.StepUntil([&] { return g.machine(lagging).applied.size() == 40; }, 10000));
    CHECK(raft_fixture_n_recv(g.fixture(), lagging, RAFT_IO_INSTALL_SNAPSHOT) >= 1);
    CHECK(g.machine(lagging).restores >= 1);
    CHECK(g.MachinesEqual(leader));
    REQUIRE(g.ProposeAndWait(leader, "after-snapshot").applied());
    REQUIRE(g.StepUntil([&] { return g.machine(lagging).applied.size() == 41; }, 3000));
}

TEST_CASE("raft: leadership transfer hands over at once; the old leader stops acting first", "[raft]") {
    RaftGroup g(3);
    int leader = g.WaitForActingLeader();
    unsigned target = (leader + 1) % 3;
    bool done = false;
    jade::coord::Status st;
    g.node(leader).TransferLeadership(g.node(target).id(), [&](const jade::coord::Status& s) {
        done = true;
        st = s;
    });
    CHECK_FALSE(g.node(leader).IsActingLeader());
    REQUIRE(g.StepUntil([&] { return done; }, 3000));
    REQUIRE(st.ok());
    REQUIRE(g.StepUntil([&] { return g.ActingLeader() == static_cast<int>(target); }, 3000));
    REQUIRE(g.ProposeAndWait(target, "t").applied());
}

TEST_CASE("raft: random partitions never let two servers act as leader (fuzzy)", "[raft]") {
    for (unsigned seed = 10; seed < 16; ++seed) {
        INFO("seed " << seed);
        RaftGroup g(5);
        std::mt19937 rng(seed);
        g.WaitForActingLeader();
        for (int round = 0; round < 25; ++round) {
            std::vector<unsigned> side;
            for (unsigned i = 0; i < 5; ++i) {
                if (rng() % 2) side.push_back(i);
            }
            g.Partition(side);
            int leader = g.ActingLeader();
            if (leader >= 0) g.node(leader).Propose("r" + std::to_string(round), [](const ProposalResult&) {});
            g.StepFor(100 + rng() % 1500);  // CheckLeaseSafety after every step
            g.Heal();
            g.StepFor(rng() % 600);
        }
        g.Heal();
        int leader = g.WaitForActingLeader();
        REQUIRE(g.ProposeAndWait(leader, "end").applied());
        REQUIRE(g.StepUntil([&] { return g.MachinesEqual(leader); }, 5000));
    }
}
