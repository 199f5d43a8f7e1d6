// statement_cache.h — the statements one worker connection has prepared for the coordinator.
//
// Shard statements of extended-protocol clients repeat with the same text (only parameter
// values change), so the executor prepares each once per worker connection (Parse under a name
// of ours) and later only binds and executes it: the worker skips parsing and analysis, and its
// plan cache can skip planning (PostgreSQL's generic plans). This class only remembers which
// (statement text, parameter types) has which name on the connection.
//
// Bounded: at most kCapacity statements per connection between resets; beyond that statements run
// unnamed, as before. Stale after DDL: a prepared statement whose result type changed fails with
// "cached plan must not change result type", which an unnamed statement would not. So the cache
// carries the server's schema epoch (bumped around every DDL statement the coordinator runs); a
// connection whose cache is from an older epoch, or whose statements may be lost or stale
// (Forget), runs DEALLOCATE ALL before its next use outside an open worker transaction
// (TransactionCoordinator::SetupStatements) and starts empty. Pure bookkeeping, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace jade::coord::backend {

class StatementCache {
public:
    static constexpr size_t kCapacity = 256;

    /** The name `key` is prepared under on this connection, or nullptr. */
    const std::string* Find(const std::string& key) const {
        auto it = names_.find(key);
        return it == names_.end() ? nullptr : &it->second;
    }
    /** A fresh name for a statement about to be prepared; nullopt when the cache is full. */
    std::optional<std::string> NewName() {
        if (allocated_ >= kCapacity) return std::nullopt;
        return "jade_coord_" + std::to_string(++counter_);
    }
    /** Records that the worker prepared `key` as `name`. */
    void Add(const std::string& key, const std::string& name) {
        names_[key] = name;
        ++allocated_;
    }
    /**
     * The statements may be gone or stale (a client's DEALLOCATE or DISCARD ran on this
     * connection, or executing one failed): stop using them; the worker may still hold some, so
     * the next Reset point deallocates.
     */
    void Forget() {
        names_.clear();
        dirty_ = true;
    }
    /** True when the connection should run DEALLOCATE ALL and Reset before its next statement. */
    bool NeedsReset(uint64_t epoch) const { return dirty_ || epoch_ != epoch; }
    /** True when the worker may hold statements of ours (DEALLOCATE ALL is needed to drop them). */
    bool HoldsStatements() const { return allocated_ > 0; }
    /** The worker deallocated everything: empty, valid for schema epoch `epoch`. */
    void Reset(uint64_t epoch) {
        names_.clear();
        allocated_ = 0;
        dirty_ = false;
        epoch_ = epoch;
    }
    size_t size() const { return names_.size(); }

private:
    std::unordered_map<std::string, std::string> names_;
    size_t allocated_ = 0;  ///< statements prepared since the last Reset (some may be forgotten)
    bool dirty_ = false;
    uint64_t epoch_ = 0;
    uint64_t counter_ = 0;
};

}  // namespace jade::coord::backend
