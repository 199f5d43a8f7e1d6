// tcp_listener.cpp — listening socket (see tcp_listener.h).
#include "net/tcp_listener.h"

#include <netinet/in.h>

#include "net/exception_boundary.h"

namespace jade::coord::net {

// Binds and listens; the accept callback runs on the loop for every pending connection.
Status TcpListener::Listen(const std::string& address, int port, AcceptFn on_accept) {
    on_accept_ = std::move(on_accept);
    sockaddr_storage addr{};
    if (uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
        uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
        return MakeError(sqlstate::kInvalidParameterValue, "invalid listen address \"" + address + "\"",
                         "Use a numeric IPv4 or IPv6 address, e.g. 127.0.0.1.");
    }
    uv_tcp_init(loop_, &tcp_);
    tcp_.data = this;
    open_ = true;
    int rc = uv_tcp_bind(&tcp_, reinterpret_cast<sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 511, ConnectionCb);
    if (rc != 0) {
        return MakeError(sqlstate::kIoError,
                         "could not listen on " + address + ":" + std::to_string(port) + ": " + uv_strerror(rc));
    }
    return {};
}

// Closes the listening handle.
void TcpListener::Close() {
    if (!open_) return;
    open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
}

// Forwards each new connection to the owner.
void TcpListener::ConnectionCb(uv_stream_t* server, int status) {
    auto* self = static_cast<TcpListener*>(server->data);
    if (status < 0 || !self->on_accept_) return;
    Guarded("accept", [&] { self->on_accept_(server); });
}

}  // namespace jade::coord::net
