// peer_client.cpp — cluster-port requests to one peer (see peer_client.h).
#include "raft/peer_client.h"

#include "metadata/byte_codec.h"
#include "raft/raft_c.h"

namespace jade::coord::raft {

PeerClient::PeerClient(uv_loop_t* loop, std::string address, unsigned connect_timeout_ms)
    : loop_(loop), address_(std::move(address)), connect_timeout_ms_(connect_timeout_ms) {
    sweep_ = new uv_timer_t;
    uv_timer_init(loop_, sweep_);
    sweep_->data = this;
    uv_timer_start(
        sweep_, [](uv_timer_t* t) { static_cast<PeerClient*>(t->data)->Sweep(); }, 50, 50);
    uv_unref(reinterpret_cast<uv_handle_t*>(sweep_));
}

PeerClient::~PeerClient() {
    *alive_ = false;
    FailAll("the coordinator is shutting down", false);
    if (conn_ != nullptr) {
        conn_->Close();  // its on_close checks `alive_`
        conn_ = nullptr;
    }
    uv_timer_stop(sweep_);
    uv_close(reinterpret_cast<uv_handle_t*>(sweep_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void PeerClient::Call(RpcType type, std::string payload, unsigned timeout_ms, ReplyCb cb) {
    uint64_t id = next_id_++;
    Pending& p = pending_[id];
    p.type = static_cast<uint8_t>(type);
    p.payload = std::move(payload);
    p.cb = std::move(cb);
    p.deadline = uv_now(loop_) + timeout_ms;
    if (conn_ != nullptr) {
        SendQueued();
    } else {
        Connect();
    }
}

void PeerClient::Connect() {
    if (connecting_ || conn_ != nullptr) return;
    connecting_ = true;
    ByteWriter magic;
    magic.U64(kRpcMagic);
    std::weak_ptr<bool> alive = alive_;
    ConnectTcp(loop_, address_, std::move(magic.bytes()), connect_timeout_ms_,
               [this, alive](uv_tcp_t* tcp, const std::string& error) {
                   if (alive.expired()) {
                       if (tcp != nullptr) {
                           uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { raft_free(h); });
                       }
                       return;
                   }
                   connecting_ = false;
                   if (tcp == nullptr) {
                       FailAll("could not connect to coordinator at " + address_ + ": " + error, true);
                       return;
                   }
                   RpcConnection::Callbacks cb;
                   cb.on_frame = [this, alive](Frame f) {
                       if (!alive.expired()) OnFrame(std::move(f));
                   };
                   cb.on_close = [this, alive] {
                       if (!alive.expired()) OnClosed();
                   };
                   conn_ = RpcConnection::Adopt(tcp, std::move(cb));
                   SendQueued();
               });
}

void PeerClient::SendQueued() {
    if (conn_ == nullptr || conn_->closing()) return;
    for (auto& [id, p] : pending_) {
        if (p.sent) continue;
        p.sent = true;
        conn_->Send(EncodeFrame(p.type, id, p.payload));
    }
}

void PeerClient::OnFrame(Frame f) {
    auto it = pending_.find(f.id);
    if (it == pending_.end()) return;  // answered after its deadline
    ReplyCb cb = std::move(it->second.cb);
    pending_.erase(it);
    cb("", true, f);
}

void PeerClient::OnClosed() {
    conn_ = nullptr;
    FailAll("connection to coordinator at " + address_ + " was lost", false);
}

// Fails requests whose deadline passed (unsent ones were certainly not delivered).
void PeerClient::Sweep() {
    uint64_t now = uv_now(loop_);
    std::vector<uint64_t> expired;
    for (auto& [id, p] : pending_) {
        if (p.deadline <= now) expired.push_back(id);
    }
    for (uint64_t id : expired) {
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;
        ReplyCb cb = std::move(it->second.cb);
        bool sent = it->second.sent;
        pending_.erase(it);
        cb("coordinator at " + address_ + " did not answer in time", sent, Frame{});
    }
}

void PeerClient::Reset(const std::string& why) {
    FailAll(why, false);
    if (conn_ != nullptr) conn_->Close();
}

void PeerClient::FailAll(const std::string& why, bool only_unsent) {
    std::vector<std::pair<ReplyCb, bool>> failed;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (only_unsent && it->second.sent) {
            ++it;
            continue;
        }
        failed.emplace_back(std::move(it->second.cb), it->second.sent);
        it = pending_.erase(it);
    }
    for (auto& [cb, sent] : failed) cb(why, sent, Frame{});
}

}  // namespace jade::coord::raft
