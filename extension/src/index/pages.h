// index/pages.h — page-level storage of jadevector indexes: metapage, list directory, lists,
// blob chains and the HNSW id map (format in page_format.h, protocol in README.md).
//
// Every function here is PG-regime code (POD locals, ereport). "wal" selects how a page change
// is made durable: true = GenericXLog record per change (inserts, vacuum: crash-safe and
// replicated); false = buffer dirtied without WAL, used only by ambuild, which WAL-logs the whole
// relation with log_newpage_range() when it is done (as nbtree's sorted build does).
#pragma once

#include "index/page_format.h"

extern "C" {
#include "access/generic_xlog.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"
}

namespace jade::ext::index {

// A set of page changes made atomically: one GenericXLog record, or plain dirtied buffers.
struct PageEdit {
    GenericXLogState* state;
    bool wal;
    int nbufs;
    Buffer bufs[MAX_GENERIC_XLOG_PAGES];
};

// Starts an edit of pages of `index`.
void EditBegin(PageEdit* edit, Relation index, bool wal);

// Registers an exclusively locked buffer; returns the page image to modify. New pages are
// logged as full images and initialised by the caller.
Page EditPage(PageEdit* edit, Buffer buf, bool is_new);

// Makes the registered changes durable (or dirty) and keeps the buffers locked.
void EditFinish(PageEdit* edit);

// Extends the relation by one page and returns it exclusively locked (not yet initialised).
Buffer NewBuffer(Relation index, ForkNumber fork);

// Initialises a page of the given type with an empty special space.
void InitPage(Page page, JadePageType type);

// Reads and validates the metapage into *meta (share lock held only while copying).
void ReadMeta(Relation index, JadeMetaPageData* meta);

// Writes block 0 (which must be a fresh, exclusively locked buffer) with *meta.
void WriteMetaPage(Relation index, Buffer buf, const JadeMetaPageData* meta, bool wal);

// Bumps the metapage's change counter (and, when cache_changed, its cache version).
void BumpMetaCounters(Relation index, bool cache_changed);

// Allocates and writes an all-empty list directory for nlist lists (build only, no WAL).
uint32 WriteEmptyDirectory(Relation index, ForkNumber fork, uint32 nlist);

// Returns the head and tail hint of a list.
JadeListDirEntry ReadDirEntry(Relation index, uint32 list_no);

// Appends n entries (ids[i], codes + i*code_size) to list list_no.
void ListAppend(Relation index, uint32 code_size, uint32 list_no, uint32 n, const int64* ids,
                const uint8* codes, bool wal);

// Accessors for a list page's arrays.
JadeListPageHeader* ListPageHeader(Page page);
int64* ListPageIds(Page page);
uint8* ListPageSlots(Page page);

// Writes len bytes as a new blob chain and returns its first block (InvalidBlockNumber if len=0).
BlockNumber WriteBlob(Relation index, ForkNumber fork, const char* data, uint64 len, bool wal);

// Reads a blob chain of len bytes into dst.
void ReadBlobInto(Relation index, BlockNumber head, uint64 len, char* dst);

// Returns the code of a list entry: inline slot, or assembled from its blob chain into scratch.
const uint8* ListEntryCode(Relation index, const uint8* slot, uint32 code_size, uint8* scratch);

// Writes the HNSW id map (graph id -> heap TID encoded as int64) on contiguous new pages.
BlockNumber WriteIdMap(Relation index, const int64* ids, uint64 n, uint32* nblocks, bool wal);

// Returns the int64 TID of graph id `id` (-1 when tombstoned).
int64 IdMapLookup(Relation index, const JadeMetaPageData* meta, int64 id);

// Encodes / decodes a heap TID as a non-negative int64 FAISS id.
inline int64 TidToId(ItemPointer tid) {
    return (static_cast<int64>(ItemPointerGetBlockNumberNoCheck(tid)) << 16) | ItemPointerGetOffsetNumberNoCheck(tid);
}
inline void IdToTid(int64 id, ItemPointer tid) {
    ItemPointerSet(tid, static_cast<BlockNumber>(id >> 16), static_cast<OffsetNumber>(id & 0xFFFF));
}

}  // namespace jade::ext::index
