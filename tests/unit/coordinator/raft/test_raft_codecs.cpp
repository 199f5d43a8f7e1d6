// test_raft_codecs.cpp — pure parts of the cluster layer: --peers parsing, cluster-port
// framing (any chunking, garbage refused) and request payload encodings.
#include <catch2/catch.hpp>

#include <random>

#include "metadata/byte_codec.h"
#include "raft/peer_spec.h"
#include "raft/rpc_frame.h"
#include "raft/rpc_messages.h"

using namespace jade::coord;
using namespace jade::coord::raft;

TEST_CASE("peer list: id@host[:port], unique ids and addresses, clear errors", "[raft][codec]") {
    auto peers = ParsePeerList("1@10.0.0.1:9081, 2@10.0.0.2,3@node3.example:9999");
    REQUIRE(peers.ok());
    REQUIRE(peers->size() == 3);
    CHECK((*peers)[0].id == 1);
    CHECK((*peers)[0].Address() == "10.0.0.1:9081");
    CHECK((*peers)[1].port == kDefaultClusterPort);
    CHECK((*peers)[2].host == "node3.example");
    for (const char* bad : {"", "1@", "@h:1", "0@h:1", "x@h:1", "1@h:0", "1@h:70000", "1@h:1,1@g:2",
                            "1@h:1,2@h:1", "1@h:1,,2@g:1", "1h:1", "1@h:1x"}) {
        INFO(bad);
        auto p = ParsePeerList(bad);
        REQUIRE_FALSE(p.ok());
        CHECK(p.error().sqlstate == "22023");
    }
    auto hp = ParseHostAndPort("127.0.0.1:9082");
    REQUIRE(hp.ok());
    CHECK(hp->port == 9082);
}

TEST_CASE("cluster-port frames: any chunking; oversized or short lengths are refused", "[raft][codec]") {
    std::string stream = EncodeFrame(1, 7, "hello") + EncodeFrame(2, 8, "") + EncodeFrame(3, 9, std::string(70000, 'x'));
    std::mt19937 rng(7);
    for (int round = 0; round < 50; ++round) {
        FrameDecoder d;
        std::vector<Frame> got;
        size_t pos = 0;
        while (pos < stream.size()) {
            size_t n = std::min<size_t>(1 + rng() % 5000, stream.size() - pos);
            REQUIRE(d.Feed(stream.data() + pos, n));
            pos += n;
            Frame f;
            while (d.Next(&f)) got.push_back(f);
        }
        REQUIRE(got.size() == 3);
        CHECK(got[0].type == 1);
        CHECK(got[0].id == 7);
        CHECK(got[0].payload == "hello");
        CHECK(got[1].payload.empty());
        CHECK(got[2].payload.size() == 70000);
    }
    FrameDecoder big;
    ByteWriter w;
    w.U32(kMaxFrameBytes + 1);
    CHECK_FALSE(big.Feed(w.bytes().data(), w.bytes().size()));
    FrameDecoder tiny;
    ByteWriter t;
    t.U32(3);
    CHECK_FALSE(tiny.Feed(t.bytes().data(), t.bytes().size()));
    CHECK(kRpcMagic != kRaftHandshakeProtocol);
}

TEST_CASE("cluster-port payloads round-trip; malformed ones are XX001", "[raft][codec]") {
    ProposalResult p;
    p.outcome = Outcome::kRefused;
    p.index = 42;
    p.error = MakeError("42710", "node exists", "detail", "hint");
    auto pb = DecodeProposalResult(EncodeProposalResult(p));
    REQUIRE(pb.ok());
    CHECK(pb->outcome == Outcome::kRefused);
    CHECK(pb->index == 42);
    CHECK(pb->error.hint == "hint");

    PeerStatus s;
    s.id = 3;
    s.address = "10.0.0.3:9080";
    s.sql_address = "10.0.0.3:6432";
    s.role = 3;
    s.term = 9;
    s.leader_id = 3;
    s.commit_index = 100;
    s.applied_index = 99;
    s.last_index = 101;
    s.caught_up = true;
    s.acting_leader = true;
    s.since_leader_contact_ms = UINT64_MAX;
    auto sb = DecodePeerStatus(EncodePeerStatus(s));
    REQUIRE(sb.ok());
    CHECK(sb->sql_address == s.sql_address);
    CHECK(sb->since_leader_contact_ms == UINT64_MAX);
    CHECK(sb->acting_leader);

    MembershipRequest m{MembershipOp::kRemove, 4, ""};
    auto mb = DecodeMembershipRequest(EncodeMembershipRequest(m));
    REQUIRE(mb.ok());
    CHECK(mb->op == MembershipOp::kRemove);
    bool not_leader = false;
    CHECK(DecodeStatusReply(EncodeStatusReply(Status{}, false), &not_leader).ok());
    Status err = DecodeStatusReply(EncodeStatusReply(MakeError("55000", "busy"), true), &not_leader);
    CHECK(not_leader);
    CHECK(err.error().sqlstate == "55000");

    std::string ep = EncodeProposalResult(p), es = EncodePeerStatus(s), em = EncodeMembershipRequest(m);
    for (size_t n = 0; n < ep.size(); ++n) CHECK_FALSE(DecodeProposalResult(std::string_view(ep.data(), n)).ok());
    for (size_t n = 0; n < es.size(); ++n) CHECK_FALSE(DecodePeerStatus(std::string_view(es.data(), n)).ok());
    for (size_t n = 0; n < em.size(); ++n) CHECK_FALSE(DecodeMembershipRequest(std::string_view(em.data(), n)).ok());
    CHECK_FALSE(DecodeProposalResult(ep + "x").ok());
}
