// test_tls_channel.cpp — the coordinator's memory-BIO TLS (net/tls.h) against an OpenSSL client,
// all in memory: handshake, data both ways in pieces, TLS 1.2 as the floor, a bad key refused.
#include <catch2/catch.hpp>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/client_socket.h"
#include "net/tls.h"

using namespace jade::coord;

namespace {

// Writes a self-signed P-256 certificate and its key to files under /tmp; returns their paths.
std::pair<std::string, std::string> MakeCertificate(const std::string& tag) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    REQUIRE(key != nullptr);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
    std::string base = "/tmp/jade-unit-tls-" + tag + "-" + std::to_string(::getpid());
    std::string cert_path = base + ".crt", key_path = base + ".key";
    FILE* f = std::fopen(cert_path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
    return {cert_path, key_path};
}

// An OpenSSL client over memory BIOs.
struct Client {
    SSL_CTX* ctx;
    SSL* ssl;
    BIO* in;
    BIO* out;
    explicit Client(int max_version = 0) {
        ctx = SSL_CTX_new(TLS_client_method());
        if (max_version != 0) {
            SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
            SSL_CTX_set_max_proto_version(ctx, max_version);
            SSL_CTX_set_security_level(ctx, 0);
        }
        ssl = SSL_new(ctx);
        in = BIO_new(BIO_s_mem());
        out = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, in, out);
        SSL_set_connect_state(ssl);
    }
    ~Client() {
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    std::string Take() {
        std::string s;
        char buf[4096];
        int n;
        while ((n = BIO_read(out, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
        return s;
    }
    void Give(const std::string& bytes) { BIO_write(in, bytes.data(), static_cast<int>(bytes.size())); }
};

// Runs the handshake between the two; true when both sides finished it.
bool Handshake(Client& c, net::TlsChannel& server) {
    for (int round = 0; round < 10; round++) {
        SSL_do_handshake(c.ssl);
        std::string to_server = c.Take();
        std::string plain;
        if (!server.FeedCiphertext(to_server, &plain)) return false;
        c.Give(server.TakeCiphertext());
        if (SSL_is_init_finished(c.ssl) && server.handshake_done()) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("TLS handshake and data both ways over memory BIOs", "[tls]") {
    auto [cert, key] = MakeCertificate("ok");
    auto ctx = net::TlsContext::Create(cert, key, "TLSv1.2", "HIGH:MEDIUM:+3DES:!aNULL");
    REQUIRE(ctx.ok());
    net::TlsChannel server(**ctx);
    Client client;
    REQUIRE(Handshake(client, server));
    CHECK(server.version().rfind("TLSv1.", 0) == 0);
    // Client to server, in many small pieces (records split across reads).
    std::string message(100000, 'q');
    REQUIRE(SSL_write(client.ssl, message.data(), static_cast<int>(message.size())) > 0);
    std::string wire = client.Take();
    std::string got;
    for (size_t i = 0; i < wire.size(); i += 777) REQUIRE(server.FeedCiphertext(wire.substr(i, 777), &got).ok());
    CHECK(got == message);
    // Server to client.
    REQUIRE(server.Encrypt("hello from the coordinator").ok());
    client.Give(server.TakeCiphertext());
    char buf[64] = {0};
    int n = SSL_read(client.ssl, buf, sizeof buf);
    CHECK(std::string(buf, static_cast<size_t>(n > 0 ? n : 0)) == "hello from the coordinator");
    std::remove(cert.c_str());
    std::remove(key.c_str());
}

TEST_CASE("TLS below 1.2 and garbage are refused", "[tls]") {
    auto [cert, key] = MakeCertificate("old");
    auto ctx = net::TlsContext::Create(cert, key, "TLSv1.2", "HIGH:MEDIUM:+3DES:!aNULL");
    REQUIRE(ctx.ok());
    {
        net::TlsChannel server(**ctx);
        Client old(TLS1_1_VERSION);
        CHECK_FALSE(Handshake(old, server));
    }
    {
        net::TlsChannel server(**ctx);
        std::string plain;
        CHECK_FALSE(server.FeedCiphertext(std::string("\x16\x03\x01\x00\x05garbage-garbage", 20), &plain).ok());
    }
    // A key that does not belong to the certificate is a start-up error.
    auto [cert2, key2] = MakeCertificate("other");
    auto mismatched = net::TlsContext::Create(cert, key2, "TLSv1.2", "HIGH");
    REQUIRE_FALSE(mismatched.ok());
    CHECK(mismatched.error().message.find(key2) != std::string::npos);  // names the key file
    CHECK(mismatched.error().message.find("mismatch") != std::string::npos);
    CHECK_FALSE(net::TlsContext::Create("/nonexistent.crt", key, "TLSv1.2", "HIGH").ok());
    for (const auto& p : {cert, key, cert2, key2}) std::remove(p.c_str());
}

TEST_CASE("require_ssl = remote: which peers count as local", "[tls]") {
    auto v4 = [](const char* ip) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, ip, &a.sin_addr);
        return net::IsLoopback(reinterpret_cast<sockaddr*>(&a));
    };
    auto v6 = [](const char* ip) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &a.sin6_addr);
        return net::IsLoopback(reinterpret_cast<sockaddr*>(&a));
    };
    CHECK(v4("127.0.0.1"));
    CHECK(v4("127.255.0.9"));
    CHECK_FALSE(v4("10.0.0.1"));
    CHECK_FALSE(v4("192.168.1.20"));
    CHECK_FALSE(v4("128.0.0.1"));
    CHECK(v6("::1"));
    CHECK(v6("::ffff:127.0.0.1"));
    CHECK_FALSE(v6("::ffff:10.1.2.3"));
    CHECK_FALSE(v6("fe80::1"));
    CHECK_FALSE(v6("2001:db8::1"));
}
