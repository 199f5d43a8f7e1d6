// test_wire_codec.cpp — protocol v3 encode/decode and framing limits.
#include <catch2/catch.hpp>

#include "wire/framing.h"
#include "wire/messages/copy.h"
#include "wire/messages/error_response.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"
#include "wire/messages/row_data.h"
#include "wire/messages/startup.h"
#include "wire_test_util.h"

using namespace jade::coord;
using namespace jade::coord::wire;
using jade::coord::wire::test::ErrorField;
using jade::coord::wire::test::SplitBackend;

TEST_CASE("message writer patches big-endian lengths and reader round-trips", "[wire]") {
    std::string buf;
    MessageWriter w(&buf);
    w.Begin('X');
    w.Int16(-2);
    w.Int32(0x01020304);
    w.CString("abc");
    w.End();
    REQUIRE(buf.size() == 1 + 4 + 2 + 4 + 4);
    CHECK(buf[0] == 'X');
    CHECK(ReadBE32(buf.data() + 1) == 14);
    MessageReader r(std::string_view(buf).substr(5));
    int16_t a = 0;
    int32_t b = 0;
    std::string_view s;
    REQUIRE(r.Int16(&a));
    REQUIRE(r.Int32(&b));
    REQUIRE(r.CString(&s));
    CHECK(a == -2);
    CHECK(b == 0x01020304);
    CHECK(s == "abc");
    CHECK(r.AtEnd());
    CHECK_FALSE(r.Int8(reinterpret_cast<uint8_t*>(&a)));
    CHECK_FALSE(r.ok());
}

TEST_CASE("reader refuses strings without terminator", "[wire]") {
    MessageReader r(std::string_view("abc", 3));
    std::string_view s;
    CHECK_FALSE(r.CString(&s));
}

TEST_CASE("framing waits for complete messages and enforces limits", "[wire][framing]") {
    std::string q = test::Typed('Q', std::string("select 1") + '\0');
    for (size_t cut = 0; cut < q.size(); ++cut) {
        CHECK(DecodeFrame(std::string_view(q).substr(0, cut), 1 << 20).status == FrameStatus::kNeedMore);
    }
    auto full = DecodeFrame(q + "Q", 1 << 20);
    REQUIRE(full.status == FrameStatus::kFrame);
    CHECK(full.frame.type == 'Q');
    CHECK(full.frame.frame_bytes == q.size());

    SECTION("oversized length") {
        std::string big("Q\x7f\xff\xff\xff", 5);
        auto r = DecodeFrame(big, 1 << 20);
        CHECK(r.status == FrameStatus::kError);
        CHECK_THAT(r.error, Catch::Contains("invalid message length"));
    }
    SECTION("length below 4") {
        std::string bad("S\x00\x00\x00\x03", 5);
        CHECK(DecodeFrame(bad, 1 << 20).status == FrameStatus::kError);
    }
    SECTION("unknown message type") {
        auto r = DecodeFrame("\x01garbage", 1 << 20);
        CHECK(r.status == FrameStatus::kError);
        CHECK_THAT(r.error, Catch::Contains("invalid frontend message type 1"));
    }
    SECTION("startup packet limits") {
        CHECK(DecodeStartupFrame(std::string("\x00\x00\x00\x04", 4)).status == FrameStatus::kError);
        CHECK(DecodeStartupFrame(std::string("\x00\x01\x00\x00", 4)).status == FrameStatus::kError);
        CHECK(DecodeStartupFrame(std::string("\x00\x00\x00\x10", 4)).status == FrameStatus::kNeedMore);
    }
}

TEST_CASE("startup packet decoding", "[wire][startup]") {
    std::string pkt = test::Startup({{"user", "alice"}, {"database", "db"}, {"application_name", "x"}});
    auto r = DecodeStartupPacket(std::string_view(pkt).substr(4));
    REQUIRE(r.ok());
    CHECK(r->kind == StartupPacket::Kind::kStartup);
    CHECK(r->Param("user") == "alice");
    CHECK(r->Param("database") == "db");
    CHECK(r->Param("missing").empty());

    std::string ssl = test::Special(kSslRequestCode);
    CHECK(DecodeStartupPacket(std::string_view(ssl).substr(4))->kind == StartupPacket::Kind::kSsl);
    std::string cancel = test::Special(kCancelRequestCode, 7, 99);
    auto c = DecodeStartupPacket(std::string_view(cancel).substr(4));
    REQUIRE(c.ok());
    CHECK(c->cancel_pid == 7);
    CHECK(c->cancel_key == 99);

    std::string v2 = test::Special(2 << 16);
    auto bad = DecodeStartupPacket(std::string_view(v2).substr(4));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().sqlstate == "0A000");
    std::string nouser = test::Startup({{"database", "db"}});
    CHECK(DecodeStartupPacket(std::string_view(nouser).substr(4)).error().sqlstate == "28000");
}

TEST_CASE("Parse, Bind, Describe, Execute, Close decoding", "[wire][extended]") {
    std::string p;
    MessageWriter w(&p);
    w.CString("s1");
    w.CString("select $1::int, $2");
    w.Int16(2);
    w.Int32(23);
    w.Int32(0);
    auto parse = DecodeParse(p);
    REQUIRE(parse.ok());
    CHECK(parse->name == "s1");
    CHECK(parse->param_types == std::vector<uint32_t>{23, 0});

    std::string b;
    MessageWriter bw(&b);
    bw.CString("portal");
    bw.CString("s1");
    bw.Int16(2);
    bw.Int16(1);
    bw.Int16(0);
    bw.Int16(2);
    bw.Int32(4);
    bw.Bytes(std::string("\x00\x00\x00\x2a", 4));
    bw.Int32(-1);
    bw.Int16(1);
    bw.Int16(1);
    auto bind = DecodeBind(b);
    REQUIRE(bind.ok());
    CHECK(bind->portal == "portal");
    CHECK(bind->params.size() == 2);
    CHECK(bind->params[0]->size() == 4);
    CHECK_FALSE(bind->params[1].has_value());
    CHECK(bind->ParamFormat(0) == 1);
    CHECK(bind->ParamFormat(1) == 0);
    CHECK(bind->ResultFormat(5) == 1);

    SECTION("a lying parameter count is refused without allocating") {
        std::string lie;
        MessageWriter lw(&lie);
        lw.CString("");
        lw.CString("");
        lw.Int16(0);
        lw.Int16(30000);
        lw.Int32(1);
        auto r = DecodeBind(lie);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().sqlstate == "08P01");
    }
    SECTION("truncated bind value") {
        std::string t = b.substr(0, b.size() - 10);
        CHECK_FALSE(DecodeBind(t).ok());
    }
    auto d = DecodeDescribe(std::string("P\0", 2));
    REQUIRE(d.ok());
    CHECK(d->kind == 'P');
    CHECK_FALSE(DecodeDescribe(std::string("X\0", 2)).ok());
    std::string e;
    MessageWriter ew(&e);
    ew.CString("");
    ew.Int32(10);
    CHECK(DecodeExecute(e)->max_rows == 10);
    CHECK(DecodeClose(std::string("S\0", 2))->kind == 'S');
}

TEST_CASE("backend messages encode as PostgreSQL sends them", "[wire]") {
    std::string out;
    FieldDesc f;
    f.name = "id";
    f.type_oid = 20;
    f.type_len = 8;
    WriteRowDescription(&out, {f});
    WriteDataRow(&out, {std::string("42"), std::nullopt});
    WriteCommandComplete(&out, "SELECT 1");
    WriteReadyForQuery(&out, 'T');
    Error err = MakeError("42P01", "relation \"x\" does not exist", "", "");
    err.position = 15;
    WriteError(&out, err);
    WriteCopyInResponse(&out, false, 2);
    auto msgs = SplitBackend(out);
    REQUIRE(msgs.size() == 6);
    CHECK(msgs[0].type == 'T');
    CHECK(msgs[0].payload.size() == 2 + 3 + 4 + 2 + 4 + 2 + 4 + 2);
    CHECK(msgs[1].type == 'D');
    CHECK(msgs[1].payload == std::string("\x00\x02\x00\x00\x00\x02"
                                         "42"
                                         "\xff\xff\xff\xff",
                                         12));
    CHECK(msgs[2].payload == std::string("SELECT 1\0", 9));
    CHECK(msgs[3].payload == "T");
    CHECK(ErrorField(msgs[4].payload, 'C') == "42P01");
    CHECK(ErrorField(msgs[4].payload, 'S') == "ERROR");
    CHECK(ErrorField(msgs[4].payload, 'P') == "15");
    CHECK(msgs[5].payload == std::string("\x00\x00\x02\x00\x00\x00\x00", 7));
}
