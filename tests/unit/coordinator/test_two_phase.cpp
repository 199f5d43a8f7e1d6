// test_two_phase.cpp — the 2PC decision log and recovery decisions (transaction/two_phase_log.h,
// transaction/two_phase_recovery.h).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "transaction/two_phase_log.h"
#include "transaction/two_phase_recovery.h"

using namespace jade::coord;
using namespace jade::coord::txn;

namespace {

// A fresh directory for one log, removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/jade-2pc-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

std::unique_ptr<TwoPhaseLog> OpenLog(const std::string& dir) {
    auto log = TwoPhaseLog::Open(dir, "7");
    REQUIRE(log.ok());
    return std::move(log).value();
}

using Listed = std::map<uint32_t, std::optional<std::set<std::string>>>;

}  // namespace

TEST_CASE("2PC decision log survives reopen and names transactions", "[2pc]") {
    TempDir dir;
    uint64_t committed = 0, open_decision = 0, aborted = 0;
    {
        auto log = OpenLog(dir.path);
        committed = log->Begin();
        open_decision = log->Begin();
        aborted = log->Begin();
        REQUIRE(log->LogCommit(committed, {{1, log->Gid(committed, 1)}}).ok());
        log->Finish(committed, true);
        REQUIRE(log->LogCommit(open_decision, {{1, log->Gid(open_decision, 1)}}).ok());  // crash before phase 2
        log->Finish(aborted, false);
        CHECK(log->InFlight(open_decision));
        CHECK(log->Gid(open_decision, 3) == "jade_7_" + std::to_string(open_decision) + "_3");
    }
    auto log = OpenLog(dir.path);
    CHECK(log->IsCommitted(open_decision));
    CHECK_FALSE(log->IsCommitted(committed));
    CHECK_FALSE(log->IsCommitted(aborted));
    CHECK_FALSE(log->InFlight(open_decision));
    CHECK(log->Begin() > aborted);
    uint64_t txid = 0;
    CHECK(log->ParseGid("jade_7_123_4", &txid));
    CHECK(txid == 123);
    CHECK_FALSE(log->ParseGid("jade_8_123_4", &txid));
    CHECK_FALSE(log->ParseGid("jade_7_12x_4", &txid));
    CHECK_FALSE(log->ParseGid("jade_7_123", &txid));
}

TEST_CASE("a commit record lasts until every participant committed, across reopens", "[2pc]") {
    TempDir dir;
    uint64_t t = 0;
    PreparedParticipant a{1, ""}, b{2, ""};
    {
        auto log = OpenLog(dir.path);
        t = log->Begin();
        a.gid = log->Gid(t, 1);
        b.gid = log->Gid(t, 2);
        REQUIRE(log->LogCommit(t, {a, b}).ok());
        log->Finish(t, false);  // phase 2 reached only node 1
        log->ParticipantDone(t, a);
        CHECK(log->IsCommitted(t));
    }
    {
        auto log = OpenLog(dir.path);
        REQUIRE(log->IsCommitted(t));
        CHECK(log->pending_commits().at(t).participants == std::set<PreparedParticipant>{b});
        log->ParticipantDone(t, b);
        CHECK_FALSE(log->IsCommitted(t));
    }
    auto log = OpenLog(dir.path);
    CHECK_FALSE(log->IsCommitted(t));
}

TEST_CASE("the abandon listener hears of work left for recovery", "[2pc]") {
    TempDir dir;
    auto log = OpenLog(dir.path);
    int told = 0;
    log->SetAbandonListener([&] { ++told; });
    uint64_t clean = log->Begin();
    log->Finish(clean, false);  // rolled back everywhere: nothing left
    CHECK(told == 0);
    uint64_t unresolved = log->Begin();
    REQUIRE(log->LogCommit(unresolved, {{1, log->Gid(unresolved, 1)}}).ok());
    log->Finish(unresolved, false);
    CHECK(told == 1);
    uint64_t gone = log->Begin();
    log->Abandon(gone);
    CHECK(told == 2);
    CHECK_FALSE(log->InFlight(gone));
}

TEST_CASE("recovery commits recorded transactions and rolls back the others", "[2pc]") {
    TempDir dir;
    auto log = OpenLog(dir.path);
    uint64_t decided = log->Begin(), undecided = log->Begin(), running = log->Begin();
    PreparedParticipant d1{1, log->Gid(decided, 1)}, d2{2, log->Gid(decided, 2)};
    REQUIRE(log->LogCommit(decided, {d1, d2}).ok());
    log->Finish(decided, false);
    log->Finish(undecided, false);
    Listed listed = {{1, std::set<std::string>{d1.gid, log->Gid(undecided, 1), log->Gid(running, 1), "jade_9_1_1"}},
                     {2, std::nullopt}};  // node 2 is down
    RecoveryPlan plan = PlanRecovery(*log, listed, {1, 2});
    CHECK(plan.actions ==
          std::vector<RecoveryAction>{{decided, d1, true}, {undecided, {1, log->Gid(undecided, 1)}, false}});
    CHECK(plan.confirmed.empty());
    // Node 1 committed; node 2 is still unknown: the record stays.
    log->ParticipantDone(decided, d1);
    REQUIRE(log->IsCommitted(decided));
    // Node 2 is back with the gid still prepared: committed, never rolled back.
    listed = {{1, std::set<std::string>{}}, {2, std::set<std::string>{d2.gid}}};
    plan = PlanRecovery(*log, listed, {1, 2});
    CHECK(plan.actions == std::vector<RecoveryAction>{{decided, d2, true}});
    log->ParticipantDone(decided, d2);
    CHECK_FALSE(log->IsCommitted(decided));
}

TEST_CASE("a participant a reachable node no longer lists has committed", "[2pc]") {
    TempDir dir;
    auto log = OpenLog(dir.path);
    uint64_t t = log->Begin();
    PreparedParticipant p1{1, log->Gid(t, 1)}, p2{2, log->Gid(t, 2)}, p3{3, log->Gid(t, 3)};
    REQUIRE(log->LogCommit(t, {p1, p2, p3}).ok());
    log->Finish(t, false);
    // Node 1 lists nothing (committed), node 2 cannot be listed, node 3 was removed.
    RecoveryPlan plan = PlanRecovery(*log, {{1, std::set<std::string>{}}, {2, std::nullopt}}, {1, 2});
    CHECK(plan.actions.empty());
    CHECK(plan.confirmed == std::vector<std::pair<uint64_t, PreparedParticipant>>{{t, p1}, {t, p3}});
}

TEST_CASE("transactions in flight are left alone", "[2pc]") {
    TempDir dir;
    auto log = OpenLog(dir.path);
    uint64_t t = log->Begin();
    PreparedParticipant p1{1, log->Gid(t, 1)};
    REQUIRE(log->LogCommit(t, {p1}).ok());  // phase 2 still running in this process
    RecoveryPlan plan = PlanRecovery(*log, {{1, std::set<std::string>{}}}, {1});
    CHECK(plan.actions.empty());
    CHECK(plan.confirmed.empty());
}

TEST_CASE("a record logged without participants resolves the old way", "[2pc]") {
    TempDir dir;
    uint64_t t = 0;
    {
        auto log = OpenLog(dir.path);
        t = log->Begin();
    }
    {
        std::ofstream f(dir.path + "/2pc.log", std::ios::app);
        f << "C " << t << "\n";
    }
    auto log = OpenLog(dir.path);
    REQUIRE(log->IsCommitted(t));
    std::string gid = log->Gid(t, 1);
    // With a node down it waits.
    CHECK(PlanRecovery(*log, {{1, std::set<std::string>{gid}}, {2, std::nullopt}}, {1, 2}).legacy.empty());
    RecoveryPlan plan = PlanRecovery(*log, {{1, std::set<std::string>{gid}}, {2, std::set<std::string>{}}}, {1, 2});
    CHECK(plan.actions == std::vector<RecoveryAction>{{t, {1, gid}, true}});
    CHECK(plan.legacy == std::vector<uint64_t>{t});
}
