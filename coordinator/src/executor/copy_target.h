// copy_target.h — what the client session's COPY FROM STDIN feeds: the rows of one COPY into a
// distributed table, split by shard.
//
// Two implementations: ShardCopy (outside a transaction block: one connection and transaction per
// shard, all COPYs streaming in parallel, committed together with 2PC) and TxnCopy (inside a
// block: the session's own worker transactions, one connection per node, shard batches sent one
// COPY command at a time, committed with the block). The session drives either the same way:
// Start, then Feed for every CopyData while !paused(), then Finish (CopyDone) or Abort (CopyFail).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "util/expected.h"
#include "wire/messages/error_response.h"

namespace jade::coord::exec {

class CopyTarget {
public:
    struct Callbacks {
        std::function<void()> on_ready;   ///< the client may send data now (answer CopyInResponse)
        std::function<void()> on_resume;  ///< unsent data drained: feed again
        /** Finished: rows copied, or the error (worker fields kept). */
        std::function<void(bool ok, uint64_t rows, const wire::ErrorFields& error, bool unresolved)> on_done;
        /**
         * ShardCopy: every participant prepared; answer through the callback (it may be later);
         * an error rolls everything back (TwoPhaseCommit::SetBeforeCommit).
         */
        std::function<void(std::function<void(Status)> answer)> before_commit;
    };

    virtual ~CopyTarget() = default;
    virtual void Start() = 0;
    /** Feeds input bytes (any chunking). Errors end the COPY (reported through on_done). */
    virtual void Feed(std::string_view data) = 0;
    /** End of input (CopyDone). */
    virtual void Finish() = 0;
    /** The client sent CopyFail, or the source failed: the COPY fails with `error`. */
    virtual void Abort(const wire::ErrorFields& error) = 0;
    /**
     * The owner is going away: drop every connection now (no more callbacks) and release the
     * callbacks later (they may own this object; freeing them here would free `this`).
     */
    virtual void Abandon() = 0;
    /** CancelRequest: cancels the running worker COPYs (their error ends this COPY). */
    virtual void Cancel() = 0;
    /** True while the feeder must stop reading its input (bounded memory). */
    virtual bool paused() const = 0;
};

}  // namespace jade::coord::exec
