// test_config.cpp — command line and config file parsing.
#include <catch2/catch.hpp>

#include "config/config.h"

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
