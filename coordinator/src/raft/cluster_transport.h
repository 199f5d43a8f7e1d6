// cluster_transport.h — the coordinator's cluster port: libraft's traffic and ours on one port.
//
// raft_uv needs a `raft_uv_transport`. Outgoing raft connections use libraft's own raft_uv_tcp
// (its handshake: u64 protocol 1, u64 server id, u64 address length, address). Incoming
// connections are accepted here: the first 8 bytes say which protocol follows, 1 for libraft
// (the rest of its handshake is read and the stream handed to raft_uv), kRpcMagic for our
// requests (rpc_frame.h), served by an RpcHandler. Anything else, or a handshake not finished
// within 5 s, is closed. Exactly the bytes of the handshake are read (libuv reads no more than
// the buffer it is given), so nothing of the following stream is consumed here.
//
// The cluster port has no authentication, like libraft's own transport: bind it to a private
// network (docs/operations.md).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "raft/raft_c.h"
#include "raft/rpc_connection.h"
#include "raft/rpc_frame.h"
#include "util/expected.h"

namespace jade::coord::raft {

/** Serves our requests; `reply(type, payload)` may be called later, at most once. */
class RpcHandler {
public:
    using Reply = std::function<void(RpcType type, std::string payload)>;
    virtual ~RpcHandler() = default;
    virtual void HandleRpc(RpcType type, std::string payload, Reply reply) = 0;
};

class ClusterTransport {
public:
    ClusterTransport(uv_loop_t* loop, RpcHandler* handler);
    ~ClusterTransport();
    ClusterTransport(const ClusterTransport&) = delete;
    ClusterTransport& operator=(const ClusterTransport&) = delete;

    /** Binds and listens on numeric "host:port" (port in use → 58030 naming it). */
    Status Listen(const std::string& bind_address);
    /** The transport to give raft_uv_init; raft_uv closes it during raft_close. */
    raft_uv_transport* transport() { return &outer_; }
    /** Closes the listener and our connections without libraft (raft_uv was never started). */
    void CloseWithoutRaft();

private:
    struct Incoming;
    static int Init(raft_uv_transport* t, raft_id id, const char* address);
    static int ListenRaft(raft_uv_transport* t, raft_uv_accept_cb cb);
    static int ConnectRaft(raft_uv_transport* t, raft_uv_connect* req, raft_id id, const char* address,
                           raft_uv_connect_cb cb);
    static void CloseRaft(raft_uv_transport* t, raft_uv_transport_close_cb cb);

    void OnConnection(int status);
    void OnHandshakeBytes(Incoming* in, ssize_t nread);
    void Drop(Incoming* in);
    void ServeRpc(uv_tcp_t* tcp);
    void SweepHandshakes();
    void CloseOwnHandles(std::function<void()> done);

    uv_loop_t* loop_;
    RpcHandler* handler_;
    raft_uv_transport outer_{};  ///< what raft_uv sees (implemented here)
    raft_uv_transport inner_{};  ///< libraft's raft_uv_tcp, used for outgoing raft connections
    bool inner_ready_ = false;
    uv_tcp_t listener_{};
    bool listening_ = false;
    uv_timer_t sweep_{};
    raft_uv_accept_cb accept_cb_ = nullptr;
    raft_uv_transport_close_cb close_cb_ = nullptr;
    std::set<Incoming*> incoming_;
    std::set<RpcConnection*> rpc_conns_;
    bool closing_ = false;
    int open_handles_ = 0;
    std::function<void()> on_handles_closed_;
};

}  // namespace jade::coord::raft
