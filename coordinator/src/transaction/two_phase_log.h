// two_phase_log.h — the coordinator's durable 2PC decision log and transaction names.
//
// A write spanning several worker nodes commits in two phases: PREPARE TRANSACTION 'gid' on
// every participant, then — only after the COMMIT decision is fsync'd here — COMMIT PREPARED
// 'gid'. A participant that misses phase 2 (the coordinator died, the client went away, the
// worker was down) stays prepared ("in doubt") until recovery (two_phase_recovery.h) finishes it:
// COMMIT PREPARED while the log holds its commit record, ROLLBACK PREPARED when there is none
// (no record = the decision was never made, so no client was told "COMMIT").
//
// The commit record names every participant (node and gid) and is kept until each of them is
// known to have committed: a worker that is down during recovery is committed when it comes
// back, never rolled back.
//
// gid format: jade_<coordinator id>_<txid>_<node or shard id>; txids grow and start above the
// wall clock in microseconds, so they do not repeat across restarts even if the log was removed.
// File <data-dir>/2pc.log, text lines:
//   "C <txid> <node>:<gid> ..."  commit decided, with its participants (fsync'd before phase 2)
//   "P <txid> <gid>"             that participant committed (not fsync'd: recovery re-checks)
//   "D <txid>"                   every participant committed (not fsync'd)
// A "C <txid>" line without participants (written before participants were logged) is resolved
// the old way: once one recovery pass committed every gid of it that it found, with no node
// unreachable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "util/expected.h"

namespace jade::coord::txn {

/** A prepared transaction of the coordinator: where it is and its gid. */
struct PreparedParticipant {
    uint32_t node_id = 0;
    std::string gid;
    bool operator<(const PreparedParticipant& o) const {
        return node_id != o.node_id ? node_id < o.node_id : gid < o.gid;
    }
    bool operator==(const PreparedParticipant& o) const { return node_id == o.node_id && gid == o.gid; }
};

class TwoPhaseLog {
public:
    static Expected<std::unique_ptr<TwoPhaseLog>> Open(const std::string& dir, const std::string& coordinator_id);
    ~TwoPhaseLog();

    /** A new transaction id, registered as in flight until Finish(). */
    uint64_t Begin();
    /** Durably records the commit decision for txid and the participants that must commit. */
    Status LogCommit(uint64_t txid, const std::vector<PreparedParticipant>& participants);
    /**
     * txid is no longer in flight. `all_committed`: every participant confirmed COMMIT PREPARED,
     * so the record is done; otherwise a commit record stays for recovery (the abandon listener
     * is told when there is one).
     */
    void Finish(uint64_t txid, bool all_committed);
    /**
     * txid is no longer in flight and may have left prepared participants (its owner went away,
     * or a ROLLBACK PREPARED failed): recovery finishes them; the abandon listener is told.
     */
    void Abandon(uint64_t txid);
    /** Called when a transaction ends with work left for recovery (the server schedules a pass). */
    void SetAbandonListener(std::function<void()> fn) { on_abandon_ = std::move(fn); }

    std::string Gid(uint64_t txid, uint32_t participant) const;
    /** Prefix of this coordinator's gids ("jade_<id>_"). */
    std::string GidPrefix() const { return "jade_" + coordinator_id_ + "_"; }
    /** Parses a gid of this coordinator; false for anything else. */
    bool ParseGid(const std::string& gid, uint64_t* txid) const;
    bool IsCommitted(uint64_t txid) const { return committed_.count(txid) != 0; }
    bool InFlight(uint64_t txid) const { return in_flight_.count(txid) != 0; }

    /** A commit record with the participants not yet known to have committed. */
    struct PendingCommit {
        std::set<PreparedParticipant> participants;
        bool legacy = false;  ///< logged without participants
    };
    const std::map<uint64_t, PendingCommit>& pending_commits() const { return committed_; }
    /** Recovery: this participant of a committed transaction has committed. */
    void ParticipantDone(uint64_t txid, const PreparedParticipant& participant);
    /** Recovery: a legacy record (no participants) is resolved. */
    void Resolved(uint64_t txid);

private:
    TwoPhaseLog(std::string path, std::string coordinator_id)
        : path_(std::move(path)), coordinator_id_(std::move(coordinator_id)) {}
    Status Append(const std::string& line, bool sync);
    void Done(uint64_t txid);

    std::string path_;
    std::string coordinator_id_;
    int fd_ = -1;
    uint64_t next_txid_ = 1;
    std::map<uint64_t, PendingCommit> committed_;
    std::set<uint64_t> in_flight_;
    std::function<void()> on_abandon_;
};

}  // namespace jade::coord::txn
