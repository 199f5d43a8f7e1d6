// index/page_format.h — the on-disk format of jadevector indexes (faiss, hnsw, ivfflat AMs).
//
// Every page is a standard PostgreSQL page (PageInit with a JadePageOpaque special space), so
// GenericXLog can log byte deltas and skip the hole between pd_lower and pd_upper. The layout is
// documented in index/README.md; bump kJadeFormatVersion whenever it changes — an index written
// with another version is rejected with a clear error, never misread.
//
//   block 0                   metapage (JadeMetaPageData)
//   blocks 1..dir_blocks      list directory: JadeListDirEntry[nlist] (head/tail of each list)
//   anything after            list pages, blob pages (serialized FAISS codec / HNSW graph,
//                             vectors larger than a page) and HNSW id-map pages, in any order
//
// A "list" is an appendable chain of list pages holding (int64 id, code) entries: the IVF
// inverted lists, the single list of the Flat family, the insert delta of the HNSW family.
#pragma once

#include "index/kinds.h"
#include "pg/pg_headers.h"

extern "C" {
#include "storage/block.h"
#include "storage/bufpage.h"
}

namespace jade::ext::index {

inline constexpr uint32 kJadeMagic = 0x4A414445;  // "JADE"
inline constexpr uint32 kJadeFormatVersion = 1;
inline constexpr uint16 kJadePageId = 0xFA15;  // lets pg_filedump-style tools recognise our pages

inline constexpr BlockNumber kMetaBlock = 0;
inline constexpr BlockNumber kFirstDirBlock = 1;

// Page types, stored in JadePageOpaque.page_type.
enum JadePageType : uint16 {
    kPageMeta = 1,
    kPageDir = 2,
    kPageList = 3,
    kPageBlob = 4,
    kPageIdMap = 5,
};

// Special space of every page.
struct JadePageOpaqueData {
    BlockNumber next;  // next page of the same list / blob / id map chain, or InvalidBlockNumber
    uint16 page_type;  // JadePageType
    uint16 page_id;    // kJadePageId
};
using JadePageOpaque = JadePageOpaqueData*;

inline constexpr int kFactoryMaxLen = 128;

// Block 0. Read under a share lock and copied; written by build, and by inserts/vacuum only for
// the fields they own (see README.md "Metapage").
struct JadeMetaPageData {
    uint32 magic;
    uint32 format_version;
    uint32 am_kind;         // JadeAmKind
    uint32 family;          // JadeFamily
    uint32 metric;          // JadeMetric
    uint32 dims;            // vector dimensions
    uint32 code_size;       // bytes per code in list entries
    uint32 lossy;           // 1 when codes give approximate distances (SQ/PQ): re-rank from the heap
    uint64 build_id;        // random per build: part of every per-backend cache key
    uint64 cache_version;   // bumped whenever a cached structure (codec blob, graph blob) changes
    uint64 change_count;    // bumped by every modification (insert that extends a list, vacuum)
    uint32 nlist;           // number of lists in the directory (Flat: 1, HNSW: 1 = the delta)
    uint32 dir_blocks;      // directory blocks start at kFirstDirBlock
    BlockNumber blob_head;  // serialized FAISS structure (IVF codec or HNSW index), or Invalid
    uint32 auto_nprobe;     // IVF: lists to probe for ~0.95 recall@10, measured at build (0 = unknown)
    uint64 blob_bytes;
    uint64 graph_ntotal;    // HNSW: number of vectors in the graph (ids 0..graph_ntotal-1)
    BlockNumber idmap_head; // HNSW: first id-map block; id-map blocks are contiguous
    uint32 idmap_blocks;
    int32 hnsw_m;           // HNSW parameters (informational, and for a later merge)
    int32 hnsw_ef_construction;
    int32 auto_ef;          // HNSW: efSearch for ~0.95 recall@10, measured at build (0 = unknown)
    float4 auto_rerank;     // IVF SQ/PQ: share of the first probe's candidates to re-rank exactly for
                            // ~0.95 recall@10, measured at build (0 = unknown: rerank_factor 4)
    float8 build_seconds;   // informational
    char factory[kFactoryMaxLen];  // normalized factory string, NUL-terminated
};
using JadeMetaPage = JadeMetaPageData*;

// One list-directory slot.
struct JadeListDirEntry {
    BlockNumber head;
    BlockNumber tail;  // a hint: inserters follow `next` links from here to the true tail
};

// Header at the start of a list page's contents; followed by int64 ids[capacity] and then
// `capacity` code slots. A slot holds the code inline, or — when a code does not fit in a
// page — the BlockNumber of a blob chain holding it ("overflow" lists).
struct JadeListPageHeader {
    uint32 count;
    uint32 capacity;
};

// Usable bytes between the page header and the special space.
inline constexpr Size kPageContentBytes =
    BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(JadePageOpaqueData));

// Largest code stored inline (at least one entry per page).
inline constexpr Size kMaxInlineCode = kPageContentBytes - sizeof(JadeListPageHeader) - sizeof(int64);

// Bytes of a blob page's payload.
inline constexpr Size kBlobPayloadBytes = kPageContentBytes;

// id-map entries (int64 ids, -1 = tombstone) per page.
inline constexpr uint32 kIdMapPerPage = kPageContentBytes / sizeof(int64);

// Directory slots per page.
inline constexpr uint32 kDirPerPage = kPageContentBytes / sizeof(JadeListDirEntry);

// Returns the special space of a page.
inline JadePageOpaque PageOpaque(Page page) { return reinterpret_cast<JadePageOpaque>(PageGetSpecialPointer(page)); }

// Returns the metapage struct inside block 0's page.
inline JadeMetaPage PageMeta(Page page) { return reinterpret_cast<JadeMetaPage>(PageGetContents(page)); }

// Bytes of one code slot in a list with this code size.
inline Size ListSlotBytes(uint32 code_size) {
    return code_size <= kMaxInlineCode ? code_size : sizeof(BlockNumber);
}

// Whether codes of this size live in blob chains rather than inline.
inline bool ListIsOverflow(uint32 code_size) { return code_size > kMaxInlineCode; }

// Entries per list page for this code size.
inline uint32 ListCapacity(uint32 code_size) {
    return static_cast<uint32>((kPageContentBytes - sizeof(JadeListPageHeader)) /
                               (sizeof(int64) + ListSlotBytes(code_size)));
}

}  // namespace jade::ext::index
