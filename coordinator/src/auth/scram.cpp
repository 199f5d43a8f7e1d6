// scram.cpp — SCRAM-SHA-256 server exchange and verifier handling (see scram.h).
#include "auth/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <vector>

#include "wire/io_sqlstate.h"

namespace jade::coord::auth {
namespace {

constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
constexpr size_t kNonceRawBytes = 18;

// Returns HMAC-SHA-256(key, data).
std::string Hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

// Returns SHA-256(data).
std::string Sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), SHA256_DIGEST_LENGTH);
}

// Splits "a=..,b=.." SCRAM attribute lists; returns the value of attribute `name` at index i.
bool Attribute(std::string_view part, char name, std::string_view* value) {
    if (part.size() < 2 || part[0] != name || part[1] != '=') return false;
    *value = part.substr(2);
    return true;
}

// Splits on commas.
std::vector<std::string_view> SplitCommas(std::string_view s) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        size_t comma = s.find(',', start);
        parts.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return parts;
}

// Returns printable random characters for the server nonce (base64 of random bytes).
std::string RandomNonce() {
    unsigned char raw[kNonceRawBytes];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        // RAND_bytes failing means the OpenSSL DRBG is broken; refuse rather than use a weak nonce.
        return {};
    }
    return Base64Encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
}

// Builds the protocol-violation error for a malformed SCRAM message.
Error Malformed(const std::string& what) {
    return MakeError(iostate::kProtocolViolation, "malformed SCRAM message", what);
}

}  // namespace

// Encodes bytes as standard base64 with padding.
std::string Base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(n);
    return out;
}

// Decodes standard base64; EVP_DecodeBlock keeps padding bytes, so they are subtracted.
std::optional<std::string> Base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out(3 * text.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') ++pad;
    if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

// Parses PostgreSQL's verifier text.
std::optional<ScramSecret> ParseScramSecret(std::string_view text) {
    if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    text.remove_prefix(kPrefix.size());
    size_t colon1 = text.find(':');
    size_t dollar = text.find('$');
    if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) return std::nullopt;
    size_t colon2 = text.find(':', dollar);
    if (colon2 == std::string_view::npos) return std::nullopt;
    ScramSecret s;
    std::string iter(text.substr(0, colon1));
    if (iter.empty() || iter.find_first_not_of("0123456789") != std::string::npos || iter.size() > 9)
        return std::nullopt;
    s.iterations = std::stoi(iter);
    auto salt = Base64Decode(text.substr(colon1 + 1, dollar - colon1 - 1));
    auto stored = Base64Decode(text.substr(dollar + 1, colon2 - dollar - 1));
    auto server = Base64Decode(text.substr(colon2 + 1));
    if (!salt || !stored || !server || s.iterations < 1 || stored->size() != kScramKeyLen ||
        server->size() != kScramKeyLen) {
        return std::nullopt;
    }
    s.salt = *salt;
    s.stored_key = *stored;
    s.server_key = *server;
    return s;
}

// Computes SaltedPassword, then StoredKey = H(HMAC(SP,"Client Key")) and ServerKey = HMAC(SP,"Server Key").
// PostgreSQL SASLprep-normalizes passwords; ASCII passwords are unchanged by it, and we use them as is.
ScramSecret MakeScramSecret(std::string_view password, std::string_view salt, int iterations) {
    unsigned char salted[kScramKeyLen];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                      EVP_sha256(), kScramKeyLen, salted);
    std::string sp(reinterpret_cast<char*>(salted), kScramKeyLen);
    ScramSecret s;
    s.iterations = iterations;
    s.salt = std::string(salt);
    s.stored_key = Sha256(Hmac(sp, "Client Key"));
    s.server_key = Hmac(sp, "Server Key");
    OPENSSL_cleanse(salted, sizeof salted);
    return s;
}

// Formats a secret like pg_authid.rolpassword.
std::string FormatScramSecret(const ScramSecret& s) {
    return std::string(kPrefix) + std::to_string(s.iterations) + ":" + Base64Encode(s.salt) + "$" +
           Base64Encode(s.stored_key) + ":" + Base64Encode(s.server_key);
}

std::string MockSalt(std::string_view key, std::string_view user) {
    return Hmac(key, "jade-scram-mock-salt\n" + std::string(user)).substr(0, 16);
}

std::string DeriveUserSalt(std::string_view key, std::string_view user) {
    return Hmac(key, "jade-scram-user-salt\n" + std::string(user)).substr(0, 16);
}

// Prepares the exchange; unknown users get a mock secret keyed by the server secret.
ScramServer::ScramServer(std::string user, std::optional<ScramSecret> secret, std::string_view mock_key)
    : user_(std::move(user)), secret_(std::move(secret)) {
    if (secret_) {
        effective_ = *secret_;
    } else {
        effective_.iterations = kDefaultScramIterations;
        effective_.salt = MockSalt(mock_key, user_);
        effective_.stored_key = std::string(kScramKeyLen, '\0');
        effective_.server_key = std::string(kScramKeyLen, '\0');
    }
}

// Builds the 28P01 error PostgreSQL sends for any failed password authentication.
Error ScramServer::AuthFailed() const {
    return MakeError(iostate::kInvalidPassword, "password authentication failed for user \"" + user_ + "\"");
}

// Parses "gs2-header client-first-bare" and answers server-first.
Expected<std::string> ScramServer::HandleClientFirst(std::string_view msg) {
    // gs2-header: cbind-flag "," [authzid] ","
    if (msg.empty()) return Malformed("empty client-first-message");
    char flag = msg[0];
    if (flag == 'p') {
        return MakeError(iostate::kProtocolViolation, "channel binding is not supported",
                         "The client requested SCRAM-SHA-256-PLUS channel binding, but the server offers no TLS.");
    }
    if (flag != 'n' && flag != 'y') return Malformed("unexpected channel-binding flag");
    if (msg.size() < 2 || msg[1] != ',') return Malformed("comma expected after channel-binding flag");
    size_t second = msg.find(',', 2);
    if (second == std::string_view::npos) return Malformed("missing authzid terminator");
    if (second != 2)
        return MakeError(iostate::kFeatureNotSupported, "client uses authorization identity, but it is not supported");
    client_first_bare_ = std::string(msg.substr(second + 1));
    auto parts = SplitCommas(client_first_bare_);
    std::string_view ignored, cnonce;
    if (parts.size() < 2 || !Attribute(parts[0], 'n', &ignored) || !Attribute(parts[1], 'r', &cnonce) ||
        cnonce.empty()) {
        return Malformed("client-first-message must carry n= and r=");
    }
    if (cnonce.find(',') != std::string_view::npos) return Malformed("invalid nonce");
    if (server_nonce_.empty()) server_nonce_ = RandomNonce();
    if (server_nonce_.empty()) return MakeError(sqlstate::kInternalError, "could not generate random nonce");
    nonce_ = std::string(cnonce) + server_nonce_;
    server_first_ =
        "r=" + nonce_ + ",s=" + Base64Encode(effective_.salt) + ",i=" + std::to_string(effective_.iterations);
    return server_first_;
}

// Verifies the proof: H(proof XOR HMAC(StoredKey, AuthMessage)) must equal StoredKey.
Expected<std::string> ScramServer::HandleClientFinal(std::string_view msg) {
    auto parts = SplitCommas(msg);
    std::string_view cbind, nonce, proof_b64;
    if (parts.size() < 3 || !Attribute(parts[0], 'c', &cbind) || !Attribute(parts[1], 'r', &nonce)) {
        return Malformed("client-final-message must start with c= and r=");
    }
    if (!Attribute(parts.back(), 'p', &proof_b64)) return Malformed("client-final-message must end with p=");
    // "biws" = base64("n,,"), "eSws" = base64("y,,"): the gs2 header without channel binding data.
    if (cbind != "biws" && cbind != "eSws") return Malformed("unexpected channel binding");
    if (nonce != nonce_) return Malformed("nonce does not match");
    auto proof = Base64Decode(proof_b64);
    if (!proof || proof->size() != kScramKeyLen) return Malformed("malformed proof");

    std::string without_proof(msg.substr(0, msg.size() - proof_b64.size() - 3));
    std::string auth_message = client_first_bare_ + "," + server_first_ + "," + without_proof;
    std::string client_signature = Hmac(effective_.stored_key, auth_message);
    std::string client_key(kScramKeyLen, '\0');
    for (int i = 0; i < kScramKeyLen; ++i) client_key[i] = static_cast<char>((*proof)[i] ^ client_signature[i]);
    std::string computed_stored = Sha256(client_key);
    bool match = CRYPTO_memcmp(computed_stored.data(), effective_.stored_key.data(), kScramKeyLen) == 0;
    if (!secret_ || !match) return AuthFailed();
    return "v=" + Base64Encode(Hmac(effective_.server_key, auth_message));
}

}  // namespace jade::coord::auth
