// client_socket.cpp — accepted TCP connection with bounded, coalesced writes (see client_socket.h).
#include "net/client_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace jade::coord::net {
namespace {

/** A queued write owns its bytes until libuv's callback. */
struct WriteReq {
    uv_write_t req;
    std::string data;
    ClientSocket* socket;
};

}  // namespace

// Accepts the connection, disables Nagle (every reply ends a round trip) and records the peer.
ClientSocket* ClientSocket::Accept(uv_stream_t* server) {
    auto* s = new ClientSocket();
    uv_tcp_init(server->loop, &s->tcp_);
    s->tcp_.data = s;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&s->tcp_)) != 0) {
        s->closing_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp_), CloseCb);
        return nullptr;
    }
    uv_tcp_nodelay(&s->tcp_, 1);
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&s->tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.ss_family == AF_INET) {
        char ip[INET_ADDRSTRLEN] = {0};
        auto* in = reinterpret_cast<sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        s->peer_ = std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
    }
    return s;
}

// Starts delivering reads to the owner.
void ClientSocket::StartReading() {
    if (reading_ || closing_) return;
    reading_ = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), AllocCb, ReadCb) == 0;
}

// Stops reads (the kernel buffer then pushes back on the client).
void ClientSocket::StopReading() {
    if (!reading_ || closing_) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
}

// Tries a direct write, queues the rest.
void ClientSocket::Write(std::string* bytes) {
    if (bytes->empty()) return;
    if (closing_) {
        bytes->clear();
        return;
    }
    size_t offset = 0;
    if (queued_ == 0) {
        uv_buf_t buf = uv_buf_init(bytes->data(), static_cast<unsigned>(bytes->size()));
        int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1);
        if (n > 0) offset = static_cast<size_t>(n);
        if (offset == bytes->size()) {
            bytes->clear();
            return;
        }
    }
    auto* w = new WriteReq();
    w->socket = this;
    w->data = offset == 0 ? std::move(*bytes) : bytes->substr(offset);
    bytes->clear();
    queued_ += w->data.size();
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    w->req.data = w;
    if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, WriteCb) != 0) {
        queued_ -= w->data.size();
        delete w;
        if (owner_ != nullptr) owner_->OnEof();
    }
}

// Closes the handle; pending writes are cancelled by libuv with UV_ECANCELED.
void ClientSocket::Close() {
    if (closing_) return;
    closing_ = true;
    reading_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), CloseCb);
}

// Hands libuv the socket's fixed read buffer (reads are consumed synchronously in ReadCb).
void ClientSocket::AllocCb(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
    auto* s = static_cast<ClientSocket*>(h->data);
    *buf = uv_buf_init(s->read_buf_, sizeof s->read_buf_);
}

// Delivers bytes or end-of-stream to the owner.
void ClientSocket::ReadCb(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    auto* s = static_cast<ClientSocket*>(stream->data);
    if (n > 0) {
        if (s->owner_ != nullptr) s->owner_->OnRead(std::string_view(buf->base, static_cast<size_t>(n)));
        return;
    }
    if (n < 0) {
        s->StopReading();
        if (s->owner_ != nullptr) s->owner_->OnEof();
    }
}

// Accounts a finished write and reports draining.
void ClientSocket::WriteCb(uv_write_t* req, int status) {
    auto* w = static_cast<WriteReq*>(req->data);
    ClientSocket* s = w->socket;
    size_t before = s->queued_;
    s->queued_ -= w->data.size();
    delete w;
    if (s->closing_) return;
    if (status < 0) {
        if (s->owner_ != nullptr) s->owner_->OnEof();
        return;
    }
    if (before >= s->low_water_ && s->queued_ < s->low_water_ && s->owner_ != nullptr) s->owner_->OnDrained();
}

// Final callback: tells the owner and frees the socket.
void ClientSocket::CloseCb(uv_handle_t* h) {
    auto* s = static_cast<ClientSocket*>(h->data);
    if (s->owner_ != nullptr) s->owner_->OnClosed();
    delete s;
}

}  // namespace jade::coord::net
