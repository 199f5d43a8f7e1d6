// io_observer.cpp — forwarding raft_io (see io_observer.h).
#include "raft/io_observer.h"

#include <cstring>

namespace jade::coord::raft {
namespace {

// One send in flight: libraft's request and callback, and what the observer needs back.
struct SendWrap {
    raft_io_send inner{};
    raft_io_send* outer = nullptr;
    raft_io_send_cb cb = nullptr;
    IoEvents* events = nullptr;
    uint64_t server_id = 0;
    uint64_t ticket = 0;
};

}  // namespace

IoObserver::IoObserver(raft_io* inner, IoEvents* events) : inner_(inner), events_(events) {
    inner_->data = this;
    outer_.version = inner_->version;
    outer_.impl = this;
    outer_.init = &Init;
    outer_.close = &Close;
    outer_.load = &Load;
    outer_.start = &Start;
    outer_.bootstrap = &Bootstrap;
    outer_.recover = &Recover;
    outer_.set_term = &SetTerm;
    outer_.set_vote = &SetVote;
    outer_.send = &Send;
    outer_.append = &Append;
    outer_.truncate = &Truncate;
    outer_.snapshot_put = &SnapshotPut;
    outer_.snapshot_get = &SnapshotGet;
    outer_.time = &Time;
    outer_.random = &Random;
    outer_.async_work = inner_->version >= 2 ? &AsyncWork : nullptr;
}

// raft_init stored the inner io and pointed its `data` at the raft; swap in the observer.
void IoObserver::Install(::raft* r) {
    outer_.data = r;
    r->io = &outer_;
}

// libraft copies io->errmsg into its own message on failures: keep the inner one visible.
void IoObserver::CopyError(int rv) {
    if (rv != 0) std::memcpy(outer_.errmsg, inner_->errmsg, sizeof outer_.errmsg);
}

int IoObserver::Init(raft_io* io, raft_id id, const char* address) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->init(self->inner_, id, address);
    self->CopyError(rv);
    return rv;
}

void IoObserver::Close(raft_io* io, raft_io_close_cb cb) {
    IoObserver* self = Outer(io);
    self->close_cb_ = cb;
    self->inner_->close(self->inner_, &CloseTrampoline);
}

void IoObserver::CloseTrampoline(raft_io* inner) {
    IoObserver* self = Inner(inner);
    if (self->close_cb_ != nullptr) self->close_cb_(&self->outer_);
}

int IoObserver::Load(raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot,
                     raft_index* start_index, raft_entry* entries[], size_t* n_entries) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->load(self->inner_, term, voted_for, snapshot, start_index, entries, n_entries);
    self->CopyError(rv);
    return rv;
}

// Registers the observer's trampolines with the inner io and remembers libraft's callbacks.
int IoObserver::Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
    IoObserver* self = Outer(io);
    self->tick_cb_ = tick;
    self->recv_cb_ = recv;
    int rv = self->inner_->start(self->inner_, msecs, &TickTrampoline, &RecvTrampoline);
    self->CopyError(rv);
    return rv;
}

void IoObserver::TickTrampoline(raft_io* inner) {
    IoObserver* self = Inner(inner);
    self->tick_cb_(&self->outer_);
    self->events_->Handled();
}

void IoObserver::RecvTrampoline(raft_io* inner, raft_message* message) {
    IoObserver* self = Inner(inner);
    self->events_->WillReceive(*message);  // before libraft takes ownership of the entries
    self->recv_cb_(&self->outer_, message);
    self->events_->Handled();
}

int IoObserver::Bootstrap(raft_io* io, const raft_configuration* conf) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->bootstrap(self->inner_, conf);
    self->CopyError(rv);
    return rv;
}

int IoObserver::Recover(raft_io* io, const raft_configuration* conf) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->recover(self->inner_, conf);
    self->CopyError(rv);
    return rv;
}

int IoObserver::SetTerm(raft_io* io, raft_term term) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->set_term(self->inner_, term);
    self->CopyError(rv);
    return rv;
}

int IoObserver::SetVote(raft_io* io, raft_id server_id) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->set_vote(self->inner_, server_id);
    self->CopyError(rv);
    return rv;
}

// Reports the send before handing it over; the completion goes through SendTrampoline.
int IoObserver::Send(raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb) {
    IoObserver* self = Outer(io);
    auto* wrap = new SendWrap;
    wrap->inner.data = wrap;
    wrap->outer = req;
    wrap->cb = cb;
    wrap->events = self->events_;
    wrap->server_id = message->server_id;
    wrap->ticket = self->events_->WillSend(*message);
    int rv = self->inner_->send(self->inner_, &wrap->inner, message, &SendTrampoline);
    if (rv != 0) {
        self->events_->SendDone(wrap->server_id, wrap->ticket, rv);
        delete wrap;
        self->CopyError(rv);
    }
    return rv;
}

void IoObserver::SendTrampoline(raft_io_send* inner_req, int status) {
    auto* wrap = static_cast<SendWrap*>(inner_req->data);
    wrap->events->SendDone(wrap->server_id, wrap->ticket, status);
    raft_io_send* outer = wrap->outer;
    raft_io_send_cb cb = wrap->cb;
    delete wrap;
    if (cb != nullptr) cb(outer, status);
}

int IoObserver::Append(raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned n,
                       raft_io_append_cb cb) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->append(self->inner_, req, entries, n, cb);
    self->CopyError(rv);
    return rv;
}

int IoObserver::Truncate(raft_io* io, raft_index index) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->truncate(self->inner_, index);
    self->CopyError(rv);
    return rv;
}

int IoObserver::SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                            const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->snapshot_put(self->inner_, trailing, req, snapshot, cb);
    self->CopyError(rv);
    return rv;
}

int IoObserver::SnapshotGet(raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->snapshot_get(self->inner_, req, cb);
    self->CopyError(rv);
    return rv;
}

raft_time IoObserver::Time(raft_io* io) {
    IoObserver* self = Outer(io);
    return self->inner_->time(self->inner_);
}

int IoObserver::Random(raft_io* io, int min, int max) {
    IoObserver* self = Outer(io);
    return self->inner_->random(self->inner_, min, max);
}

int IoObserver::AsyncWork(raft_io* io, raft_io_async_work* req, raft_io_async_work_cb cb) {
    IoObserver* self = Outer(io);
    int rv = self->inner_->async_work(self->inner_, req, cb);
    self->CopyError(rv);
    return rv;
}

}  // namespace jade::coord::raft
