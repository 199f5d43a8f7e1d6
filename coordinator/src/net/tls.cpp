// tls.cpp — memory-BIO TLS for client connections (see tls.h).
#include "net/tls.h"

#include <openssl/err.h>

#include <algorithm>

#include "wire/io_sqlstate.h"

namespace jade::coord::net {
namespace {

// Reads what OpenSSL wrote to a memory BIO.
std::string DrainBio(BIO* bio) {
    std::string out;
    char buf[16384];
    for (;;) {
        int n = BIO_read(bio, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Error TlsError(const std::string& what) {
    std::string why = TlsErrorString();
    return MakeError(iostate::kProtocolViolation, what + (why.empty() ? "" : ": " + why));
}

}  // namespace

std::string TlsErrorString() {
    std::string out;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

Expected<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& cert_file, const std::string& key_file,
                                                         const std::string& min_version, const std::string& ciphers) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return MakeError(sqlstate::kInternalError, "could not create TLS context: " + TlsErrorString());
    std::unique_ptr<TlsContext> holder(new TlsContext(ctx));
    auto config_error = [&](const std::string& what) {
        return MakeError(sqlstate::kInvalidParameterValue, what + ": " + TlsErrorString());
    };
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        return config_error("could not load server certificate file \"" + cert_file + "\"");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        return config_error("could not load private key file \"" + key_file + "\"");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return config_error("private key file \"" + key_file + "\" does not match the certificate");
    }
    int min = min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min);
    if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
        return config_error("could not set the cipher list \"" + ciphers + "\"");
    }
    // As PostgreSQL: no compression, no renegotiation, no tickets kept server-side, the server's
    // cipher order.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return holder;
}

TlsContext::~TlsContext() {
    SSL_CTX_free(ctx_);
}

TlsChannel::TlsChannel(const TlsContext& context) {
    ssl_ = SSL_new(context.ctx());
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
        failed_ = true;
        return;
    }
    // A read from an empty memory BIO means "wait for more", not end of file.
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_accept_state(ssl_);
}

TlsChannel::~TlsChannel() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);  // frees both BIOs
    } else {
        if (in_ != nullptr) BIO_free(in_);
        if (out_ != nullptr) BIO_free(out_);
    }
}

Status TlsChannel::FeedCiphertext(std::string_view in, std::string* plaintext) {
    if (failed_) return MakeError(iostate::kProtocolViolation, "TLS connection already failed");
    while (!in.empty()) {
        int n = BIO_write(in_, in.data(), static_cast<int>(in.size()));
        if (n <= 0) {
            failed_ = true;
            return TlsError("could not buffer TLS input");
        }
        in.remove_prefix(static_cast<size_t>(n));
    }
    return Pump(plaintext);
}

// Advances the handshake and decrypts everything that is complete.
Status TlsChannel::Pump(std::string* plaintext) {
    ERR_clear_error();
    if (!handshake_done_) {
        int rc = SSL_do_handshake(ssl_);
        if (rc != 1) {
            int err = SSL_get_error(ssl_, rc);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
            failed_ = true;
            return TlsError("TLS handshake failed");
        }
        handshake_done_ = true;
        JADE_TRY_STATUS(FlushPending());
    }
    char buf[16384];
    for (;;) {
        int n = SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) {
            plaintext->append(buf, static_cast<size_t>(n));
            continue;
        }
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
        if (err == SSL_ERROR_ZERO_RETURN) return {};  // close_notify: the socket's EOF follows
        failed_ = true;
        return TlsError("could not read TLS data");
    }
}

Status TlsChannel::Encrypt(std::string_view plaintext) {
    if (failed_) return MakeError(iostate::kProtocolViolation, "TLS connection already failed");
    if (!handshake_done_) {
        pending_plaintext_.append(plaintext.data(), plaintext.size());
        return {};
    }
    ERR_clear_error();
    while (!plaintext.empty()) {
        int n = SSL_write(ssl_, plaintext.data(), static_cast<int>(std::min<size_t>(plaintext.size(), 1 << 30)));
        if (n <= 0) {
            failed_ = true;
            return TlsError("could not write TLS data");
        }
        plaintext.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status TlsChannel::FlushPending() {
    if (pending_plaintext_.empty()) return {};
    std::string pending = std::move(pending_plaintext_);
    pending_plaintext_.clear();
    return Encrypt(pending);
}

void TlsChannel::Shutdown() {
    if (failed_ || !handshake_done_) return;
    ERR_clear_error();
    SSL_shutdown(ssl_);
}

std::string TlsChannel::TakeCiphertext() {
    if (out_ == nullptr) return {};
    return DrainBio(out_);
}

std::string TlsChannel::version() const {
    return handshake_done_ ? SSL_get_version(ssl_) : "";
}

std::string TlsChannel::cipher() const {
    return handshake_done_ ? SSL_get_cipher_name(ssl_) : "";
}

}  // namespace jade::coord::net
