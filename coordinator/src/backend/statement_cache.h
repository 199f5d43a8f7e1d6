// statement_cache.h — the statements one worker connection has prepared for the coordinator.
//
// Shard statements of extended-protocol clients repeat with the same text (only parameter
// values change), so the executor prepares each once per worker connection (Parse under a name
// of ours) and later only binds and executes it: the worker skips parsing and analysis, and its
// plan cache can skip planning (PostgreSQL's generic plans). This class only remembers which
// (statement text, parameter types) has which name on the connection.
//
// Bounded: at most kCapacity statements per connection; beyond that statements run unnamed, as
// before. Stale after DDL: a prepared statement whose result type changed fails with "cached
// plan must not change result type", which an unnamed statement would not. So the cache carries
// the server's schema epoch (bumped around every DDL statement the coordinator runs); a
// connection whose cache is from an older epoch runs DEALLOCATE ALL first (ClientSession::
// SetupSql) and starts empty. Pure bookkeeping, no I/O.
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
        if (names_.size() >= kCapacity) return std::nullopt;
        return "jade_coord_" + std::to_string(++counter_);
    }
    /** Records that the worker prepared `key` as `name`. */
    void Add(const std::string& key, const std::string& name) { names_[key] = name; }
    /** True when the statements were prepared before DDL of schema epoch `epoch`. */
    bool Stale(uint64_t epoch) const { return epoch_ != epoch; }
    /**
     * The worker may have lost the statements (a client's DEALLOCATE or DISCARD ran on this
     * connection, or a statement was missing): stale for every epoch until Reset.
     */
    void Invalidate() { epoch_ = kInvalid; }
    /** Forgets every statement (the worker deallocated them), now valid for `epoch`. */
    void Reset(uint64_t epoch) {
        names_.clear();
        epoch_ = epoch;
    }
    bool empty() const { return names_.empty(); }
    size_t size() const { return names_.size(); }

private:
    static constexpr uint64_t kInvalid = ~uint64_t{0};
    std::unordered_map<std::string, std::string> names_;
    uint64_t epoch_ = 0;
    uint64_t counter_ = 0;
};

}  // namespace jade::coord::backend
