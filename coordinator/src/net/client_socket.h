// client_socket.h — one accepted TCP connection on the libuv loop, with a bounded write queue.
//
// Reads are delivered to the owner as they arrive; the owner may StopReading() when it has
// enough unprocessed input (back-pressure towards the client). Writes go out with uv_try_write
// first and are queued only for what the kernel did not take; queued_bytes() lets the executor
// stop reading workers while a slow client drains (back-pressure towards workers), and
// OnDrained() fires once the queue falls below the low-water mark.
//
// Lifetime: Create() → ... → Close(); the object deletes itself after libuv's close callback,
// after calling OnClosed() (the owner must not touch the socket afterwards).
#pragma once

#include <uv.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace jade::coord::net {

class ClientSocket {
public:
    class Owner {
    public:
        virtual ~Owner() = default;
        virtual void OnRead(std::string_view bytes) = 0;
        virtual void OnEof() = 0;      ///< peer closed or read error
        virtual void OnDrained() = 0;  ///< write queue fell below the low-water mark
        virtual void OnClosed() = 0;   ///< handle closed; last callback
    };

    /** Accepts a pending connection from `server`; nullptr on failure. */
    static ClientSocket* Accept(uv_stream_t* server);

    void SetOwner(Owner* owner) { owner_ = owner; }
    void StartReading();
    void StopReading();
    bool reading() const { return reading_; }
    /** Sends `bytes` (consumed: the string is left empty). */
    void Write(std::string* bytes);
    /** Bytes handed to libuv but not yet written to the kernel. */
    size_t queued_bytes() const { return queued_; }
    void SetLowWater(size_t bytes) { low_water_ = bytes; }
    /** Closes after queued writes are done (libuv runs pending write callbacks first). */
    void Close();
    bool closing() const { return closing_; }
    /** Peer address "ip:port" for logs. */
    const std::string& peer() const { return peer_; }

private:
    ClientSocket() = default;
    static void AllocCb(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void ReadCb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
    static void WriteCb(uv_write_t* req, int status);
    static void CloseCb(uv_handle_t* h);

    uv_tcp_t tcp_{};
    Owner* owner_ = nullptr;
    bool reading_ = false;
    bool closing_ = false;
    size_t queued_ = 0;
    size_t low_water_ = 64 * 1024;
    std::string peer_;
    char read_buf_[64 * 1024];
};

}  // namespace jade::coord::net
