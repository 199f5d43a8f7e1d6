// test_config.cpp — command line and config file parsing.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "config/guc_duration.h"

using namespace jade::coord;

namespace {
Expected<Config> Parse(std::vector<std::string> args) {
    std::vector<char*> argv;
    static std::string prog = "jade-coordinator";
    argv.push_back(prog.data());
    for (auto& a : args) argv.push_back(a.data());
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("command line: the stable CLI", "[config]") {
    auto c = Parse({"--listen", "127.0.0.1", "--port", "6432", "--data-dir", ".jade/coordinator"});
    REQUIRE(c.ok());
    CHECK(c->listen == "127.0.0.1");
    CHECK(c->port == 6432);
    CHECK(c->data_dir == ".jade/coordinator");
    CHECK(c->auth == AuthMethod::kTrust);
    auto eq = Parse({"--port=7000", "--data-dir=/tmp/x"});
    REQUIRE(eq.ok());
    CHECK(eq->port == 7000);
    CHECK(Parse({"--port", "6432"}).error().message.find("--data-dir is required") != std::string::npos);
    CHECK_FALSE(Parse({"--port", "99999", "--data-dir", "d"}).ok());
    CHECK_FALSE(Parse({"--bogus", "--data-dir", "d"}).ok());
    CHECK(Parse({"--help"}).error().sqlstate == "00000");
}

TEST_CASE("config file settings and users", "[config]") {
    Config c;
    std::string text =
        "# coordinator settings\n"
        "auth = scram-sha-256\n"
        "user alice password s3cret\n"
        "user bob password SCRAM-SHA-256$4096:+I/q/c50FDXSlmq8/yczUA==$7/YrGO7bzPb/PKI74UvBBas89SLKR9QgGZ/5bRhEQH0=:"
        "69VVZQmse121gy8tXIFpLabboK4PvZAP4ahjbja7/po=\n"
        "worker_user = jade   # trailing comment\n"
        "worker_database = 'vectors'\n"
        "pool_size = 16\n"
        "\n";
    REQUIRE(ApplyConfigText(text, "test.conf", &c).ok());
    CHECK(c.auth == AuthMethod::kScramSha256);
    REQUIRE(c.users.count("alice") == 1);
    CHECK(c.users.at("alice").stored_key == auth::MakeScramSecret("s3cret", c.users.at("alice").salt, 4096).stored_key);
    CHECK(c.users.count("bob") == 1);
    CHECK(c.worker_user == "jade");
    CHECK(c.worker_database == "vectors");
    CHECK(c.pool_size == 16);

    auto bad = ApplyConfigText("auth = md5\n", "f.conf", &c);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "f.conf:1: auth must be trust or scram-sha-256, not \"md5\"");
    CHECK_FALSE(ApplyConfigText("nonsense\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("pool_size = 0\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("user carol secret\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("user dave password SCRAM-SHA-256$broken\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("colour = blue\n", "f", &c).ok());
}

TEST_CASE("limits, timeouts, TLS and role settings", "[config]") {
    Config c;
    std::string text =
        "authentication_timeout_ms = 1500\n"
        "max_unauthenticated_clients = 7\n"
        "pool_wait_timeout_ms = 250\n"
        "idle_in_transaction_session_timeout_ms = 60000\n"
        "tcp_keepalives_idle = 30\n"
        "ssl = on\n"
        "ssl_cert_file = /etc/jade/server.crt\n"
        "ssl_key_file = '/etc/jade/server.key'\n"
        "require_ssl = remote\n"
        "worker_sslmode = verify-full\n"
        "worker_role = client\n";
    REQUIRE(ApplyConfigText(text, "t.conf", &c).ok());
    CHECK(c.authentication_timeout_ms == 1500);
    CHECK(c.max_unauthenticated_clients == 7);
    CHECK(c.pool_wait_timeout_ms == 250);
    CHECK(c.idle_in_transaction_session_timeout_ms == 60000);
    CHECK(c.tcp_keepalives_idle == 30);
    CHECK(c.ssl);
    CHECK(c.ssl_key_file == "/etc/jade/server.key");
    CHECK(c.require_ssl == RequireSsl::kRemote);
    CHECK(c.worker_sslmode == "verify-full");
    CHECK(c.worker_role == WorkerRole::kClient);
    CHECK(ValidateConfig(c).ok());
    CHECK_FALSE(ApplyConfigText("pool_wait_timeout_ms = 0\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("require_ssl = maybe\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("worker_sslmode = sure\n", "f", &c).ok());
    CHECK_FALSE(ApplyConfigText("worker_role = everyone\n", "f", &c).ok());
    Config no_cert;
    no_cert.ssl = true;
    CHECK(ValidateConfig(no_cert).error().message == "ssl = on needs ssl_cert_file and ssl_key_file");
    Config require_without_ssl;
    require_without_ssl.require_ssl = RequireSsl::kAll;
    CHECK_FALSE(ValidateConfig(require_without_ssl).ok());
    // Plaintext passwords are kept (their salt is re-derived from the server secret at start).
    Config users;
    REQUIRE(ApplyConfigText("user app password apppw\n", "u", &users).ok());
    CHECK(users.user_passwords.at("app") == "apppw");
}

TEST_CASE("time settings are read with PostgreSQL's units", "[config]") {
    CHECK(ParseMillisecondsSetting("statement_timeout", "1500").value() == 1500);
    CHECK(ParseMillisecondsSetting("statement_timeout", "2s").value() == 2000);
    CHECK(ParseMillisecondsSetting("statement_timeout", " 1.5min ").value() == 90000);
    CHECK(ParseMillisecondsSetting("statement_timeout", "500ms").value() == 500);
    CHECK(ParseMillisecondsSetting("statement_timeout", "1h").value() == 3600000);
    CHECK(ParseMillisecondsSetting("statement_timeout", "2000us").value() == 2);
    CHECK(ParseMillisecondsSetting("statement_timeout", "0").value() == 0);
    auto bad_unit = ParseMillisecondsSetting("idle_session_timeout", "5 parsecs");
    REQUIRE_FALSE(bad_unit.ok());
    CHECK(bad_unit.error().sqlstate == "22023");
    CHECK(bad_unit.error().message == "invalid value for parameter \"idle_session_timeout\": \"5 parsecs\"");
    CHECK_FALSE(ParseMillisecondsSetting("statement_timeout", "soon").ok());
    CHECK_FALSE(ParseMillisecondsSetting("statement_timeout", "-1").ok());
    CHECK_FALSE(ParseMillisecondsSetting("statement_timeout", "30d").ok());  // beyond int32 ms
    CHECK(IsCoordinatorOnlySetting("idle_in_transaction_session_timeout"));
    CHECK_FALSE(IsCoordinatorOnlySetting("statement_timeout"));
}
