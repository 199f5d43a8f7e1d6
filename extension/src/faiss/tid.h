// faiss/tid.h — row identity: FAISS int64 ids that encode a heap TID.
//
// Every id the engine stores or returns for a table row is (block << 16) | offset, the same
// encoding as index/pages.h TidToId, so it is always >= 0 and -1 keeps FAISS's meaning "no
// result". Pure functions; usable from both regimes.
#pragma once

#include <cstdint>

namespace jade::ext::engine {

inline constexpr int64_t kNoId = -1;

// Encodes a heap TID (block number, line pointer offset) as a non-negative int64 id.
constexpr int64_t EncodeTid(uint32_t block, uint16_t offset) {
    return (static_cast<int64_t>(block) << 16) | static_cast<int64_t>(offset);
}

// Returns the block number of an id made by EncodeTid.
constexpr uint32_t TidBlock(int64_t id) { return static_cast<uint32_t>(static_cast<uint64_t>(id) >> 16); }

// Returns the line pointer offset of an id made by EncodeTid.
constexpr uint16_t TidOffset(int64_t id) { return static_cast<uint16_t>(id & 0xFFFF); }

// Returns whether an id could have been made by EncodeTid (non-negative, offset >= 1).
constexpr bool IsTidId(int64_t id) { return id >= 0 && id < (int64_t{1} << 48) && TidOffset(id) != 0; }

}  // namespace jade::ext::engine
