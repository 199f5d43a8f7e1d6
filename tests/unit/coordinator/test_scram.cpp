// test_scram.cpp — SCRAM-SHA-256 server against RFC 7677's example and a real PostgreSQL verifier.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/scram.h"

using namespace jade::coord;
using namespace jade::coord::auth;

namespace {

// Produced by PostgreSQL 15: SET password_encryption='scram-sha-256';
// CREATE ROLE jade_scram_test LOGIN PASSWORD 'correct horse'; SELECT rolpassword FROM pg_authid ...
const char* kPgVerifier =
    "SCRAM-SHA-256$4096:+I/q/c50FDXSlmq8/yczUA==$7/YrGO7bzPb/PKI74UvBBas89SLKR9QgGZ/5bRhEQH0=:"
    "69VVZQmse121gy8tXIFpLabboK4PvZAP4ahjbja7/po=";

std::string Hmac(const std::string& key, const std::string& data) {
    unsigned char out[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

// Computes the client-final-message like libpq does (the client side of the exchange).
std::string ClientFinal(const std::string& password, const std::string& client_first_bare,
                        const std::string& server_first) {
    std::string nonce = server_first.substr(2, server_first.find(',') - 2);
    size_t s = server_first.find(",s=") + 3;
    size_t i = server_first.find(",i=");
    std::string salt = *Base64Decode(server_first.substr(s, i - s));
    int iter = std::stoi(server_first.substr(i + 3));
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iter,
                      EVP_sha256(), 32, salted);
    std::string sp(reinterpret_cast<char*>(salted), 32);
    std::string client_key = Hmac(sp, "Client Key");
    unsigned char stored[32];
    SHA256(reinterpret_cast<const unsigned char*>(client_key.data()), 32, stored);
    std::string without_proof = "c=biws,r=" + nonce;
    std::string auth = client_first_bare + "," + server_first + "," + without_proof;
    std::string sig = Hmac(std::string(reinterpret_cast<char*>(stored), 32), auth);
    std::string proof(32, '\0');
    for (int k = 0; k < 32; ++k) proof[k] = static_cast<char>(client_key[k] ^ sig[k]);
    return without_proof + ",p=" + Base64Encode(proof);
}

}  // namespace

TEST_CASE("RFC 7677 example exchange", "[scram]") {
    auto salt = Base64Decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    REQUIRE(salt);
    ScramServer server("user", MakeScramSecret("pencil", *salt, 4096), "key");
    server.SetServerNonceForTest("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    auto first = server.HandleClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    REQUIRE(first.ok());
    CHECK(*first == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    auto fin = server.HandleClientFinal(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    REQUIRE(fin.ok());
    CHECK(*fin == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST_CASE("verifier derived from the password matches PostgreSQL's pg_authid", "[scram]") {
    auto parsed = ParseScramSecret(kPgVerifier);
    REQUIRE(parsed);
    CHECK(parsed->iterations == 4096);
    ScramSecret mine = MakeScramSecret("correct horse", parsed->salt, parsed->iterations);
    CHECK(mine.stored_key == parsed->stored_key);
    CHECK(mine.server_key == parsed->server_key);
    CHECK(FormatScramSecret(mine) == kPgVerifier);
    CHECK_FALSE(ParseScramSecret("md5abcdef"));
    CHECK_FALSE(ParseScramSecret("SCRAM-SHA-256$x:abc$def:ghi"));
    CHECK_FALSE(ParseScramSecret("SCRAM-SHA-256$4096:+I/q/c50FDXSlmq8/yczUA==$AAAA:BBBB"));
}

TEST_CASE("exchange against the PostgreSQL verifier: right and wrong passwords", "[scram]") {
    auto secret = ParseScramSecret(kPgVerifier);
    REQUIRE(secret);
    std::string bare = "n=,r=clientnonce123";
    {
        ScramServer server("jade_scram_test", secret, "key");
        auto first = server.HandleClientFirst("n,," + bare);
        REQUIRE(first.ok());
        auto fin = server.HandleClientFinal(ClientFinal("correct horse", bare, *first));
        REQUIRE(fin.ok());
        CHECK(fin->rfind("v=", 0) == 0);
    }
    {
        ScramServer server("jade_scram_test", secret, "key");
        auto first = server.HandleClientFirst("n,," + bare);
        auto fin = server.HandleClientFinal(ClientFinal("wrong", bare, *first));
        REQUIRE_FALSE(fin.ok());
        CHECK(fin.error().sqlstate == "28P01");
        CHECK(fin.error().message == "password authentication failed for user \"jade_scram_test\"");
    }
    {
        // Unknown user: a mock exchange that looks the same and always fails.
        ScramServer server("nobody", std::nullopt, "key");
        auto first = server.HandleClientFirst("n,," + bare);
        REQUIRE(first.ok());
        CHECK(first->find(",i=4096") != std::string::npos);
        auto fin = server.HandleClientFinal(ClientFinal("anything", bare, *first));
        REQUIRE_FALSE(fin.ok());
        CHECK(fin.error().sqlstate == "28P01");
    }
}

TEST_CASE("malformed SCRAM messages are protocol violations", "[scram]") {
    ScramServer server("u", MakeScramSecret("pw", "saltsalt", 4096), "key");
    CHECK(server.HandleClientFirst("").error().sqlstate == "08P01");
    CHECK(server.HandleClientFirst("p=tls-server-end-point,,n=,r=x").error().sqlstate == "08P01");
    CHECK(server.HandleClientFirst("n,a=admin,n=,r=x").error().sqlstate == "0A000");
    CHECK(server.HandleClientFirst("n,,r=x").error().sqlstate == "08P01");
    ScramServer s2("u", MakeScramSecret("pw", "saltsalt", 4096), "key");
    REQUIRE(s2.HandleClientFirst("n,,n=,r=abc").ok());
    CHECK(s2.HandleClientFinal("c=biws,r=wrongnonce,p=AAAA").error().sqlstate == "08P01");
    CHECK(s2.HandleClientFinal("garbage").error().sqlstate == "08P01");
}

TEST_CASE("base64 round trip including padding", "[scram]") {
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        auto d = Base64Decode(Base64Encode(s));
        REQUIRE(d);
        CHECK(*d == s);
    }
    CHECK_FALSE(Base64Decode("abc"));
}

TEST_CASE("mock salts of unknown users are keyed by the server secret", "[scram][security]") {
    const std::string bare = "n=,r=rOprNGfwEbeRWgbNEkqO";
    auto salt_of = [&](const std::string& user, const std::string& key) {
        ScramServer server(user, std::nullopt, key);
        auto first = server.HandleClientFirst("n,," + bare);
        REQUIRE(first.ok());
        size_t s = first->find(",s=");
        size_t i = first->find(",i=");
        REQUIRE(s != std::string::npos);
        REQUIRE(i != std::string::npos);
        return first->substr(s + 3, i - s - 3);
    };
    // Stable for a name under one key (as a real user's salt is), different between names.
    CHECK(salt_of("nobody", "k1") == salt_of("nobody", "k1"));
    CHECK(salt_of("nobody", "k1") != salt_of("somebody", "k1"));
    // Not computable without the key: another key gives another salt, and neither is the old
    // unkeyed formula SHA-256("jade-mock-salt:" + name) a client could compute itself.
    CHECK(salt_of("nobody", "k1") != salt_of("nobody", "k2"));
    CHECK(Base64Decode(salt_of("nobody", "k1"))->size() == 16);
    CHECK(MockSalt("k1", "nobody") == *Base64Decode(salt_of("nobody", "k1")));
    CHECK(DeriveUserSalt("k1", "nobody") != MockSalt("k1", "nobody"));
    CHECK(DeriveUserSalt("k1", "alice") == DeriveUserSalt("k1", "alice"));
}
