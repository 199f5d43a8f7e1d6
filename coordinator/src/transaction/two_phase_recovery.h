// two_phase_recovery.h — finishes this coordinator's in-doubt prepared transactions on the workers.
//
// A pass lists pg_prepared_xacts with the coordinator's gid prefix on every node, then decides
// (PlanRecovery, pure):
//   * a gid whose transaction is still running in this process (in flight) is left alone;
//   * a gid whose transaction has a commit record is committed (COMMIT PREPARED), one without a
//     record is rolled back (ROLLBACK PREPARED): no client was told it committed;
//   * a participant of a commit record that a reachable node no longer lists has committed (it
//     was prepared before the record was written, and nothing rolls back a recorded commit);
//     one on a node that could not be listed stays in the record until that node is back;
//     one on a node no longer in the catalog is dropped from the record (its data went with it).
// The record is dropped when its last participant is known committed (TwoPhaseLog).
// The server runs a pass shortly after start, every 30 s, and at 1, 4 and 10 s after a
// transaction ended with work left for recovery (TwoPhaseLog::SetAbandonListener).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "metadata/catalog.h"
#include "planner/plan.h"
#include "transaction/two_phase_log.h"

namespace jade::coord::backend {
class WorkerPool;
}
namespace jade::coord::exec {
class TaskRun;
}

namespace jade::coord::txn {

/** One COMMIT PREPARED or ROLLBACK PREPARED to run. */
struct RecoveryAction {
    uint64_t txid = 0;
    PreparedParticipant participant;
    bool commit = false;
    bool operator==(const RecoveryAction& o) const {
        return txid == o.txid && participant == o.participant && commit == o.commit;
    }
};

/** What one recovery pass does. */
struct RecoveryPlan {
    std::vector<RecoveryAction> actions;
    /** Participants of commit records known to have committed (or whose node is gone). */
    std::vector<std::pair<uint64_t, PreparedParticipant>> confirmed;
    /** Records without participants that are resolved once all their commit actions succeed. */
    std::vector<uint64_t> legacy;
};

/**
 * Decides a pass. `listed`: the gids each node listed, nullopt for a node that could not be
 * listed; `nodes`: the node ids in the catalog.
 */
RecoveryPlan PlanRecovery(const TwoPhaseLog& log,
                          const std::map<uint32_t, std::optional<std::set<std::string>>>& listed,
                          const std::set<uint32_t>& nodes);

/** One pass over the workers (I/O): lists, decides, acts, updates the log. */
class TwoPhaseRecovery {
public:
    TwoPhaseRecovery(uv_loop_t* loop, backend::WorkerPool& pool, TwoPhaseLog& log);
    ~TwoPhaseRecovery();
    /** Runs the pass on `catalog`'s nodes; `done` when finished (also on errors: the next pass retries). */
    void Run(const Catalog& catalog, std::function<void()> done);

private:
    class PoolSource;
    void Act(RecoveryPlan plan);

    uv_loop_t* loop_;
    TwoPhaseLog& log_;
    std::unique_ptr<PoolSource> source_;
    std::map<uint32_t, NodeRef> nodes_;
    std::unique_ptr<exec::TaskRun> list_;
    std::unique_ptr<exec::TaskRun> resolve_;
    std::function<void()> done_;
};

}  // namespace jade::coord::txn
