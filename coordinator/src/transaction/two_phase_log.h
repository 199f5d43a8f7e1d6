// two_phase_log.h — the coordinator's durable 2PC decision log and transaction names.
//
// A write spanning several worker nodes commits in two phases: PREPARE TRANSACTION 'gid' on
// every node, then — only after the COMMIT decision is fsync'd here — COMMIT PREPARED 'gid'.
// If the coordinator dies in between, the prepared transactions stay on the workers ("in
// doubt"); at restart recovery lists pg_prepared_xacts on each worker and finishes every gid of
// this coordinator: COMMIT PREPARED when the log holds its commit record, ROLLBACK PREPARED
// otherwise (no record = the decision was never made, so no client was told "COMMIT").
//
// gid format: jade_<coordinator id>_<txid>_<node id>; txids grow and start above the wall clock
// in microseconds, so they do not repeat across restarts even if the log was removed.
// File <data-dir>/2pc.log, text lines: "C <txid>\n" commit decided (fsync'd before phase 2),
// "D <txid>\n" all participants finished (not fsync'd: losing it only repeats a no-op recovery).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "util/expected.h"

namespace jade::coord::txn {

class TwoPhaseLog {
public:
    static Expected<std::unique_ptr<TwoPhaseLog>> Open(const std::string& dir, const std::string& coordinator_id);
    ~TwoPhaseLog();

    /** A new transaction id, registered as in flight until Finish(). */
    uint64_t Begin();
    /** Durably records the commit decision for txid. */
    Status LogCommit(uint64_t txid);
    /** Records that txid is fully resolved and no longer in flight. */
    void Finish(uint64_t txid, bool committed);

    std::string Gid(uint64_t txid, uint32_t node_id) const;
    /** Prefix of this coordinator's gids ("jade_<id>_"). */
    std::string GidPrefix() const { return "jade_" + coordinator_id_ + "_"; }
    /** Parses a gid of this coordinator; false for anything else. */
    bool ParseGid(const std::string& gid, uint64_t* txid) const;
    bool IsCommitted(uint64_t txid) const { return committed_.count(txid) != 0; }
    bool InFlight(uint64_t txid) const { return in_flight_.count(txid) != 0; }
    /** Forgets a resolved commit record (recovery finished it). */
    void Resolved(uint64_t txid);

private:
    TwoPhaseLog(std::string path, std::string coordinator_id)
        : path_(std::move(path)), coordinator_id_(std::move(coordinator_id)) {}
    Status Append(const std::string& line, bool sync);

    std::string path_;
    std::string coordinator_id_;
    int fd_ = -1;
    uint64_t next_txid_ = 1;
    std::set<uint64_t> committed_;
    std::set<uint64_t> in_flight_;
};

}  // namespace jade::coord::txn
