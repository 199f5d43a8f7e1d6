// two_phase_recovery.cpp — in-doubt prepared transactions (see two_phase_recovery.h).
#include "transaction/two_phase_recovery.h"

#include <cstdio>

#include "backend/pool.h"
#include "executor/task_run.h"

namespace jade::coord::txn {

RecoveryPlan PlanRecovery(const TwoPhaseLog& log,
                          const std::map<uint32_t, std::optional<std::set<std::string>>>& listed,
                          const std::set<uint32_t>& nodes) {
    RecoveryPlan plan;
    for (const auto& [node_id, gids] : listed) {
        if (!gids) continue;
        for (const std::string& gid : *gids) {
            uint64_t txid = 0;
            if (!log.ParseGid(gid, &txid) || log.InFlight(txid)) continue;
            plan.actions.push_back({txid, {node_id, gid}, log.IsCommitted(txid)});
        }
    }
    bool all_listed = true;
    for (const auto& [node_id, gids] : listed) all_listed = all_listed && gids.has_value();
    for (const auto& [txid, record] : log.pending_commits()) {
        if (log.InFlight(txid)) continue;
        if (record.legacy) {
            if (all_listed) plan.legacy.push_back(txid);
            continue;
        }
        for (const PreparedParticipant& p : record.participants) {
            if (nodes.count(p.node_id) == 0) {
                plan.confirmed.emplace_back(txid, p);  // the node was removed with its data
                continue;
            }
            auto it = listed.find(p.node_id);
            if (it == listed.end() || !it->second) continue;  // not listed this pass: wait for it
            if (it->second->count(p.gid) == 0) plan.confirmed.emplace_back(txid, p);
        }
    }
    return plan;
}

/** Lanes get plain pooled connections (no session state). */
class TwoPhaseRecovery::PoolSource : public exec::ConnSource {
public:
    explicit PoolSource(backend::WorkerPool& pool) : pool_(pool) {}
    void GetConn(uint32_t node_id, const std::string& host, uint16_t port, GotFn cb) override {
        pool_.Acquire(node_id, host, port, std::move(cb));
    }
    std::vector<std::string> SetupStatements(backend::WorkerConn* conn) override {
        if (conn->applied_settings.empty()) return {};
        return {"RESET ALL"};
    }
    void SetupDone(backend::WorkerConn* conn) override { conn->applied_settings.clear(); }
    void PutConn(backend::WorkerConn* conn, bool broken) override {
        if (broken) {
            pool_.Discard(conn);
        } else {
            pool_.Release(conn);
        }
    }

private:
    backend::WorkerPool& pool_;
};

TwoPhaseRecovery::TwoPhaseRecovery(uv_loop_t* loop, backend::WorkerPool& pool, TwoPhaseLog& log)
    : loop_(loop), log_(log), source_(std::make_unique<PoolSource>(pool)) {}

TwoPhaseRecovery::~TwoPhaseRecovery() = default;

// Lists prepared transactions on every node, then decides and acts.
void TwoPhaseRecovery::Run(const Catalog& catalog, std::function<void()> done) {
    done_ = std::move(done);
    std::vector<exec::Lane> lanes;
    std::string pattern = log_.GidPrefix() + "%";
    for (const auto& [id, node] : catalog.nodes()) {
        nodes_[id] = NodeRef{node.id, node.host, node.port};
        exec::Lane l;
        l.node_id = node.id;
        l.host = node.host;
        l.port = node.port;
        exec::LaneOp op;
        op.tag = static_cast<int>(node.id);
        op.send = [pattern](PGconn* pg) {
            const char* vals[] = {pattern.c_str()};
            return PQsendQueryParams(pg, "SELECT gid FROM pg_catalog.pg_prepared_xacts WHERE gid LIKE $1", 1, nullptr,
                                     vals, nullptr, nullptr, 0) == 1;
        };
        l.ops.push_back(std::move(op));
        lanes.push_back(std::move(l));
    }
    auto listed = std::make_shared<std::map<uint32_t, std::optional<std::set<std::string>>>>();
    for (const auto& [id, node] : nodes_) (*listed)[id] = std::nullopt;
    exec::TaskRun::Callbacks cb;
    cb.on_result = [listed](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return;
        std::set<std::string> gids;
        for (int r = 0; r < PQntuples(res.get()); ++r) gids.insert(PQgetvalue(res.get(), r, 0));
        (*listed)[static_cast<uint32_t>(tag)] = std::move(gids);
    };
    cb.on_done = [this, listed](const Error*) {
        std::set<uint32_t> ids;
        for (const auto& [id, node] : nodes_) ids.insert(id);
        Act(PlanRecovery(log_, *listed, ids));
    };
    list_ = std::make_unique<exec::TaskRun>(loop_, source_.get(), std::move(lanes), std::move(cb));
    list_->Start();
}

// Runs the pass's actions (one lane per node) and records what is known committed.
void TwoPhaseRecovery::Act(RecoveryPlan plan) {
    for (const auto& [txid, p] : plan.confirmed) log_.ParticipantDone(txid, p);
    std::map<uint32_t, exec::Lane> by_node;
    for (size_t i = 0; i < plan.actions.size(); ++i) {
        const RecoveryAction& a = plan.actions[i];
        auto node = nodes_.find(a.participant.node_id);
        if (node == nodes_.end()) continue;
        exec::Lane& l = by_node[a.participant.node_id];
        l.node_id = node->second.id;
        l.host = node->second.host;
        l.port = node->second.port;
        std::string sql = std::string(a.commit ? "COMMIT PREPARED '" : "ROLLBACK PREPARED '") + a.participant.gid + "'";
        std::fprintf(stderr, "jade-coordinator: recovery: %s on node %u\n", sql.c_str(), a.participant.node_id);
        exec::LaneOp op;
        op.tag = static_cast<int>(i);
        op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
        l.ops.push_back(std::move(op));
    }
    if (by_node.empty()) {
        for (uint64_t txid : plan.legacy) log_.Resolved(txid);
        if (done_) done_();
        return;
    }
    std::vector<exec::Lane> lanes;
    for (auto& [id, l] : by_node) lanes.push_back(std::move(l));
    auto ok = std::make_shared<std::vector<bool>>(plan.actions.size(), false);
    auto shared = std::make_shared<RecoveryPlan>(std::move(plan));
    exec::TaskRun::Callbacks cb;
    cb.on_result = [ok](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) == PGRES_COMMAND_OK && tag >= 0 && static_cast<size_t>(tag) < ok->size()) {
            (*ok)[static_cast<size_t>(tag)] = true;
        }
    };
    cb.on_done = [this, ok, shared](const Error*) {
        std::set<uint64_t> failed_commits;
        for (size_t i = 0; i < shared->actions.size(); ++i) {
            const RecoveryAction& a = shared->actions[i];
            if (!a.commit) continue;
            if ((*ok)[i]) {
                log_.ParticipantDone(a.txid, a.participant);
            } else {
                failed_commits.insert(a.txid);
            }
        }
        for (uint64_t txid : shared->legacy) {
            if (failed_commits.count(txid) == 0) log_.Resolved(txid);
        }
        if (done_) done_();
    };
    resolve_ = std::make_unique<exec::TaskRun>(loop_, source_.get(), std::move(lanes), std::move(cb));
    resolve_->Start();
}

}  // namespace jade::coord::txn
