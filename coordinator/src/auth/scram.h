// scram.h — server side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL speaks it.
//
// Secrets use PostgreSQL's verifier format (what pg_authid.rolpassword holds after
// `SET password_encryption = 'scram-sha-256'; CREATE ROLE ... PASSWORD ...`):
//   SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
// so an operator can paste a verifier into the coordinator config instead of a password.
//
// Exchange (PostgreSQL "SASL Authentication"):
//   client-first  "n,,n=<ignored>,r=<cnonce>"     (PostgreSQL takes the user from the startup packet)
//   server-first  "r=<cnonce><snonce>,s=<salt>,i=<iter>"
//   client-final  "c=biws,r=<nonce>,p=<proof>"     (channel binding is not offered: no TLS)
//   server-final  "v=<server signature>"
// Unknown users get a mock exchange whose salt is HMAC-SHA-256(server secret, user name): stable
// for a name, like a real user's, and not computable by a client, so neither the salt nor the
// error ("password authentication failed") tells "no such user" from "wrong password" (as
// PostgreSQL's scram_mock_salt, keyed by the cluster's mock authentication nonce). Users given
// a plaintext password in the config get their salt the same way (DeriveUserSalt), so it does not
// change at every restart either (which would tell them apart from unknown names).
// Crypto is OpenSSL (DEPENDENCIES.md §6 "SCRAM check").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::auth {

constexpr int kScramKeyLen = 32;
constexpr int kDefaultScramIterations = 4096;

/** A parsed SCRAM-SHA-256 verifier. */
struct ScramSecret {
    int iterations = kDefaultScramIterations;
    std::string salt;        ///< raw bytes
    std::string stored_key;  ///< raw 32 bytes
    std::string server_key;  ///< raw 32 bytes
};

// Parses "SCRAM-SHA-256$iter:salt$stored:server"; nullopt when malformed.
std::optional<ScramSecret> ParseScramSecret(std::string_view text);
// Derives a secret from a plaintext password (PBKDF2-HMAC-SHA-256 over the given salt).
ScramSecret MakeScramSecret(std::string_view password, std::string_view salt, int iterations);
// Formats a secret in PostgreSQL's verifier format.
std::string FormatScramSecret(const ScramSecret& secret);

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

/** Salt of the mock exchange for an unknown `user` under the server secret `key` (16 bytes). */
std::string MockSalt(std::string_view key, std::string_view user);
/** Salt for a user configured with a plaintext password (16 bytes). */
std::string DeriveUserSalt(std::string_view key, std::string_view user);

/** One SCRAM exchange for one connection. */
class ScramServer {
public:
    /**
     * `secret` = nullopt for an unknown user (mock exchange that always fails); `mock_key` is the
     * server secret its salt is derived from.
     */
    ScramServer(std::string user, std::optional<ScramSecret> secret, std::string_view mock_key);

    /** Test hook: use this server nonce instead of a random one. */
    void SetServerNonceForTest(std::string nonce) { server_nonce_ = std::move(nonce); }

    /** Consumes client-first-message, returns server-first-message; 08P01/28P01 on errors. */
    Expected<std::string> HandleClientFirst(std::string_view msg);
    /** Consumes client-final-message, returns server-final-message; 28P01 on a bad proof. */
    Expected<std::string> HandleClientFinal(std::string_view msg);

private:
    Error AuthFailed() const;

    std::string user_;
    std::optional<ScramSecret> secret_;
    ScramSecret effective_;  ///< secret_ or the mock one
    std::string client_first_bare_;
    std::string server_first_;
    std::string nonce_;
    std::string server_nonce_;
};

}  // namespace jade::coord::auth
