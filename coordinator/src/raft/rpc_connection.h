// rpc_connection.h — one cluster-port connection speaking our frames (rpc_frame.h) on libuv.
//
// Owns its uv_tcp_t (allocated with raft_malloc by whoever accepted or connected it) and deletes
// itself once the handle is closed, after telling on_close. Holders keep a raw pointer and drop
// it in on_close. Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "raft/rpc_frame.h"

namespace jade::coord::raft {

class RpcConnection {
public:
    struct Callbacks {
        std::function<void(Frame)> on_frame;
        std::function<void()> on_close;
    };
    /** Starts reading frames from `tcp` (already connected and past the magic). */
    static RpcConnection* Adopt(uv_tcp_t* tcp, Callbacks cb);

    /** Queues bytes (a frame, or the magic) for writing; ignored once closing. */
    void Send(std::string bytes);
    /** Closes the connection; on_close runs from the close callback. */
    void Close();
    bool closing() const { return closing_; }

private:
    RpcConnection(uv_tcp_t* tcp, Callbacks cb) : tcp_(tcp), cb_(std::move(cb)) {}
    ~RpcConnection() = default;
    void OnRead(ssize_t nread, const uv_buf_t* buf);

    uv_tcp_t* tcp_;
    Callbacks cb_;
    FrameDecoder decoder_;
    bool closing_ = false;
    char read_buf_[64 * 1024];
};

/**
 * Connects to numeric "host:port" and writes `preamble`, within `timeout_ms`; `done` gets the
 * connected handle (raft_malloc'd, for RpcConnection::Adopt) or an error text.
 */
void ConnectTcp(uv_loop_t* loop, const std::string& address, std::string preamble, unsigned timeout_ms,
                std::function<void(uv_tcp_t* tcp, const std::string& error)> done);

/** Parses a numeric IPv4 "host:port"; false when it is not one. */
bool ParseHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace jade::coord::raft
