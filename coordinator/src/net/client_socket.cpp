// client_socket.cpp — accepted TCP connection with bounded, coalesced writes, keepalives and
// optional TLS (see client_socket.h).
#include "net/client_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

namespace jade::coord::net {
namespace {

/** A queued write owns its bytes until libuv's callback. */
struct WriteReq {
    uv_write_t req;
    std::string data;
    ClientSocket* socket;
};

// Sets one integer TCP-level option.
bool SetTcp(int fd, int level, int name, int value) {
    return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace

bool IsLoopback(const sockaddr* addr) {
    if (addr->sa_family == AF_INET) {
        return (ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->sa_family == AF_INET6) {
        const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    }
    return false;
}

bool ApplySocketOptions(int fd, const SocketOptions& o) {
    bool ok = true;
    if (o.keepalives_idle_s > 0 || o.keepalives_interval_s > 0 || o.keepalives_count > 0) {
        ok &= SetTcp(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
        if (o.keepalives_idle_s > 0) ok &= SetTcp(fd, IPPROTO_TCP, TCP_KEEPIDLE, o.keepalives_idle_s);
        if (o.keepalives_interval_s > 0) ok &= SetTcp(fd, IPPROTO_TCP, TCP_KEEPINTVL, o.keepalives_interval_s);
        if (o.keepalives_count > 0) ok &= SetTcp(fd, IPPROTO_TCP, TCP_KEEPCNT, o.keepalives_count);
    }
    if (o.user_timeout_ms > 0) ok &= SetTcp(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, o.user_timeout_ms);
    return ok;
}

// Accepts the connection, disables Nagle (every reply ends a round trip), sets keepalives and
// records the peer.
ClientSocket* ClientSocket::Accept(uv_stream_t* server, const SocketOptions& options) {
    auto* s = new ClientSocket();
    uv_tcp_init(server->loop, &s->tcp_);
    s->tcp_.data = s;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&s->tcp_)) != 0) {
        s->closing_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp_), CloseCb);
        return nullptr;
    }
    uv_tcp_nodelay(&s->tcp_, 1);
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&s->tcp_), &fd) == 0 && !ApplySocketOptions(fd, options)) {
        std::fprintf(stderr, "jade-coordinator: could not set keepalive options on a client socket: %s\n",
                     std::strerror(errno));
    }
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&s->tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        char ip[INET6_ADDRSTRLEN] = {0};
        int port = 0;
        if (addr.ss_family == AF_INET) {
            auto* in = reinterpret_cast<sockaddr_in*>(&addr);
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            port = ntohs(in->sin_port);
            s->loopback_ = IsLoopback(reinterpret_cast<sockaddr*>(&addr));
        } else if (addr.ss_family == AF_INET6) {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            port = ntohs(in6->sin6_port);
            s->loopback_ = IsLoopback(reinterpret_cast<sockaddr*>(&addr));
        }
        s->peer_ip_ = ip;
        s->peer_ = (addr.ss_family == AF_INET6 ? "[" + s->peer_ip_ + "]" : s->peer_ip_) + ":" + std::to_string(port);
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

// Switches the connection to TLS; the client's handshake is the next thing it sends.
void ClientSocket::StartTls(const TlsContext& context) {
    tls_ = std::make_unique<TlsChannel>(context);
}

std::string ClientSocket::tls_description() const {
    if (!tls_ || !tls_->handshake_done()) return {};
    return tls_->version() + " " + tls_->cipher();
}

// Encrypts (with TLS) and sends.
void ClientSocket::Write(std::string* bytes) {
    if (bytes->empty()) return;
    if (closing_) {
        bytes->clear();
        return;
    }
    if (!tls_) {
        WriteRaw(bytes);
        return;
    }
    Status st = tls_->Encrypt(*bytes);
    bytes->clear();
    std::string cipher = tls_->TakeCiphertext();
    WriteRaw(&cipher);
    if (!st && owner_ != nullptr) owner_->OnEof();
}

// Tries a direct write, queues the rest.
void ClientSocket::WriteRaw(std::string* bytes) {
    if (bytes->empty()) return;
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

// Closes the handle (a TLS connection says close_notify first); pending writes are cancelled by
// libuv with UV_ECANCELED.
void ClientSocket::Close() {
    if (closing_) return;
    if (tls_) {
        tls_->Shutdown();
        std::string alert = tls_->TakeCiphertext();
        WriteRaw(&alert);
    }
    closing_ = true;
    reading_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), CloseCb);
}

// Hands libuv the socket's fixed read buffer (reads are consumed synchronously in ReadCb).
void ClientSocket::AllocCb(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
    auto* s = static_cast<ClientSocket*>(h->data);
    *buf = uv_buf_init(s->read_buf_, sizeof s->read_buf_);
}

// Delivers bytes or end-of-stream to the owner, inside the exception boundary.
void ClientSocket::ReadCb(uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
    auto* s = static_cast<ClientSocket*>(stream->data);
    Guarded("client read", [&] {
        OwnerScope scope(s->owner_, s->owner_alive_);
        if (n > 0) {
            s->DeliverRead(std::string_view(buf->base, static_cast<size_t>(n)));
            return;
        }
        if (n < 0) {
            s->StopReading();
            if (s->owner_ != nullptr) s->owner_->OnEof();
        }
    });
}

// Passes read bytes to the owner, decrypting them first under TLS (handshake replies go out).
void ClientSocket::DeliverRead(std::string_view bytes) {
    if (owner_ == nullptr) return;
    if (!tls_) {
        owner_->OnRead(bytes);
        return;
    }
    std::string plain;
    Status st = tls_->FeedCiphertext(bytes, &plain);
    std::string out = tls_->TakeCiphertext();
    WriteRaw(&out);
    if (!st) {
        std::fprintf(stderr, "jade-coordinator: client %s: %s\n", peer_.c_str(), st.error().message.c_str());
        StopReading();
        owner_->OnEof();
        return;
    }
    if (!plain.empty() && !closing_) owner_->OnRead(plain);
}

// Accounts a finished write and reports draining.
void ClientSocket::WriteCb(uv_write_t* req, int status) {
    auto* w = static_cast<WriteReq*>(req->data);
    ClientSocket* s = w->socket;
    size_t before = s->queued_;
    s->queued_ -= w->data.size();
    delete w;
    if (s->closing_) return;
    Guarded("client write", [&] {
        OwnerScope scope(s->owner_, s->owner_alive_);
        if (status < 0) {
            if (s->owner_ != nullptr) s->owner_->OnEof();
            return;
        }
        if (before >= s->low_water_ && s->queued_ < s->low_water_ && s->owner_ != nullptr) s->owner_->OnDrained();
    });
}

// Final callback: tells the owner and frees the socket.
void ClientSocket::CloseCb(uv_handle_t* h) {
    auto* s = static_cast<ClientSocket*>(h->data);
    Guarded("client close", [&] {
        if (s->owner_ != nullptr) s->owner_->OnClosed();
    });
    delete s;
}

}  // namespace jade::coord::net
