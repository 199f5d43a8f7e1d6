// replicated_metadata.h — the coordinator group's replicated state: the catalog and the
// two-phase-commit decisions, applied from the Raft log (raft::StateMachine).
//
// With --peers the metadata command log IS the Raft log. One log entry (MetadataEntry) holds
// metadata commands and/or 2PC decisions, applied atomically: every command is applied in
// order to a copy of the catalog and every decision is checked; if anything is refused, the
// entry changes nothing and the proposer gets the error. Refusals are deterministic (same
// catalog, same entry, same answer on every peer), so they are logged outcomes, not corruption.
//
// Two-phase-commit decisions (keyed by the gid's coordinator id and txid) follow "first decision
// wins": a Commit proposed after recovery logged an Abort for the same transaction is refused,
// and so is the Abort after a Commit. So the peer that prepared a transaction and the leader's
// recovery can never act on different outcomes, whoever is faster. Decisions are forgotten
// (Forget) once recovery has seen the transaction finished on every worker.
//
// Snapshot format (versioned): u8 kReplicatedSnapshotVersion, then EncodeCatalog() bytes as a
// u32-length-prefixed string, then u32 count of decisions, each: coordinator (string),
// txid (u64), decision (u8).
// Entry format: u8 kEntryFormatVersion, u32 count of commands (each an EncodeCommand string),
// u32 count of decisions (as above), u32 count of forgotten keys (coordinator, txid).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/catalog.h"
#include "metadata/commands.h"
#include "raft/state_machine.h"
#include "util/expected.h"

namespace jade::coord {

constexpr uint8_t kEntryFormatVersion = 1;
constexpr uint8_t kReplicatedSnapshotVersion = 1;

/** A prepared transaction's name parts: `jade_<coordinator>_<txid>_<participant>`. */
struct TxnKey {
    std::string coordinator;
    uint64_t txid = 0;
    bool operator<(const TxnKey& o) const { return coordinator != o.coordinator ? coordinator < o.coordinator : txid < o.txid; }
    bool operator==(const TxnKey& o) const { return coordinator == o.coordinator && txid == o.txid; }
};

enum class TxnDecision : uint8_t { kCommit = 1, kAbort = 2 };

struct MetadataEntry {
    std::vector<Command> commands;
    std::vector<std::pair<TxnKey, TxnDecision>> decisions;
    std::vector<TxnKey> forget;
};

std::string EncodeEntry(const MetadataEntry& entry);
/** XX001 on malformed bytes or an unknown version. */
Expected<MetadataEntry> DecodeEntry(std::string_view bytes);

class ReplicatedMetadata : public raft::StateMachine {
public:
    const Catalog& catalog() const { return catalog_; }
    std::optional<TxnDecision> Decision(const TxnKey& key) const;
    const std::map<TxnKey, TxnDecision>& decisions() const { return decisions_; }
    /** Log index of the last entry applied (0 after a restore until the next entry). */
    uint64_t last_index() const { return last_index_; }

    /** Told about every applied entry and its outcome (for logs); must not change the state. */
    void SetObserver(std::function<void(uint64_t index, const MetadataEntry&, const Status&)> fn) {
        observer_ = std::move(fn);
    }

    // raft::StateMachine
    Status Apply(uint64_t index, std::string_view entry) override;
    std::string Snapshot() const override;
    Status Restore(std::string_view snapshot) override;

private:
    Catalog catalog_;
    std::map<TxnKey, TxnDecision> decisions_;
    uint64_t last_index_ = 0;
    std::function<void(uint64_t, const MetadataEntry&, const Status&)> observer_;
};

/** Applies `entry` to (catalog, decisions) all-or-nothing; the pure core of Apply. */
Status ApplyEntry(const MetadataEntry& entry, Catalog* catalog, std::map<TxnKey, TxnDecision>* decisions);

}  // namespace jade::coord
