// transaction_hooks.h — where replication, shard moves and Raft plug into the life of a client
// transaction. One object per server (ServerContext::transaction_hooks()); the default lets every
// write through and confirms every commit at once.
//
//   shard moves   BeforeWrite is asked before any statement writes shards (its `go` may wait,
//                 e.g. while a move's final catch-up blocks writes to a shard, or refuse), and
//                 TransactionEnded says when the writes announced for that transaction are over
//                 (committed or rolled back), so a move can wait for in-flight writers to drain.
//   replication   AfterCommit runs once the workers (primaries) committed, before the client is
//                 told: consistency waits (STRONG/QUORUM: replica LSNs) belong here. An error is
//                 sent to the client in place of the commit's CommandComplete; the transaction
//                 is committed on the primaries then, and the error must say so.
//   Raft          metadata changes are proposed through ServerContext::ProposeMetadata, and the
//                 two-phase commit decision is made durable in TwoPhaseLog::LogCommit
//                 (two_phase_commit.h "decision"): the two places a replicated log takes over.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "util/error.h"

namespace jade::coord::txn {

/** A statement is about to write these shards on behalf of client transaction `transaction`. */
struct WriteIntent {
    uint64_t transaction = 0;         ///< unique per client transaction in this process
    std::vector<uint64_t> shard_ids;  ///< shards the statement may write (empty: not shard-specific)
};

/** A client transaction committed on its worker nodes. */
struct CommittedTxn {
    uint64_t transaction = 0;
    std::vector<uint32_t> written_nodes;  ///< nodes whose worker transaction wrote
    uint64_t two_phase_txid = 0;          ///< the 2PC transaction id, 0 when one node committed alone
};

class TransactionHooks {
public:
    using Continue = std::function<void(const Error* error)>;
    virtual ~TransactionHooks() = default;

    virtual void BeforeWrite(const WriteIntent& intent, Continue go) {
        (void)intent;
        go(nullptr);
    }
    virtual void TransactionEnded(uint64_t transaction) { (void)transaction; }
    virtual void AfterCommit(const CommittedTxn& committed, Continue done) {
        (void)committed;
        done(nullptr);
    }
};

}  // namespace jade::coord::txn
