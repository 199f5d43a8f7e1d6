// io_observer.h — a raft_io decorator that lets RaftNode see every message and tick.
//
// libraft 0.15 has no hooks for "a message arrived" or "the role changed", and its per-peer
// progress keeps no times. The leader lease (leader_lease.h), "last contact" in
// jade_coordinators and the follower's readiness (the leader's commit index) all need them, so
// RaftNode gives libraft this raft_io: every call is forwarded to the real one (raft_uv in the
// daemon, the raft_fixture stub in tests), and sends, receives and ticks are reported to
// IoEvents around libraft's own handling. Same code path in the daemon and in the
// deterministic tests.
#pragma once

#include <cstdint>

#include "raft/raft_c.h"

namespace jade::coord::raft {

class IoEvents {
public:
    virtual ~IoEvents() = default;
    /** A message is being handed to the transport; the returned ticket comes back in SendDone. */
    virtual uint64_t WillSend(const raft_message& message) = 0;
    /** The transport finished (status 0) or failed that send. */
    virtual void SendDone(uint64_t server_id, uint64_t ticket, int status) = 0;
    /** A message arrived; libraft has not seen it yet. */
    virtual void WillReceive(const raft_message& message) = 0;
    /** libraft handled a message or a tick (its state may have changed). */
    virtual void Handled() = 0;
};

class IoObserver {
public:
    /** Wraps `inner` (not owned). Its `data` field is taken over by the observer. */
    IoObserver(raft_io* inner, IoEvents* events);
    IoObserver(const IoObserver&) = delete;
    IoObserver& operator=(const IoObserver&) = delete;

    /** The raft_io to give raft_init. */
    raft_io* io() { return &outer_; }
    /** For a raft that raft_init already bound to the inner io (raft_fixture): use the observer instead. */
    void Install(::raft* r);

private:
    static IoObserver* Outer(raft_io* io) { return static_cast<IoObserver*>(io->impl); }
    static IoObserver* Inner(raft_io* io) { return static_cast<IoObserver*>(io->data); }
    void CopyError(int rv);

    static int Init(raft_io* io, raft_id id, const char* address);
    static void Close(raft_io* io, raft_io_close_cb cb);
    static int Load(raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot,
                    raft_index* start_index, raft_entry* entries[], size_t* n_entries);
    static int Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv);
    static int Bootstrap(raft_io* io, const raft_configuration* conf);
    static int Recover(raft_io* io, const raft_configuration* conf);
    static int SetTerm(raft_io* io, raft_term term);
    static int SetVote(raft_io* io, raft_id server_id);
    static int Send(raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb);
    static int Append(raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned n,
                      raft_io_append_cb cb);
    static int Truncate(raft_io* io, raft_index index);
    static int SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req, const raft_snapshot* snapshot,
                           raft_io_snapshot_put_cb cb);
    static int SnapshotGet(raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb);
    static raft_time Time(raft_io* io);
    static int Random(raft_io* io, int min, int max);
    static int AsyncWork(raft_io* io, raft_io_async_work* req, raft_io_async_work_cb cb);

    static void TickTrampoline(raft_io* inner);
    static void RecvTrampoline(raft_io* inner, raft_message* message);
    static void CloseTrampoline(raft_io* inner);
    static void SendTrampoline(raft_io_send* inner_req, int status);

    raft_io outer_{};
    raft_io* inner_;
    IoEvents* events_;
    raft_io_tick_cb tick_cb_ = nullptr;
    raft_io_recv_cb recv_cb_ = nullptr;
    raft_io_close_cb close_cb_ = nullptr;
};

}  // namespace jade::coord::raft
