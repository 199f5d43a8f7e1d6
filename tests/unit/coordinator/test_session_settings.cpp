// test_session_settings.cpp — the session settings a client's worker connections must carry
// (transaction/session_settings.h).
#include <catch2/catch.hpp>

#include "transaction/session_settings.h"

using namespace jade::coord;
using namespace jade::coord::txn;

namespace {

SessionSetting Set(const std::string& name, const std::string& sql, SettingKind kind = SettingKind::kSet) {
    SessionSetting s;
    s.kind = kind;
    s.name = name;
    s.sql = sql;
    return s;
}

}  // namespace

TEST_CASE("SET replaces the named setting, RESET removes it, RESET ALL clears", "[settings]") {
    SessionSettings s;
    CHECK(s.Apply(Set("hnsw.ef_search", "SET hnsw.ef_search = 50")));
    CHECK(s.Apply(Set("work_mem", "SET work_mem = '8MB'")));
    CHECK(s.Apply(Set("hnsw.ef_search", "SET hnsw.ef_search = 60 -- note")));
    CHECK(s.Statements() == std::vector<std::string>{"SET work_mem = '8MB'", "SET hnsw.ef_search = 60 -- note"});
    CHECK(s.Apply(Set("work_mem", "", SettingKind::kReset)));
    CHECK(s.Statements() == std::vector<std::string>{"SET hnsw.ef_search = 60 -- note"});
    CHECK(s.Apply(Set("", "RESET ALL", SettingKind::kResetAll)));
    CHECK(s.empty());
}

TEST_CASE("transaction-level settings are not session settings", "[settings]") {
    SessionSettings s;
    CHECK_FALSE(s.Apply(Set("work_mem", "SET LOCAL work_mem = '1MB'", SettingKind::kSetLocal)));
    CHECK_FALSE(s.Apply(Set("", "SET TRANSACTION READ ONLY", SettingKind::kOther)));
    CHECK(s.empty());
}

TEST_CASE("the settings key tells different lists apart", "[settings]") {
    SessionSettings a, b;
    CHECK(a.Key() == b.Key());
    a.Apply(Set("x.a", "SET x.a = 1"));
    a.Apply(Set("x.b", "SET x.b = 2"));
    b.Apply(Set("x.a", "SET x.a = 1;SET x.b = 2"));
    CHECK(a.Key() != b.Key());
}

TEST_CASE("startup parameters become quoted set_config calls", "[settings]") {
    wire::StartupPacket p;
    p.params = {{"user", "alice"},
                {"database", "postgres"},
                {"TimeZone", "Europe/Paris"},
                {"application_name", "app"},
                {"options", "-c search_path=a\\ b --work-mem=64kB -c x.y='q'"}};
    SessionSettings s;
    s.AdoptStartup(p);
    CHECK(s.Statements() ==
          std::vector<std::string>{"SELECT pg_catalog.set_config(E'TimeZone', E'Europe/Paris', false)",
                                   "SELECT pg_catalog.set_config(E'search_path', E'a b', false)",
                                   "SELECT pg_catalog.set_config(E'work_mem', E'64kB', false)",
                                   "SELECT pg_catalog.set_config(E'x.y', E'''q''', false)"});
}

TEST_CASE("literals double quotes and backslashes", "[settings]") {
    CHECK(QuoteLiteral("it's") == "E'it''s'");
    CHECK(QuoteLiteral("a\\b") == "E'a\\\\b'");
}
