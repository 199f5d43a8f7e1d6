// two_phase_commit.cpp — the two-phase commit protocol (see two_phase_commit.h).
#include "transaction/two_phase_commit.h"

#include "executor/result_relay.h"
#include "transaction/two_phase_log.h"
#include "wire/io_sqlstate.h"

namespace jade::coord::txn {
namespace {

// A generated statement (gids are ours: digits and underscores), sent as one simple query.
exec::LaneOp SqlOp(std::string sql, int tag) {
    exec::LaneOp op;
    op.tag = tag;
    op.send = [sql = std::move(sql)](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
    return op;
}

exec::Lane LaneTo(const NodeRef& node) {
    exec::Lane l;
    l.node_id = node.id;
    l.host = node.host;
    l.port = node.port;
    return l;
}

}  // namespace

TwoPhaseCommit::TwoPhaseCommit(uv_loop_t* loop, exec::ConnSource* source, TwoPhaseLog& log)
    : loop_(loop), source_(source), log_(log), txid_(log.Begin()) {}

TwoPhaseCommit::~TwoPhaseCommit() {
    if (!finished_) Abandon();
}

std::string TwoPhaseCommit::Gid(uint64_t participant) const {
    return log_.Gid(txid_, static_cast<uint32_t>(participant));
}

// Phase 1: PREPARE TRANSACTION on every participant's open transaction.
void TwoPhaseCommit::Run(std::vector<Participant> participants, std::function<bool(uint32_t)> still_open, DoneFn done) {
    participants_ = std::move(participants);
    prepared_.assign(participants_.size(), false);
    done_ = std::move(done);
    std::vector<exec::Lane> lanes;
    for (size_t i = 0; i < participants_.size(); ++i) {
        exec::Lane l = LaneTo(participants_[i].node);
        l.ops.push_back(SqlOp("PREPARE TRANSACTION '" + participants_[i].gid + "'", static_cast<int>(i)));
        lanes.push_back(std::move(l));
    }
    exec::TaskRun::Callbacks cb;
    cb.on_result = [this](size_t, int tag, backend::PgResult res) {
        ExecStatusType st = PQresultStatus(res.get());
        if (st == PGRES_FATAL_ERROR) {
            if (!outcome_.error) outcome_.error = exec::ErrorOf(res.get());
        } else if (st == PGRES_COMMAND_OK && std::string(PQcmdStatus(res.get())) == "PREPARE TRANSACTION" && tag >= 0 &&
                   static_cast<size_t>(tag) < prepared_.size()) {
            // An aborted worker transaction answers PREPARE with the tag ROLLBACK: not prepared.
            prepared_[static_cast<size_t>(tag)] = true;
        }
    };
    cb.on_done = [this, still_open](const Error* err) {
        if (err != nullptr && !outcome_.error) outcome_.error = *err;
        bool all = true;
        for (bool p : prepared_) all = all && p;
        if (all && outcome_.error) all = false;
        if (!all && !outcome_.error) {
            outcome_.error =
                MakeError(iostate::kConnectionFailure, "could not prepare the transaction on every worker");
        }
        Conclude(all, still_open);
    };
    run_ = std::make_unique<exec::TaskRun>(loop_, source_, std::move(lanes), std::move(cb));
    run_->Start();
}

// The participants prepared (or failed) on their own: decide and finish.
void TwoPhaseCommit::Decide(std::vector<Participant> participants, std::vector<bool> prepared,
                            std::optional<Error> failure, DoneFn done) {
    participants_ = std::move(participants);
    prepared_ = std::move(prepared);
    prepared_.resize(participants_.size(), false);
    done_ = std::move(done);
    outcome_.error = std::move(failure);
    bool all = !outcome_.error;
    for (bool p : prepared_) all = all && p;
    Conclude(all, nullptr);
}

// Asks before_commit (when every participant prepared), then logs the decision and finishes.
void TwoPhaseCommit::Conclude(bool commit, std::function<bool(uint32_t)> still_open) {
    if (!commit || !before_commit_) {
        Phase2(commit, std::move(still_open));
        return;
    }
    auto alive = alive_;
    before_commit_([this, alive, still_open](Status s) {
        if (!*alive) return;
        if (!s) outcome_.error = s.error();
        Phase2(s.ok(), still_open);
    });
}

// The durable commit record (when committing), then COMMIT/ROLLBACK PREPARED.
void TwoPhaseCommit::Phase2(bool commit, std::function<bool(uint32_t)> still_open) {
    if (commit) {
        std::vector<PreparedParticipant> prepared;
        for (const Participant& p : participants_) prepared.push_back({p.node.id, p.gid});
        Status s = log_.LogCommit(txid_, prepared);
        if (!s) {
            outcome_.error = s.error();
            commit = false;
        }
    }
    outcome_.committed = commit;
    std::vector<exec::Lane> lanes;
    for (size_t i = 0; i < participants_.size(); ++i) {
        const Participant& p = participants_[i];
        exec::Lane l = LaneTo(p.node);
        if (commit) {
            l.ops.push_back(SqlOp("COMMIT PREPARED '" + p.gid + "'", 0));
        } else if (prepared_[i]) {
            l.ops.push_back(SqlOp("ROLLBACK PREPARED '" + p.gid + "'", 0));
        } else if (still_open && still_open(p.node.id)) {
            l.ops.push_back(SqlOp("ROLLBACK", 0));
        } else {
            continue;
        }
        lanes.push_back(std::move(l));
    }
    auto phase2_failed = std::make_shared<bool>(false);
    exec::TaskRun::Callbacks cb;
    cb.on_result = [phase2_failed](size_t, int, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) *phase2_failed = true;
    };
    cb.on_done = [this, commit, phase2_failed](const Error* err) {
        // A committed participant that did not confirm is finished by recovery from the record.
        bool incomplete = *phase2_failed || err != nullptr;
        outcome_.unresolved = commit && incomplete;
        if (!commit && incomplete) {
            log_.Abandon(txid_);  // a participant may still be prepared: recovery rolls it back
        } else {
            log_.Finish(txid_, commit && !incomplete);
        }
        finished_ = true;
        DoneFn done = std::move(done_);
        done_ = nullptr;
        Outcome outcome = outcome_;
        if (done) done(outcome);
    };
    if (run_) {
        // Called from the phase-1 run's callback: free it once that has returned.
        exec::TaskRun* old = run_.release();
        exec::DeferDelete(loop_, [old] { delete old; });
    }
    run_ = std::make_unique<exec::TaskRun>(loop_, source_, std::move(lanes), std::move(cb));
    run_->Start();
}

void TwoPhaseCommit::Abandon() {
    if (finished_) return;
    finished_ = true;
    *alive_ = false;
    done_ = nullptr;
    if (run_ && !run_->done()) run_->Abort();
    // No longer in flight: recovery commits it if the record was logged, else rolls it back.
    log_.Abandon(txid_);
}

}  // namespace jade::coord::txn
