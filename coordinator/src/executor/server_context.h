// server_context.h — what a client session (frontend, transaction coordinator, executor) needs
// from the daemon. Implemented by server/server.h; tests may implement it with real parts.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "metadata/commands.h"
#include "metadata/store.h"
#include "util/expected.h"

namespace jade::coord::backend {
class WorkerPool;
}
namespace jade::coord::txn {
class TwoPhaseLog;
class TransactionHooks;
}  // namespace jade::coord::txn

namespace jade::coord::frontend {
class ClientSession;
}
namespace jade::coord::net {
class TlsContext;
}

namespace jade::coord::exec {

class ServerContext {
public:
    virtual ~ServerContext() = default;
    virtual uv_loop_t* loop() = 0;
    virtual backend::WorkerPool& pool() = 0;
    virtual MetadataStore& store() = 0;
    virtual const Config& config() = 0;
    virtual txn::TwoPhaseLog& two_phase() = 0;
    /** Changes whenever DDL runs through the coordinator (backend/statement_cache.h). */
    virtual uint64_t schema_epoch() const = 0;
    virtual void BumpSchemaEpoch() = 0;
    virtual void SessionClosed(frontend::ClientSession* session) = 0;
    /** Routes a CancelRequest to the session with this BackendKeyData. */
    virtual void CancelSession(int32_t pid, int32_t key) = 0;
    /** Client TLS (ssl = on), or null. */
    virtual const net::TlsContext* tls_context() const { return nullptr; }
    /** The coordinator's secret (auth/server_secret.h): keys SCRAM mock salts. */
    virtual const std::string& server_secret() const;

    /**
     * Makes metadata commands take effect, in order; `done` gets the first failure (the rest are
     * not applied). The default appends them to store() (fsync'd) and calls `done` at once; with
     * Raft this is a proposal to the group, answered when committed. The seam for Raft.
     */
    virtual void ProposeMetadata(std::vector<Command> commands, std::function<void(Status)> done);
    /** Replication, shard moves: see transaction/transaction_hooks.h. */
    virtual txn::TransactionHooks& transaction_hooks();
};

}  // namespace jade::coord::exec
