// cluster_transport.cpp — libraft and our RPC on one cluster port (see cluster_transport.h).
#include "raft/cluster_transport.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace jade::coord::raft {

constexpr uint64_t kHandshakeTimeoutMs = 5000;
constexpr uint64_t kMaxRaftAddressBytes = 1024;

/** A connection whose first bytes have not been read yet. */
struct ClusterTransport::Incoming {
    ClusterTransport* owner = nullptr;
    uv_tcp_t* tcp = nullptr;  ///< raft_malloc'd: libraft frees it with raft_free once it owns it
    uint64_t preamble[3] = {0, 0, 0};
    std::vector<char> address;
    size_t nread = 0;         ///< bytes of the current part read so far
    int part = 0;             ///< 0: protocol/magic, 1: id + address length, 2: address
    uint64_t accepted_at = 0;

    char* Buffer() {
        if (part == 0) return reinterpret_cast<char*>(&preamble[0]) + nread;
        if (part == 1) return reinterpret_cast<char*>(&preamble[1]) + nread;
        return address.data() + nread;
    }
    size_t Want() const {
        if (part == 0) return 8 - nread;
        if (part == 1) return 16 - nread;
        return address.size() - nread;
    }
};

namespace {
void FreeTcp(uv_handle_t* h) { raft_free(h); }
}  // namespace

ClusterTransport::ClusterTransport(uv_loop_t* loop, RpcHandler* handler) : loop_(loop), handler_(handler) {
    inner_.data = this;
    raft_uv_tcp_init(&inner_, loop_);  // keeps `data`
    outer_.impl = this;
    outer_.init = &Init;
    outer_.listen = &ListenRaft;
    outer_.connect = &ConnectRaft;
    outer_.close = &CloseRaft;
}

// raft_uv_tcp's memory is released only when its close completed (otherwise the process is
// exiting and the OS takes it back).
ClusterTransport::~ClusterTransport() {
    if (closing_ && close_cb_ == nullptr && open_handles_ == 0) raft_uv_tcp_close(&inner_);
}

Status ClusterTransport::Listen(const std::string& bind_address) {
    std::string host;
    uint16_t port = 0;
    sockaddr_in sa{};
    if (!ParseHostPort(bind_address, &host, &port) || uv_ip4_addr(host.c_str(), port, &sa) != 0) {
        return MakeError("22023", "invalid cluster listen address \"" + bind_address + "\"",
                         "Use a numeric IPv4 address and a port, e.g. 10.0.0.5:9080.");
    }
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    open_handles_++;
    listening_ = true;
    int rv = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&sa), 0);
    if (rv == 0) {
        rv = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64, [](uv_stream_t* s, int status) {
            static_cast<ClusterTransport*>(s->data)->OnConnection(status);
        });
    }
    if (rv != 0) {
        return MakeError("58030", "could not listen on cluster address " + bind_address + ": " + uv_strerror(rv));
    }
    uv_timer_init(loop_, &sweep_);
    sweep_.data = this;
    open_handles_++;
    uv_timer_start(
        &sweep_, [](uv_timer_t* t) { static_cast<ClusterTransport*>(t->data)->SweepHandshakes(); }, 1000, 1000);
    uv_unref(reinterpret_cast<uv_handle_t*>(&sweep_));
    return {};
}

int ClusterTransport::Init(raft_uv_transport* t, raft_id id, const char* address) {
    auto* self = static_cast<ClusterTransport*>(t->impl);
    int rv = self->inner_.init(&self->inner_, id, address);
    if (rv == 0) self->inner_ready_ = true;
    return rv;
}

// raft_uv starts receiving: from now on libraft's handshakes are handed over.
int ClusterTransport::ListenRaft(raft_uv_transport* t, raft_uv_accept_cb cb) {
    auto* self = static_cast<ClusterTransport*>(t->impl);
    if (!self->listening_) {
        std::snprintf(t->errmsg, sizeof t->errmsg, "cluster port is not listening");
        return RAFT_IOERR;
    }
    self->accept_cb_ = cb;
    return 0;
}

int ClusterTransport::ConnectRaft(raft_uv_transport* t, raft_uv_connect* req, raft_id id, const char* address,
                                  raft_uv_connect_cb cb) {
    auto* self = static_cast<ClusterTransport*>(t->impl);
    int rv = self->inner_.connect(&self->inner_, req, id, address, cb);
    if (rv != 0) std::memcpy(t->errmsg, self->inner_.errmsg, sizeof t->errmsg);
    return rv;
}

// raft_uv is closing: stop accepting, close our connections, then libraft's transport.
void ClusterTransport::CloseRaft(raft_uv_transport* t, raft_uv_transport_close_cb cb) {
    auto* self = static_cast<ClusterTransport*>(t->impl);
    self->close_cb_ = cb;
    self->accept_cb_ = nullptr;
    self->CloseOwnHandles([self] {
        if (!self->inner_ready_) {
            auto done = self->close_cb_;
            self->close_cb_ = nullptr;
            if (done != nullptr) done(&self->outer_);
            return;
        }
        self->inner_.close(&self->inner_, [](raft_uv_transport* inner) {
            auto* s = static_cast<ClusterTransport*>(inner->data);
            auto done = s->close_cb_;
            s->close_cb_ = nullptr;
            if (done != nullptr) done(&s->outer_);
        });
    });
}

void ClusterTransport::CloseWithoutRaft() {
    CloseOwnHandles([] {});
}

void ClusterTransport::CloseOwnHandles(std::function<void()> done) {
    if (closing_) {
        if (done) done();
        return;
    }
    closing_ = true;
    on_handles_closed_ = std::move(done);
    auto handle_closed = [](uv_handle_t* h) {
        auto* self = static_cast<ClusterTransport*>(h->data);
        if (--self->open_handles_ == 0 && self->on_handles_closed_) {
            auto fn = std::move(self->on_handles_closed_);
            self->on_handles_closed_ = nullptr;
            fn();
        }
    };
    for (Incoming* in : std::set<Incoming*>(incoming_)) Drop(in);
    for (RpcConnection* c : std::set<RpcConnection*>(rpc_conns_)) c->Close();
    if (open_handles_ == 0) {
        auto fn = std::move(on_handles_closed_);
        on_handles_closed_ = nullptr;
        if (fn) fn();
        return;
    }
    if (listening_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), handle_closed);
    if (uv_is_active(reinterpret_cast<uv_handle_t*>(&sweep_)) || sweep_.data == this) {
        uv_timer_stop(&sweep_);
        uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), handle_closed);
    }
}

// Accepts a connection and starts reading its first 8 bytes.
void ClusterTransport::OnConnection(int status) {
    if (status != 0 || closing_) return;
    auto* tcp = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop_, tcp);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(tcp)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(tcp), FreeTcp);
        return;
    }
    auto* in = new Incoming;
    in->owner = this;
    in->tcp = tcp;
    in->accepted_at = uv_now(loop_);
    tcp->data = in;
    incoming_.insert(in);
    int rv = uv_read_start(
        reinterpret_cast<uv_stream_t*>(tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* in = static_cast<Incoming*>(h->data);
            buf->base = in->Buffer();
            buf->len = in->Want();  // exactly the handshake: nothing of what follows is consumed
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
            auto* in = static_cast<Incoming*>(s->data);
            in->owner->OnHandshakeBytes(in, nread);
        });
    if (rv != 0) Drop(in);
}

// Reads the handshake part by part; hands the stream to libraft or to our RPC server.
void ClusterTransport::OnHandshakeBytes(Incoming* in, ssize_t nread) {
    if (nread == 0) return;
    if (nread < 0) {
        Drop(in);
        return;
    }
    in->nread += static_cast<size_t>(nread);
    if (in->Want() > 0) return;
    auto* stream = reinterpret_cast<uv_stream_t*>(in->tcp);
    if (in->part == 0) {
        // Little-endian on the wire; raft_uv_tcp writes host order via byteFlip64 (LE hosts only).
        uint64_t first = in->preamble[0];
        if (first == kRpcMagic) {
            uv_read_stop(stream);
            incoming_.erase(in);
            uv_tcp_t* tcp = in->tcp;
            delete in;
            ServeRpc(tcp);
            return;
        }
        if (first != kRaftHandshakeProtocol) {
            Drop(in);
            return;
        }
        in->part = 1;
        in->nread = 0;
        return;
    }
    if (in->part == 1) {
        uint64_t len = in->preamble[2];
        if (len == 0 || len > kMaxRaftAddressBytes) {
            Drop(in);
            return;
        }
        in->address.assign(len, '\0');
        in->part = 2;
        in->nread = 0;
        return;
    }
    uv_read_stop(stream);
    if (accept_cb_ == nullptr) {  // raft_uv has not started (or is closing): the peer retries
        Drop(in);
        return;
    }
    std::string address(in->address.data(), strnlen(in->address.data(), in->address.size()));
    raft_id id = in->preamble[1];
    incoming_.erase(in);
    uv_tcp_t* tcp = in->tcp;
    delete in;
    tcp->data = nullptr;
    accept_cb_(&outer_, id, address.c_str(), stream);
}

void ClusterTransport::Drop(Incoming* in) {
    incoming_.erase(in);
    uv_read_stop(reinterpret_cast<uv_stream_t*>(in->tcp));
    in->tcp->data = in;
    uv_close(reinterpret_cast<uv_handle_t*>(in->tcp), [](uv_handle_t* h) {
        auto* in = static_cast<Incoming*>(h->data);
        raft_free(h);
        delete in;
    });
}

// Serves our frames: each request goes to the handler, its reply goes back with the same id.
void ClusterTransport::ServeRpc(uv_tcp_t* tcp) {
    auto slot = std::make_shared<RpcConnection*>(nullptr);
    RpcConnection::Callbacks cb;
    cb.on_frame = [this, slot](Frame f) {
        uint64_t id = f.id;
        std::weak_ptr<RpcConnection*> weak = slot;
        handler_->HandleRpc(static_cast<RpcType>(f.type), std::move(f.payload),
                            [weak, id](RpcType type, std::string payload) {
                                auto s = weak.lock();
                                if (s && *s != nullptr) (*s)->Send(EncodeFrame(static_cast<uint8_t>(type), id, payload));
                            });
    };
    cb.on_close = [this, slot] {
        rpc_conns_.erase(*slot);
        *slot = nullptr;
    };
    RpcConnection* conn = RpcConnection::Adopt(tcp, std::move(cb));
    *slot = conn;
    rpc_conns_.insert(conn);
}

// Closes connections that did not finish their handshake in time (garbage, port scanners).
void ClusterTransport::SweepHandshakes() {
    uint64_t now = uv_now(loop_);
    for (Incoming* in : std::set<Incoming*>(incoming_)) {
        if (now - in->accepted_at > kHandshakeTimeoutMs) Drop(in);
    }
}

}  // namespace jade::coord::raft
