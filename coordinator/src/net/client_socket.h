// client_socket.h — one accepted TCP connection on the libuv loop, with a bounded write queue,
// TCP keepalives and optional TLS.
//
// Reads are delivered to the owner as they arrive; the owner may StopReading() when it has
// enough unprocessed input (back-pressure towards the client). Writes go out with uv_try_write
// first and are queued only for what the kernel did not take; queued_bytes() lets the executor
// stop reading workers while a slow client drains (back-pressure towards workers), and
// OnDrained() fires once the queue falls below the low-water mark.
// After StartTls() every byte in either direction passes through a TlsChannel (net/tls.h): the
// owner keeps reading and writing plaintext. Keepalives (SocketOptions) let the kernel find a
// client that vanished without closing (a dead host, a cut network).
//
// Lifetime: Accept() → ... → Close(); the object deletes itself after libuv's close callback,
// after calling OnClosed() (the owner must not touch the socket afterwards). Every callback
// into the owner runs inside the exception boundary (net/exception_boundary.h).
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/exception_boundary.h"
#include "net/tls.h"

namespace jade::coord::net {

/** Per-socket TCP settings (0 = the kernel's default). */
struct SocketOptions {
    int keepalives_idle_s = 0;      ///< TCP_KEEPIDLE; 0 with the others 0 leaves keepalives off
    int keepalives_interval_s = 0;  ///< TCP_KEEPINTVL
    int keepalives_count = 0;       ///< TCP_KEEPCNT
    int user_timeout_ms = 0;        ///< TCP_USER_TIMEOUT
};

/** True for a loopback peer: 127.0.0.0/8, ::1, or an IPv4-mapped ::ffff:127.x.y.z (require_ssl = remote). */
bool IsLoopback(const struct sockaddr* addr);

/** Applies keepalive and user-timeout settings to a connected TCP socket; false on failure. */
bool ApplySocketOptions(int fd, const SocketOptions& options);

class ClientSocket {
public:
    /** The session reading this socket; it answers for exceptions thrown in its callbacks. */
    class Owner : public ExceptionOwner {
    public:
        ~Owner() override = default;
        virtual void OnRead(std::string_view bytes) = 0;
        virtual void OnEof() = 0;      ///< peer closed, read error, or a TLS failure
        virtual void OnDrained() = 0;  ///< write queue fell below the low-water mark
        virtual void OnClosed() = 0;   ///< handle closed; last callback
    };

    /** Accepts a pending connection from `server`; nullptr on failure. */
    static ClientSocket* Accept(uv_stream_t* server, const SocketOptions& options);

    /** `alive` turns false when the owner is destroyed (exception_boundary.h). */
    void SetOwner(Owner* owner, std::shared_ptr<bool> alive) {
        owner_ = owner;
        owner_alive_ = std::move(alive);
    }
    void StartReading();
    void StopReading();
    bool reading() const { return reading_; }
    /** Sends `bytes` (consumed: the string is left empty); encrypted once TLS started. */
    void Write(std::string* bytes);
    /** Switches to TLS: everything read from now on is a TLS stream (the client's ClientHello). */
    void StartTls(const TlsContext& context);
    bool tls() const { return tls_ != nullptr; }
    /** "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done; "" otherwise. */
    std::string tls_description() const;
    /** Bytes handed to libuv but not yet written to the kernel. */
    size_t queued_bytes() const { return queued_; }
    void SetLowWater(size_t bytes) { low_water_ = bytes; }
    /** Closes after queued writes are done (libuv runs pending write callbacks first). */
    void Close();
    bool closing() const { return closing_; }
    /** Peer address "ip:port" for logs. */
    const std::string& peer() const { return peer_; }
    /** Peer IP address without the port ("127.0.0.1", "::1"). */
    const std::string& peer_ip() const { return peer_ip_; }
    /** True for a peer on a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
    bool peer_is_loopback() const { return loopback_; }

private:
    ClientSocket() = default;
    void WriteRaw(std::string* bytes);
    void DeliverRead(std::string_view bytes);
    static void AllocCb(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void ReadCb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
    static void WriteCb(uv_write_t* req, int status);
    static void CloseCb(uv_handle_t* h);

    uv_tcp_t tcp_{};
    Owner* owner_ = nullptr;
    std::shared_ptr<bool> owner_alive_;
    bool reading_ = false;
    bool closing_ = false;
    bool loopback_ = false;
    size_t queued_ = 0;
    size_t low_water_ = 64 * 1024;
    std::string peer_;
    std::string peer_ip_;
    std::unique_ptr<TlsChannel> tls_;
    char read_buf_[64 * 1024];
};

}  // namespace jade::coord::net
