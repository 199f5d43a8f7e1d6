// replicated_metadata.cpp — catalog + 2PC decisions as a Raft state machine (see the header).
#include "metadata/replicated_metadata.h"

#include "metadata/byte_codec.h"
#include "metadata/state_machine.h"

namespace jade::coord {
namespace {

constexpr size_t kMinKeyBytes = 4 + 8;  // empty coordinator string + txid

void PutKey(ByteWriter& w, const TxnKey& k) {
    w.Str(k.coordinator);
    w.U64(k.txid);
}

TxnKey GetKey(ByteReader& r) {
    TxnKey k;
    k.coordinator = r.Str();
    k.txid = r.U64();
    return k;
}

// Reads a u32 count and checks that at least count * min_bytes remain (bounds hostile input).
uint32_t GetCount(ByteReader& r, size_t min_bytes) {
    uint32_t n = r.U32();
    if (!r.failed() && n > r.remaining() / min_bytes) r.Fail();
    return r.failed() ? 0 : n;
}

Error Corrupt(const std::string& what) { return MakeError(sqlstate::kDataCorrupted, what); }

const char* DecisionName(TxnDecision d) { return d == TxnDecision::kCommit ? "commit" : "abort"; }

}  // namespace

std::string EncodeEntry(const MetadataEntry& e) {
    ByteWriter w;
    w.U8(kEntryFormatVersion);
    w.U32(static_cast<uint32_t>(e.commands.size()));
    for (const Command& c : e.commands) w.Str(EncodeCommand(c));
    w.U32(static_cast<uint32_t>(e.decisions.size()));
    for (const auto& [k, d] : e.decisions) {
        PutKey(w, k);
        w.U8(static_cast<uint8_t>(d));
    }
    w.U32(static_cast<uint32_t>(e.forget.size()));
    for (const TxnKey& k : e.forget) PutKey(w, k);
    return std::move(w.bytes());
}

Expected<MetadataEntry> DecodeEntry(std::string_view bytes) {
    ByteReader r(bytes);
    uint8_t version = r.U8();
    if (r.failed() || version != kEntryFormatVersion) {
        return Corrupt("metadata log entry has unknown format version " + std::to_string(version));
    }
    MetadataEntry e;
    uint32_t n = GetCount(r, 4);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        std::string raw = r.Str();
        if (r.failed()) break;
        auto cmd = DecodeCommand(raw);
        if (!cmd) return std::move(cmd).error();
        e.commands.push_back(std::move(cmd).value());
    }
    n = GetCount(r, kMinKeyBytes + 1);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        TxnKey k = GetKey(r);
        uint8_t d = r.U8();
        if (d != static_cast<uint8_t>(TxnDecision::kCommit) && d != static_cast<uint8_t>(TxnDecision::kAbort)) r.Fail();
        e.decisions.emplace_back(std::move(k), static_cast<TxnDecision>(d));
    }
    n = GetCount(r, kMinKeyBytes);
    for (uint32_t i = 0; i < n && !r.failed(); ++i) e.forget.push_back(GetKey(r));
    if (r.failed() || !r.at_end()) return Corrupt("malformed metadata log entry");
    return e;
}

// Commands in order on a copy of the catalog, then decisions (first decision wins), then
// forgets; the originals change only when everything was accepted.
Status ApplyEntry(const MetadataEntry& entry, Catalog* catalog, std::map<TxnKey, TxnDecision>* decisions) {
    Catalog next = *catalog;
    for (const Command& c : entry.commands) JADE_TRY_STATUS(ApplyCommand(next, c));
    for (const auto& [k, d] : entry.decisions) {
        auto it = decisions->find(k);
        if (it != decisions->end() && it->second != d) {
            return MakeError(d == TxnDecision::kCommit ? "40000" : "55000",
                             std::string("transaction ") + std::to_string(k.txid) + " of coordinator " + k.coordinator +
                                 " was already decided: " + DecisionName(it->second),
                             d == TxnDecision::kCommit
                                 ? "Recovery rolled it back before its commit decision reached the log."
                                 : "");
        }
    }
    if (!entry.commands.empty()) *catalog = std::move(next);
    for (const auto& [k, d] : entry.decisions) (*decisions)[k] = d;
    for (const TxnKey& k : entry.forget) decisions->erase(k);
    return {};
}

std::optional<TxnDecision> ReplicatedMetadata::Decision(const TxnKey& key) const {
    auto it = decisions_.find(key);
    if (it == decisions_.end()) return std::nullopt;
    return it->second;
}

Status ReplicatedMetadata::Apply(uint64_t index, std::string_view bytes) {
    last_index_ = index;
    auto entry = DecodeEntry(bytes);
    if (!entry) {
        if (observer_) observer_(index, MetadataEntry{}, Status(entry.error()));
        return std::move(entry).error();
    }
    Status st = ApplyEntry(*entry, &catalog_, &decisions_);
    if (observer_) observer_(index, *entry, st);
    return st;
}

std::string ReplicatedMetadata::Snapshot() const {
    ByteWriter w;
    w.U8(kReplicatedSnapshotVersion);
    w.Str(EncodeCatalog(catalog_));
    w.U32(static_cast<uint32_t>(decisions_.size()));
    for (const auto& [k, d] : decisions_) {
        PutKey(w, k);
        w.U8(static_cast<uint8_t>(d));
    }
    return std::move(w.bytes());
}

Status ReplicatedMetadata::Restore(std::string_view bytes) {
    ByteReader r(bytes);
    uint8_t version = r.U8();
    if (r.failed() || version != kReplicatedSnapshotVersion) {
        return Corrupt("metadata snapshot has unknown format version " + std::to_string(version));
    }
    std::string cat_bytes = r.Str();
    uint32_t n = GetCount(r, kMinKeyBytes + 1);
    std::map<TxnKey, TxnDecision> decisions;
    for (uint32_t i = 0; i < n && !r.failed(); ++i) {
        TxnKey k = GetKey(r);
        uint8_t d = r.U8();
        if (d != static_cast<uint8_t>(TxnDecision::kCommit) && d != static_cast<uint8_t>(TxnDecision::kAbort)) r.Fail();
        decisions[k] = static_cast<TxnDecision>(d);
    }
    if (r.failed() || !r.at_end()) return Corrupt("malformed metadata snapshot");
    auto cat = DecodeCatalog(cat_bytes);
    if (!cat) return std::move(cat).error();
    catalog_ = std::move(cat).value();
    decisions_ = std::move(decisions);
    last_index_ = 0;
    return {};
}

}  // namespace jade::coord
