// rpc_connection.cpp — framed cluster-port connections (see rpc_connection.h).
#include "raft/rpc_connection.h"

#include <cstdlib>
#include <memory>

#include "raft/raft_c.h"

namespace jade::coord::raft {
namespace {

struct WriteReq {
    uv_write_t req{};
    std::string bytes;
};

void FreeHandle(uv_handle_t* h) { raft_free(h); }

}  // namespace

RpcConnection* RpcConnection::Adopt(uv_tcp_t* tcp, Callbacks cb) {
    auto* c = new RpcConnection(tcp, std::move(cb));
    tcp->data = c;
    uv_tcp_nodelay(tcp, 1);
    int rv = uv_read_start(
        reinterpret_cast<uv_stream_t*>(tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* self = static_cast<RpcConnection*>(h->data);
            buf->base = self->read_buf_;
            buf->len = sizeof self->read_buf_;
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
            static_cast<RpcConnection*>(s->data)->OnRead(nread, buf);
        });
    if (rv != 0) c->Close();
    return c;
}

// Feeds the decoder and hands out complete frames; EOF, errors and garbage close the connection.
void RpcConnection::OnRead(ssize_t nread, const uv_buf_t* buf) {
    if (nread == 0) return;
    if (nread < 0 || !decoder_.Feed(buf->base, static_cast<size_t>(nread))) {
        Close();
        return;
    }
    Frame f;
    while (!closing_ && decoder_.Next(&f)) {
        if (cb_.on_frame) cb_.on_frame(std::move(f));
    }
}

void RpcConnection::Send(std::string bytes) {
    if (closing_) return;
    auto* w = new WriteReq;
    w->bytes = std::move(bytes);
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
    int rv = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(tcp_), &b, 1, [](uv_write_t* req, int status) {
        auto* wr = static_cast<WriteReq*>(req->data);
        auto* self = static_cast<RpcConnection*>(req->handle->data);
        delete wr;
        if (status != 0 && self != nullptr) self->Close();
    });
    if (rv != 0) {
        delete w;
        Close();
    }
}

void RpcConnection::Close() {
    if (closing_) return;
    closing_ = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_));
    uv_close(reinterpret_cast<uv_handle_t*>(tcp_), [](uv_handle_t* h) {
        auto* self = static_cast<RpcConnection*>(h->data);
        h->data = nullptr;
        raft_free(h);
        if (self->cb_.on_close) self->cb_.on_close();
        delete self;
    });
}

bool ParseHostPort(const std::string& address, std::string* host, uint16_t* port) {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= address.size()) return false;
    std::string h = address.substr(0, colon);
    std::string p = address.substr(colon + 1);
    if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) return false;
    int n = std::atoi(p.c_str());
    if (n <= 0 || n > 65535) return false;
    sockaddr_in sa{};
    if (uv_ip4_addr(h.c_str(), n, &sa) != 0) return false;
    *host = h;
    *port = static_cast<uint16_t>(n);
    return true;
}

namespace {

// One connection attempt: connect, write the preamble, bounded by a timer. Deleted once the
// connect request, the write request and the timer have all reported back.
struct Connect {
    uv_connect_t req{};
    uv_write_t write{};
    uv_timer_t timer{};
    uv_tcp_t* tcp = nullptr;
    std::string preamble;
    std::function<void(uv_tcp_t*, const std::string&)> done;
    bool finished = false;
    int outstanding = 0;  ///< connect/write callbacks not yet run, plus the timer until closed

    void Release() {
        if (--outstanding == 0) delete this;
    }
    // Reports the result once; on failure the socket is closed (pending requests are canceled).
    void Finish(const std::string& error) {
        if (finished) return;
        finished = true;
        uv_timer_stop(&timer);
        uv_close(reinterpret_cast<uv_handle_t*>(&timer),
                 [](uv_handle_t* h) { static_cast<Connect*>(h->data)->Release(); });
        auto d = std::move(done);
        if (!error.empty()) {
            uv_close(reinterpret_cast<uv_handle_t*>(tcp), FreeHandle);
            d(nullptr, error);
        } else {
            d(tcp, "");
        }
    }
};

}  // namespace

void ConnectTcp(uv_loop_t* loop, const std::string& address, std::string preamble, unsigned timeout_ms,
                std::function<void(uv_tcp_t* tcp, const std::string& error)> done) {
    std::string host;
    uint16_t port = 0;
    sockaddr_in sa{};
    if (!ParseHostPort(address, &host, &port) || uv_ip4_addr(host.c_str(), port, &sa) != 0) {
        done(nullptr, "invalid cluster address \"" + address + "\"");
        return;
    }
    auto* c = new Connect;
    c->tcp = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
    c->preamble = std::move(preamble);
    c->done = std::move(done);
    uv_tcp_init(loop, c->tcp);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->req.data = c;
    c->write.data = c;
    c->outstanding = 1;  // the timer
    uv_timer_start(
        &c->timer, [](uv_timer_t* t) { static_cast<Connect*>(t->data)->Finish("connection timed out"); }, timeout_ms,
        0);
    int rv = uv_tcp_connect(&c->req, c->tcp, reinterpret_cast<const sockaddr*>(&sa), [](uv_connect_t* req, int status) {
        auto* c = static_cast<Connect*>(req->data);
        if (c->finished || status != 0) {
            c->Finish(status != 0 ? uv_strerror(status) : "connection timed out");
            c->Release();
            return;
        }
        uv_buf_t b = uv_buf_init(c->preamble.data(), static_cast<unsigned>(c->preamble.size()));
        c->outstanding++;
        int wrv = uv_write(&c->write, reinterpret_cast<uv_stream_t*>(c->tcp), &b, 1, [](uv_write_t* w, int st) {
            auto* c = static_cast<Connect*>(w->data);
            c->Finish(st != 0 ? uv_strerror(st) : "");
            c->Release();
        });
        if (wrv != 0) {
            c->outstanding--;
            c->Finish(uv_strerror(wrv));
        }
        c->Release();
    });
    if (rv != 0) {
        c->Finish(uv_strerror(rv));
        return;
    }
    c->outstanding++;
}

}  // namespace jade::coord::raft
