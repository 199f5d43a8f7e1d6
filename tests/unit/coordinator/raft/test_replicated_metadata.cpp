// test_replicated_metadata.cpp — the catalog + 2PC decisions as a Raft state machine: entry and
// snapshot encodings, all-or-nothing application, first-decision-wins, and three replicas on
// raft_fixture that stay equal through a refused command and a snapshot install.
#include <catch2/catch.hpp>

#include <random>

#include "metadata/replicated_metadata.h"
#include "metadata/state_machine.h"
#include "raft_group.h"

using namespace jade::coord;

namespace {

MetadataEntry ClusterEntry() {
    Catalog c;
    MetadataEntry e;
    for (int port : {5433, 5434, 5435}) {
        auto add = MakeAddNode(c, "127.0.0.1", port);
        REQUIRE(add.ok());
        REQUIRE(ApplyCommand(c, *add).ok());
        e.commands.push_back(*add);
    }
    auto dist = MakeCreateDistributedTable(c, "public", "items", "id", KeyType::kInt8, 4, {"id", "v"});
    REQUIRE(dist.ok());
    e.commands.push_back(*dist);
    e.decisions.push_back({TxnKey{"1", 1000}, TxnDecision::kCommit});
    e.decisions.push_back({TxnKey{"2", 7}, TxnDecision::kAbort});
    e.forget.push_back(TxnKey{"3", 9});
    return e;
}

}  // namespace

TEST_CASE("replicated metadata: entries round-trip; truncations and junk are refused as XX001", "[raft][metadata]") {
    MetadataEntry e = ClusterEntry();
    std::string bytes = EncodeEntry(e);
    auto back = DecodeEntry(bytes);
    REQUIRE(back.ok());
    REQUIRE(back->commands.size() == 4);
    for (size_t i = 0; i < e.commands.size(); ++i) CHECK(back->commands[i] == e.commands[i]);
    CHECK(back->decisions == e.decisions);
    CHECK(back->forget == e.forget);
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto cut = DecodeEntry(std::string_view(bytes).substr(0, n));
        REQUIRE_FALSE(cut.ok());
        CHECK(cut.error().sqlstate == "XX001");
    }
    CHECK_FALSE(DecodeEntry(bytes + "x").ok());
    std::string v2 = bytes;
    v2[0] = 2;
    CHECK_FALSE(DecodeEntry(v2).ok());
    // Random bytes never crash the decoder (and a huge count does not allocate).
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
        std::string junk(rng() % 64, '\0');
        for (char& ch : junk) ch = static_cast<char>(rng());
        if (!junk.empty()) junk[0] = kEntryFormatVersion;
        (void)DecodeEntry(junk);
    }
}

TEST_CASE("replicated metadata: an entry applies all or nothing; the first 2PC decision wins", "[raft][metadata]") {
    ReplicatedMetadata m;
    REQUIRE(m.Apply(1, EncodeEntry(ClusterEntry())).ok());
    CHECK(m.catalog().nodes().size() == 3);
    CHECK(m.catalog().FindTable("public", "items") != nullptr);
    CHECK(*m.Decision(TxnKey{"1", 1000}) == TxnDecision::kCommit);
    uint64_t applied = m.catalog().applied_index();

    // A good command followed by a bad one: nothing changes.
    MetadataEntry mixed;
    mixed.commands.push_back(AddNodeCmd{4, "127.0.0.1", 5436});
    mixed.commands.push_back(AddNodeCmd{5, "127.0.0.1", 5433});  // address taken
    Status st = m.Apply(2, EncodeEntry(mixed));
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().sqlstate == "42710");
    CHECK(m.catalog().nodes().size() == 3);
    CHECK(m.catalog().applied_index() == applied);

    // Commit after abort is refused (40000), and so is abort after commit; repeating is fine.
    MetadataEntry commit_aborted;
    commit_aborted.decisions.push_back({TxnKey{"2", 7}, TxnDecision::kCommit});
    Status c = m.Apply(3, EncodeEntry(commit_aborted));
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().sqlstate == "40000");
    MetadataEntry abort_committed;
    abort_committed.decisions.push_back({TxnKey{"1", 1000}, TxnDecision::kAbort});
    CHECK_FALSE(m.Apply(4, EncodeEntry(abort_committed)).ok());
    MetadataEntry again;
    again.decisions.push_back({TxnKey{"1", 1000}, TxnDecision::kCommit});
    CHECK(m.Apply(5, EncodeEntry(again)).ok());
    // A refused decision in an entry also refuses the entry's commands.
    MetadataEntry cmd_and_bad;
    cmd_and_bad.commands.push_back(AddNodeCmd{4, "127.0.0.1", 5436});
    cmd_and_bad.decisions.push_back({TxnKey{"2", 7}, TxnDecision::kCommit});
    CHECK_FALSE(m.Apply(6, EncodeEntry(cmd_and_bad)).ok());
    CHECK(m.catalog().FindNode(4) == nullptr);

    MetadataEntry forget;
    forget.forget.push_back(TxnKey{"1", 1000});
    REQUIRE(m.Apply(7, EncodeEntry(forget)).ok());
    CHECK_FALSE(m.Decision(TxnKey{"1", 1000}).has_value());
    CHECK(m.Apply(8, "garbage").error().sqlstate == "XX001");
}

TEST_CASE("replicated metadata: snapshots hold the catalog encoding and the decisions", "[raft][metadata]") {
    ReplicatedMetadata m;
    REQUIRE(m.Apply(1, EncodeEntry(ClusterEntry())).ok());
    std::string snap = m.Snapshot();
    ReplicatedMetadata r;
    REQUIRE(r.Restore(snap).ok());
    CHECK(r.catalog() == m.catalog());
    CHECK(r.decisions() == m.decisions());
    for (size_t n = 0; n < snap.size(); ++n) CHECK_FALSE(r.Restore(std::string_view(snap).substr(0, n)).ok());
    CHECK(r.catalog() == m.catalog());  // a failed restore leaves the state alone
}

TEST_CASE("replicated metadata: three replicas on raft_fixture stay equal through snapshots", "[raft][metadata]") {
    using jade::coord::raft::Outcome;
    using jade::coord::raft::RaftNode;
    raft_fixture f{};
    REQUIRE(raft_fixture_initialize(&f) == 0);
    std::vector<std::unique_ptr<ReplicatedMetadata>> machines;
    std::vector<std::unique_ptr<RaftNode>> nodes;
    for (unsigned i = 0; i < 3; ++i) {
        machines.push_back(std::make_unique<ReplicatedMetadata>());
        jade::coord::raft::NodeOptions o;
        o.id = i + 1;
        o.address = std::to_string(i + 1);
        o.log_changes = false;
        nodes.push_back(std::make_unique<RaftNode>(machines.back().get(), o));
        REQUIRE(raft_fixture_grow(&f, nodes.back()->fsm()) == 0);
        nodes.back()->AttachFixture(raft_fixture_get(&f, i));
        raft_set_snapshot_threshold(raft_fixture_get(&f, i), 4);
        raft_set_snapshot_trailing(raft_fixture_get(&f, i), 1);
    }
    raft_configuration conf;
    REQUIRE(raft_fixture_configuration(&f, 3, &conf) == 0);
    REQUIRE(raft_fixture_bootstrap(&f, &conf) == 0);
    raft_configuration_close(&conf);
    REQUIRE(raft_fixture_start(&f) == 0);
    REQUIRE(raft_fixture_step_until_has_leader(&f, 5000));
    unsigned leader = raft_fixture_leader_index(&f);
    unsigned lagging = (leader + 1) % 3;
    raft_fixture_kill(&f, lagging);

    auto propose = [&](const MetadataEntry& e) {
        bool done = false;
        jade::coord::raft::ProposalResult r;
        nodes[leader]->Propose(EncodeEntry(e), [&](const jade::coord::raft::ProposalResult& res) {
            done = true;
            r = res;
        });
        for (int i = 0; i < 100000 && !done; ++i) raft_fixture_step(&f);
        REQUIRE(done);
        return r;
    };
    REQUIRE(propose(ClusterEntry()).outcome == Outcome::kApplied);
    MetadataEntry dup;
    dup.commands.push_back(AddNodeCmd{9, "127.0.0.1", 5433});
    REQUIRE(propose(dup).outcome == Outcome::kRefused);
    for (uint64_t t = 1; t <= 12; ++t) {
        MetadataEntry d;
        d.decisions.push_back({TxnKey{"1", 5000 + t}, TxnDecision::kCommit});
        if (t % 3 == 0) d.forget.push_back(TxnKey{"1", 5000 + t - 1});
        REQUIRE(propose(d).outcome == Outcome::kApplied);
    }
    raft_fixture_step_until_elapsed(&f, 1000);
    raft_fixture_revive(&f, lagging);
    bool equal = false;
    for (int i = 0; i < 200000 && !equal; ++i) {
        raft_fixture_step(&f);
        equal = machines[lagging]->catalog() == machines[leader]->catalog() &&
                machines[lagging]->decisions() == machines[leader]->decisions();
    }
    CHECK(equal);
    CHECK(raft_fixture_n_recv(&f, lagging, RAFT_IO_INSTALL_SNAPSHOT) >= 1);
    CHECK(machines[lagging]->catalog().FindTable("public", "items") != nullptr);
    CHECK(machines[lagging]->decisions().size() == machines[leader]->decisions().size());
    raft_fixture_close(&f);
}
