// tcp_listener.h — the coordinator's listening socket on the shared libuv loop.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "util/expected.h"

namespace jade::coord::net {

class TcpListener {
public:
    using AcceptFn = std::function<void(uv_stream_t* server)>;

    explicit TcpListener(uv_loop_t* loop) : loop_(loop) {}
    /** Binds address:port (IPv4 or IPv6 literal) and starts listening; 58030 on failure. */
    Status Listen(const std::string& address, int port, AcceptFn on_accept);
    /** Stops accepting (closes the handle). */
    void Close();

private:
    static void ConnectionCb(uv_stream_t* server, int status);

    uv_loop_t* loop_;
    uv_tcp_t tcp_{};
    bool open_ = false;
    AcceptFn on_accept_;
};

}  // namespace jade::coord::net
