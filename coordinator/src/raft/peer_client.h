// peer_client.h — requests from this coordinator to another one over its cluster port.
//
// One connection per peer, opened on first use and again after it broke; requests are
// pipelined and matched to replies by id. Every request has a deadline. A request that fails
// says whether it may have reached the peer (`maybe_delivered`): a proposal that may have been
// delivered has an unknown outcome and must not be retried blindly.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raft/rpc_connection.h"
#include "raft/rpc_frame.h"

namespace jade::coord::raft {

class PeerClient {
public:
    /** On success `error` is empty and `reply` holds the answer. */
    using ReplyCb = std::function<void(const std::string& error, bool maybe_delivered, const Frame& reply)>;

    PeerClient(uv_loop_t* loop, std::string address, unsigned connect_timeout_ms = 1000);
    ~PeerClient();
    PeerClient(const PeerClient&) = delete;
    PeerClient& operator=(const PeerClient&) = delete;

    void Call(RpcType type, std::string payload, unsigned timeout_ms, ReplyCb cb);
    /** Fails every pending request and closes the connection (the client stays usable). */
    void Reset(const std::string& why);
    const std::string& address() const { return address_; }

private:
    struct Pending {
        uint8_t type = 0;
        std::string payload;
        ReplyCb cb;
        uint64_t deadline = 0;
        bool sent = false;
    };
    void Connect();
    void SendQueued();
    void OnFrame(Frame f);
    void OnClosed();
    void Sweep();
    void FailAll(const std::string& why, bool only_unsent);

    uv_loop_t* loop_;
    std::string address_;
    unsigned connect_timeout_ms_;
    RpcConnection* conn_ = nullptr;
    bool connecting_ = false;
    uint64_t next_id_ = 1;
    std::map<uint64_t, Pending> pending_;
    uv_timer_t* sweep_ = nullptr;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jade::coord::raft
