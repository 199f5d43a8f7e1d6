// test_session_startup.cpp — the sans-IO session fed byte sequences: startup, SSL refusal,
// trust and SCRAM authentication, cancel requests, garbage and limits.
#include <catch2/catch.hpp>

#include "wire/messages/startup.h"
#include "wire/session.h"
#include "wire_test_util.h"

using namespace jade::coord;
using namespace jade::coord::wire;
using test::ErrorField;
using test::SplitBackend;

namespace {

SessionOptions Options(AuthMode mode = AuthMode::kTrust,
                       const std::map<std::string, auth::ScramSecret>* users = nullptr) {
    SessionOptions o;
    o.auth = mode;
    o.users = users;
    o.database = "postgres";
    o.max_message = 1024;
    o.backend_pid = 42;
    o.backend_key = 4242;
    o.server_params = {{"server_version", "15.20"}, {"client_encoding", "UTF8"}};
    return o;
}

// Polls until no more progress; returns the events seen.
std::vector<SessionEvent> Drain(Session& s) {
    std::vector<SessionEvent> ev;
    for (int i = 0; i < 100; ++i) {
        SessionEvent e = s.Poll();
        ev.push_back(e);
        if (e == SessionEvent::kNeedMore || e == SessionEvent::kClose || e == SessionEvent::kCancel) break;
    }
    return ev;
}

}  // namespace

TEST_CASE("SSLRequest is refused with N, then trust startup succeeds", "[session]") {
    Session s(Options());
    s.Feed(test::Special(kSslRequestCode));
    CHECK(Drain(s).back() == SessionEvent::kNeedMore);
    CHECK(s.output() == "N");
    s.output().clear();
    s.Feed(test::Startup({{"user", "postgres"}, {"database", "postgres"}, {"application_name", "psql"}}));
    auto ev = Drain(s);
    CHECK(ev.front() == SessionEvent::kReady);
    REQUIRE(s.ready());
    auto msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() >= 5);
    CHECK(msgs.front().type == 'R');
    CHECK(msgs.front().payload == std::string(4, '\0'));
    bool saw_app = false;
    for (const auto& m : msgs) {
        if (m.type == 'S' && m.payload == std::string("application_name\0psql\0", 22)) saw_app = true;
    }
    CHECK(saw_app);
    CHECK(msgs[msgs.size() - 2].type == 'K');
    CHECK(msgs.back().type == 'Z');
    CHECK(msgs.back().payload == "I");
}

TEST_CASE("messages are handed out one at a time, also when fed byte by byte", "[session]") {
    Session t(Options());
    std::string bytes =
        test::Startup({{"user", "postgres"}}) + test::Typed('Q', std::string("select 1\0", 9)) + test::Typed('X', "");
    std::vector<SessionEvent> events;
    for (char c : bytes) {
        t.Feed(std::string_view(&c, 1));
        for (SessionEvent e = t.Poll(); e != SessionEvent::kNeedMore; e = t.Poll()) {
            events.push_back(e);
            if (e == SessionEvent::kMessage) {
                CHECK(t.message_type() == 'Q');
                CHECK(t.message_payload() == std::string("select 1\0", 9));
            }
            if (e == SessionEvent::kClose) break;
        }
    }
    CHECK(events == std::vector<SessionEvent>{SessionEvent::kReady, SessionEvent::kMessage, SessionEvent::kClose});
}

TEST_CASE("garbage, oversized and unknown messages close only with 08P01", "[session]") {
    auto expect_protocol_error = [](const std::string& after_startup) {
        Session s(Options());
        s.Feed(test::Startup({{"user", "postgres"}}));
        REQUIRE(s.Poll() == SessionEvent::kReady);
        s.output().clear();
        s.Feed(after_startup);
        SessionEvent e = s.Poll();
        CHECK(e == SessionEvent::kClose);
        auto msgs = SplitBackend(s.output());
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].type == 'E');
        CHECK(ErrorField(msgs[0].payload, 'C') == "08P01");
        CHECK(ErrorField(msgs[0].payload, 'S') == "FATAL");
        CHECK(s.closed());
    };
    expect_protocol_error("\x01\x02\x03\x04\x05\x06");
    expect_protocol_error(std::string("Q\x7f\xff\xff\xff", 5));  // oversized length field
    expect_protocol_error(std::string("Q\x00\x00\x08\x00", 5));  // 2048 > max_message (1024)
    expect_protocol_error(std::string("Q\x00\x00\x00\x02", 5));  // length below 4
    expect_protocol_error(test::Typed('p', "password"));         // password after auth

    SECTION("garbage instead of a startup packet") {
        Session s(Options());
        s.Feed(std::string("\xff\xff\xff\xff garbage", 12));
        CHECK(s.Poll() == SessionEvent::kClose);
        CHECK(ErrorField(SplitBackend(s.output())[0].payload, 'C') == "08P01");
    }
    SECTION("truncated message waits for more") {
        Session s(Options());
        s.Feed(test::Startup({{"user", "postgres"}}));
        REQUIRE(s.Poll() == SessionEvent::kReady);
        s.Feed(std::string("Q\x00\x00\x00\x20select", 11));
        CHECK(s.Poll() == SessionEvent::kNeedMore);
        CHECK_FALSE(s.closed());
    }
}

TEST_CASE("cancel requests and wrong databases", "[session]") {
    Session s(Options());
    s.Feed(test::Special(kCancelRequestCode, 42, 4242));
    CHECK(s.Poll() == SessionEvent::kCancel);
    CHECK(s.cancel_pid() == 42);
    CHECK(s.cancel_key() == 4242);
    CHECK(s.output().empty());

    Session d(Options());
    d.Feed(test::Startup({{"user", "postgres"}, {"database", "other"}}));
    CHECK(d.Poll() == SessionEvent::kClose);
    CHECK(ErrorField(SplitBackend(d.output())[0].payload, 'C') == "3D000");

    Session r(Options());
    r.Feed(test::Startup({{"user", "postgres"}, {"replication", "database"}}));
    CHECK(r.Poll() == SessionEvent::kClose);
    CHECK(ErrorField(SplitBackend(r.output())[0].payload, 'C') == "0A000");
}

TEST_CASE("SCRAM authentication through the session", "[session][scram]") {
    std::map<std::string, auth::ScramSecret> users{
        {"alice", auth::MakeScramSecret("s3cret", "0123456789abcdef", 4096)}};
    auto sasl_initial = [](const std::string& data) {
        std::string p;
        MessageWriter w(&p);
        w.CString("SCRAM-SHA-256");
        w.Int32(static_cast<int32_t>(data.size()));
        w.Bytes(data);
        return test::Typed('p', p);
    };
    Session s(Options(AuthMode::kScramSha256, &users));
    s.Feed(test::Startup({{"user", "alice"}, {"database", "postgres"}}));
    CHECK(s.Poll() == SessionEvent::kNeedMore);
    auto msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].type == 'R');
    CHECK(msgs[0].payload == std::string("\x00\x00\x00\x0aSCRAM-SHA-256\0\0", 19));
    s.output().clear();
    s.Feed(sasl_initial("n,,n=,r=abcdef"));
    CHECK(s.Poll() == SessionEvent::kNeedMore);
    msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() == 1);
    CHECK(ReadBE32(msgs[0].payload.data()) == kAuthSaslContinue);
    s.output().clear();
    // A wrong proof: 28P01 and the connection is closed.
    std::string server_first = msgs[0].payload.substr(4);
    std::string nonce = server_first.substr(2, server_first.find(',') - 2);
    s.Feed(test::Typed('p', "c=biws,r=" + nonce + ",p=" + auth::Base64Encode(std::string(32, 'x'))));
    CHECK(s.Poll() == SessionEvent::kClose);
    msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() == 1);
    CHECK(ErrorField(msgs[0].payload, 'C') == "28P01");

    SECTION("a non-SASL message during SASL is refused") {
        Session t(Options(AuthMode::kScramSha256, &users));
        t.Feed(test::Startup({{"user", "alice"}, {"database", "postgres"}}));
        t.Poll();
        t.Feed(test::Typed('Q', std::string("select 1\0", 9)));
        CHECK(t.Poll() == SessionEvent::kClose);
    }
}

TEST_CASE("SSLRequest with TLS configured: S, then the startup packet after the handshake", "[session][tls]") {
    SessionOptions o = Options();
    o.tls_available = true;
    Session s(o);
    s.Feed(test::Special(kSslRequestCode));
    CHECK(s.Poll() == SessionEvent::kStartTls);
    CHECK(s.output() == "S");
    s.output().clear();
    s.TlsStarted();
    CHECK(s.tls_active());
    s.Feed(test::Startup({{"user", "postgres"}, {"database", "postgres"}}));
    CHECK(Drain(s).front() == SessionEvent::kReady);
    // A second SSLRequest on the encrypted connection is a protocol violation.
    Session t(o);
    t.Feed(test::Special(kSslRequestCode));
    REQUIRE(t.Poll() == SessionEvent::kStartTls);
    t.TlsStarted();
    t.Feed(test::Special(kSslRequestCode));
    CHECK(Drain(t).back() == SessionEvent::kClose);
}

TEST_CASE("bytes sent in the clear after SSLRequest are refused", "[session][tls]") {
    SessionOptions o = Options();
    o.tls_available = true;
    Session s(o);
    s.Feed(test::Special(kSslRequestCode) + test::Startup({{"user", "postgres"}}));
    CHECK(Drain(s).back() == SessionEvent::kClose);
    auto msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() == 1);
    CHECK(ErrorField(msgs[0].payload, 'C') == "08P01");
    CHECK(ErrorField(msgs[0].payload, 'M') == "received unencrypted data after SSL request");
}

TEST_CASE("require_ssl: a startup packet in the clear is refused with 28000", "[session][tls]") {
    SessionOptions o = Options();
    o.tls_available = true;
    o.tls_required = true;
    o.peer = "10.1.2.3";
    Session s(o);
    s.Feed(test::Special(kSslRequestCode));
    REQUIRE(s.Poll() == SessionEvent::kStartTls);  // still offered
    Session plain(o);
    plain.Feed(test::Startup({{"user", "alice"}, {"database", "postgres"}}));
    CHECK(Drain(plain).back() == SessionEvent::kClose);
    auto msgs = SplitBackend(plain.output());
    REQUIRE(msgs.size() == 1);
    CHECK(ErrorField(msgs[0].payload, 'C') == "28000");
    CHECK(ErrorField(msgs[0].payload, 'M') == "connection without TLS refused for host \"10.1.2.3\", user \"alice\"");
}

TEST_CASE("before authentication a SASL message is held to kMaxAuthMessage", "[session][limits]") {
    std::map<std::string, auth::ScramSecret> users{{"postgres", auth::MakeScramSecret("pw", "saltsalt", 4096)}};
    SessionOptions o = Options(AuthMode::kScramSha256, &users);
    o.max_message = 64u << 20;  // the post-authentication limit does not apply yet
    Session s(o);
    s.Feed(test::Startup({{"user", "postgres"}, {"database", "postgres"}}));
    CHECK(Drain(s).back() == SessionEvent::kNeedMore);
    s.output().clear();
    std::string header = "p";
    header.push_back(0);
    header.push_back(1);  // length 65536 + ...: above 16384
    header.push_back(0);
    header.push_back(8);
    s.Feed(header);
    CHECK(Drain(s).back() == SessionEvent::kClose);
    auto msgs = SplitBackend(s.output());
    REQUIRE(msgs.size() == 1);
    CHECK(ErrorField(msgs[0].payload, 'C') == "08P01");
    CHECK(s.authenticating() == false);
}
