// recovery.cpp — resolves in-doubt prepared transactions of this coordinator on every worker.
//
// For each node: list pg_prepared_xacts with our gid prefix; a gid whose txid has a commit
// record in the 2PC log is committed, one without (and not in flight in this process) is rolled
// back — no client was ever told that transaction committed. Runs at start and every 30 s.
#include <cstdio>

#include "server/server.h"

namespace jade::coord {
namespace {

/** Lanes get plain pooled connections (no session state). */
class PoolSource : public exec::ConnSource {
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

struct RecoveryPass {
    std::unique_ptr<PoolSource> source;
    std::unique_ptr<exec::TaskRun> list;
    std::unique_ptr<exec::TaskRun> resolve;
};

}  // namespace

// Lists prepared transactions on every node, then finishes them.
void Server::RecoverPrepared() {
    if (recovery_ || shutting_down_ || store_->catalog().nodes().empty()) return;
    auto pass = std::make_shared<RecoveryPass>();
    pass->source = std::make_unique<PoolSource>(*pool_);
    recovery_ = pass;
    std::vector<exec::Lane> lanes;
    std::vector<const Node*> nodes;
    std::string pattern = two_phase_->GidPrefix() + "%";
    for (const auto& [id, node] : store_->catalog().nodes()) {
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
        nodes.push_back(&node);
    }
    auto found = std::make_shared<std::vector<std::pair<uint32_t, std::string>>>();
    exec::TaskRun::Callbacks cb;
    cb.on_result = [found](size_t, int tag, backend::PgResult res) {
        if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return;
        for (int r = 0; r < PQntuples(res.get()); ++r)
            found->emplace_back(static_cast<uint32_t>(tag), PQgetvalue(res.get(), r, 0));
    };
    cb.on_done = [this, pass, found](const Error*) {
        std::map<uint32_t, exec::Lane> by_node;
        std::vector<uint64_t> committed;
        for (const auto& [node_id, gid] : *found) {
            uint64_t txid = 0;
            if (!two_phase_->ParseGid(gid, &txid) || two_phase_->InFlight(txid)) continue;
            const Node* node = store_->catalog().FindNode(node_id);
            if (node == nullptr) continue;
            bool commit = two_phase_->IsCommitted(txid);
            if (commit) committed.push_back(txid);
            exec::Lane& l = by_node[node_id];
            l.node_id = node->id;
            l.host = node->host;
            l.port = node->port;
            std::string sql = std::string(commit ? "COMMIT PREPARED '" : "ROLLBACK PREPARED '") + gid + "'";
            std::fprintf(stderr, "jade-coordinator: recovery: %s on node %u\n", sql.c_str(), node_id);
            exec::LaneOp op;
            op.send = [sql](PGconn* pg) { return PQsendQuery(pg, sql.c_str()) == 1; };
            l.ops.push_back(std::move(op));
        }
        if (by_node.empty()) {
            exec::DeferDelete(&loop_, [this] { recovery_.reset(); });
            return;
        }
        std::vector<exec::Lane> lanes;
        for (auto& [id, l] : by_node) lanes.push_back(std::move(l));
        exec::TaskRun::Callbacks cb2;
        auto failed = std::make_shared<bool>(false);
        cb2.on_result = [failed](size_t, int, backend::PgResult res) {
            if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR) *failed = true;
        };
        cb2.on_done = [this, committed, failed](const Error* err) {
            if (!*failed && err == nullptr) {
                for (uint64_t t : committed) two_phase_->Resolved(t);
            }
            exec::DeferDelete(&loop_, [this] { recovery_.reset(); });
        };
        pass->resolve = std::make_unique<exec::TaskRun>(&loop_, pass->source.get(), std::move(lanes), std::move(cb2));
        pass->resolve->Start();
    };
    pass->list = std::make_unique<exec::TaskRun>(&loop_, pass->source.get(), std::move(lanes), std::move(cb));
    pass->list->Start();
}

}  // namespace jade::coord
