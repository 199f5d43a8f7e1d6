// tls.h — server-side TLS for client connections (OpenSSL), with no socket of its own.
//
// The coordinator's sockets belong to libuv, so OpenSSL never touches a file descriptor: each
// connection's TlsChannel owns an SSL object between two memory BIOs. Ciphertext read from the
// socket goes in (FeedCiphertext), plaintext for the session comes out; the session's plaintext
// goes in (Encrypt), and the ciphertext to write — handshake records included — is taken with
// TakeCiphertext(). That keeps the loop single-threaded and non-blocking, and lets unit tests run
// a real handshake between two channels in memory.
//
// TlsContext holds the certificate chain and key (checked to match at start), TLS 1.2 or newer
// (ssl_min_protocol_version), the TLS 1.2 cipher list (ssl_ciphers), no compression, no
// renegotiation, and server cipher preference: PostgreSQL's own defaults (be-secure-openssl.c).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::net {

class TlsContext {
public:
    /** Loads `cert_file` (PEM chain) and `key_file`; 58030/22023 with OpenSSL's reason on failure. */
    static Expected<std::unique_ptr<TlsContext>> Create(const std::string& cert_file, const std::string& key_file,
                                                        const std::string& min_version, const std::string& ciphers);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* ctx() const { return ctx_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
};

class TlsChannel {
public:
    explicit TlsChannel(const TlsContext& context);
    ~TlsChannel();
    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;

    /** Takes bytes read from the socket; appends decrypted application data to *plaintext. */
    Status FeedCiphertext(std::string_view in, std::string* plaintext);
    /** Encrypts application data (held until the handshake is done). */
    Status Encrypt(std::string_view plaintext);
    /** Starts a clean close (close_notify); the alert is then in TakeCiphertext(). */
    void Shutdown();
    /** Ciphertext to write to the socket (handshake, records, alerts); moves it out. */
    std::string TakeCiphertext();

    bool handshake_done() const { return handshake_done_; }
    /** Negotiated protocol ("TLSv1.3") and cipher, once the handshake is done. */
    std::string version() const;
    std::string cipher() const;

private:
    Status Pump(std::string* plaintext);
    Status FlushPending();

    SSL* ssl_ = nullptr;
    BIO* in_ = nullptr;   ///< ciphertext from the peer (owned by ssl_)
    BIO* out_ = nullptr;  ///< ciphertext to the peer (owned by ssl_)
    bool handshake_done_ = false;
    bool failed_ = false;
    std::string pending_plaintext_;  ///< written before the handshake finished
};

/** OpenSSL's error queue as one line (and cleared). */
std::string TlsErrorString();

}  // namespace jade::coord::net
