// index/pages.cpp — metapage, list directory, list pages, blob chains and id map (pages.h).
//
// Locking (README.md "Locking"): a list append reads the directory slot under a share lock,
// releases it, then exclusively locks the tail hint and follows `next` links to the true tail.
// The directory page is locked exclusively only while a new page is linked in, and always after
// the list page it links from — readers never hold a directory lock while waiting for a list
// page, so the order cannot deadlock.
#include "index/pages.h"

#include <cstring>

extern "C" {
#include "access/xloginsert.h"
#include "storage/lmgr.h"
}

namespace jade::ext::index {

// Starts an edit of pages of `index`.
void EditBegin(PageEdit* edit, Relation index, bool wal) {
    edit->wal = wal;
    edit->nbufs = 0;
    edit->state = wal ? GenericXLogStart(index) : nullptr;
}

// Registers an exclusively locked buffer and returns the page image to modify.
Page EditPage(PageEdit* edit, Buffer buf, bool is_new) {
    Assert(edit->nbufs < MAX_GENERIC_XLOG_PAGES);
    edit->bufs[edit->nbufs++] = buf;
    if (edit->wal) return GenericXLogRegisterBuffer(edit->state, buf, is_new ? GENERIC_XLOG_FULL_IMAGE : 0);
    return BufferGetPage(buf);
}

// Makes the registered changes durable (or dirty) and keeps the buffers locked.
void EditFinish(PageEdit* edit) {
    if (edit->wal) {
        GenericXLogFinish(edit->state);
        return;
    }
    // Build mode: ambuild WAL-logs every page with log_newpage_range() at its end.
    for (int i = 0; i < edit->nbufs; i++) MarkBufferDirty(edit->bufs[i]);
}

// Extends the relation by one page and returns it exclusively locked (not yet initialised).
Buffer NewBuffer(Relation index, ForkNumber fork) {
    // Relation extension must be serialised unless only this backend can see the relation.
    bool need_lock = !RELATION_IS_LOCAL(index);
    if (need_lock) LockRelationForExtension(index, ExclusiveLock);
    Buffer buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, nullptr);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    if (need_lock) UnlockRelationForExtension(index, ExclusiveLock);
    return buf;
}

// Initialises a page of the given type with an empty special space.
void InitPage(Page page, JadePageType type) {
    PageInit(page, BLCKSZ, sizeof(JadePageOpaqueData));
    JadePageOpaque op = PageOpaque(page);
    op->next = InvalidBlockNumber;
    op->page_type = type;
    op->page_id = kJadePageId;
}

// Raises the error for a page that is not what the format says it should be.
static void ReportCorrupt(Relation index, BlockNumber blk, const char* what) {
    ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                    errmsg("index \"%s\" contains an unexpected page at block %u", RelationGetRelationName(index),
                           blk),
                    errdetail("Expected a %s page.", what), errhint("Rebuild the index with REINDEX.")));
}

// Checks that a page carries our special space and the expected type.
static void CheckPage(Relation index, Buffer buf, JadePageType type, const char* what) {
    Page page = BufferGetPage(buf);
    if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(JadePageOpaqueData)) ||
        PageOpaque(page)->page_id != kJadePageId || PageOpaque(page)->page_type != type)
        ReportCorrupt(index, BufferGetBlockNumber(buf), what);
}

// Reads and validates the metapage into *meta (share lock held only while copying).
void ReadMeta(Relation index, JadeMetaPageData* meta) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buf);
    bool ours = !PageIsNew(page) && PageGetSpecialSize(page) == MAXALIGN(sizeof(JadePageOpaqueData)) &&
                PageOpaque(page)->page_id == kJadePageId && PageOpaque(page)->page_type == kPageMeta;
    if (ours) memcpy(meta, PageMeta(page), sizeof(JadeMetaPageData));
    UnlockReleaseBuffer(buf);
    if (!ours || meta->magic != kJadeMagic)
        ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                        errmsg("index \"%s\" is not a valid jadevector index", RelationGetRelationName(index)),
                        errhint("Rebuild the index with REINDEX.")));
    if (meta->format_version != kJadeFormatVersion)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("index \"%s\" has unsupported on-disk format version %u",
                               RelationGetRelationName(index), meta->format_version),
                        errdetail("This build of jadevector reads format version %u.", kJadeFormatVersion),
                        errhint("Rebuild the index with REINDEX.")));
}

// Writes block 0 (which must be a fresh, exclusively locked buffer) with *meta.
void WriteMetaPage(Relation index, Buffer buf, const JadeMetaPageData* meta, bool wal) {
    PageEdit edit;
    EditBegin(&edit, index, wal);
    Page page = EditPage(&edit, buf, true);
    InitPage(page, kPageMeta);
    memcpy(PageMeta(page), meta, sizeof(JadeMetaPageData));
    // pd_lower covers the struct so GenericXLog and full-page images keep it.
    ((PageHeader)page)->pd_lower = (char*)PageMeta(page) + sizeof(JadeMetaPageData) - (char*)page;
    EditFinish(&edit);
}

// Bumps the metapage's change counter (and, when cache_changed, its cache version).
void BumpMetaCounters(Relation index, bool cache_changed) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    CheckPage(index, buf, kPageMeta, "meta");
    PageEdit edit;
    EditBegin(&edit, index, true);
    JadeMetaPage meta = PageMeta(EditPage(&edit, buf, false));
    meta->change_count++;
    if (cache_changed) meta->cache_version++;
    EditFinish(&edit);
    UnlockReleaseBuffer(buf);
}

// Allocates and writes an all-empty list directory for nlist lists (build only, no WAL).
uint32 WriteEmptyDirectory(Relation index, ForkNumber fork, uint32 nlist) {
    uint32 nblocks = (nlist + kDirPerPage - 1) / kDirPerPage;
    for (uint32 b = 0; b < nblocks; b++) {
        Buffer buf = NewBuffer(index, fork);
        if (BufferGetBlockNumber(buf) != kFirstDirBlock + b)
            elog(ERROR, "jadevector: directory block %u allocated at %u", kFirstDirBlock + b,
                 BufferGetBlockNumber(buf));
        PageEdit edit;
        EditBegin(&edit, index, fork == INIT_FORKNUM);
        Page page = EditPage(&edit, buf, true);
        InitPage(page, kPageDir);
        JadeListDirEntry* slots = reinterpret_cast<JadeListDirEntry*>(PageGetContents(page));
        for (uint32 i = 0; i < kDirPerPage; i++) slots[i].head = slots[i].tail = InvalidBlockNumber;
        ((PageHeader)page)->pd_lower = (char*)(slots + kDirPerPage) - (char*)page;
        EditFinish(&edit);
        UnlockReleaseBuffer(buf);
    }
    return nblocks;
}

// Returns the directory block and slot index of a list.
static void DirLocation(uint32 list_no, BlockNumber* blk, uint32* slot) {
    *blk = kFirstDirBlock + list_no / kDirPerPage;
    *slot = list_no % kDirPerPage;
}

// Returns the head and tail hint of a list.
JadeListDirEntry ReadDirEntry(Relation index, uint32 list_no) {
    BlockNumber blk;
    uint32 slot;
    DirLocation(list_no, &blk, &slot);
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    CheckPage(index, buf, kPageDir, "list directory");
    JadeListDirEntry entry = reinterpret_cast<JadeListDirEntry*>(PageGetContents(BufferGetPage(buf)))[slot];
    UnlockReleaseBuffer(buf);
    return entry;
}

JadeListPageHeader* ListPageHeader(Page page) { return reinterpret_cast<JadeListPageHeader*>(PageGetContents(page)); }

int64* ListPageIds(Page page) { return reinterpret_cast<int64*>(PageGetContents(page) + sizeof(JadeListPageHeader)); }

uint8* ListPageSlots(Page page) {
    return reinterpret_cast<uint8*>(ListPageIds(page) + ListPageHeader(page)->capacity);
}

// Initialises an empty list page for codes of code_size bytes.
static void InitListPage(Page page, uint32 code_size) {
    InitPage(page, kPageList);
    JadeListPageHeader* hdr = ListPageHeader(page);
    hdr->count = 0;
    hdr->capacity = ListCapacity(code_size);
    uint8* end = ListPageSlots(page) + static_cast<Size>(hdr->capacity) * ListSlotBytes(code_size);
    ((PageHeader)page)->pd_lower = end - reinterpret_cast<uint8*>(page);
}

// Creates the first page of an empty list, unless a concurrent inserter already did.
// Returns the list's head block.
static BlockNumber EnsureListHead(Relation index, uint32 code_size, uint32 list_no, bool wal) {
    BlockNumber dir_blk;
    uint32 slot;
    DirLocation(list_no, &dir_blk, &slot);
    Buffer new_buf = NewBuffer(index, MAIN_FORKNUM);
    Buffer dir_buf = ReadBuffer(index, dir_blk);
    LockBuffer(dir_buf, BUFFER_LOCK_EXCLUSIVE);
    CheckPage(index, dir_buf, kPageDir, "list directory");
    JadeListDirEntry* slots = reinterpret_cast<JadeListDirEntry*>(PageGetContents(BufferGetPage(dir_buf)));
    BlockNumber head = slots[slot].head;
    PageEdit edit;
    EditBegin(&edit, index, wal);
    Page new_page = EditPage(&edit, new_buf, true);
    InitListPage(new_page, code_size);
    if (head == InvalidBlockNumber) {
        slots = reinterpret_cast<JadeListDirEntry*>(PageGetContents(EditPage(&edit, dir_buf, false)));
        head = slots[slot].head = slots[slot].tail = BufferGetBlockNumber(new_buf);
    }
    // When another inserter won the race the new page stays an empty orphan list page; it is
    // WAL-logged like any page so replicas and crash recovery see the same relation.
    EditFinish(&edit);
    UnlockReleaseBuffer(dir_buf);
    UnlockReleaseBuffer(new_buf);
    return head;
}

void ListAppend(Relation index, uint32 code_size, uint32 list_no, uint32 n, const int64* ids, const uint8* codes,
                bool wal) {
    bool overflow = ListIsOverflow(code_size);
    Size slot_bytes = ListSlotBytes(code_size);
    JadeListDirEntry entry = ReadDirEntry(index, list_no);
    BlockNumber blk = entry.tail != InvalidBlockNumber ? entry.tail : EnsureListHead(index, code_size, list_no, wal);
    // Vectors larger than a page go to their own blob chain first; the slot keeps its head.
    BlockNumber blob_head = InvalidBlockNumber;
    uint32 done = 0;
    while (done < n) {
        if (overflow && blob_head == InvalidBlockNumber)
            blob_head = WriteBlob(index, MAIN_FORKNUM, reinterpret_cast<const char*>(codes) + Size(done) * code_size,
                                  code_size, wal);
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        CheckPage(index, buf, kPageList, "list");
        while (PageOpaque(BufferGetPage(buf))->next != InvalidBlockNumber) {
            BlockNumber next = PageOpaque(BufferGetPage(buf))->next;
            UnlockReleaseBuffer(buf);
            buf = ReadBuffer(index, next);
            LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
            CheckPage(index, buf, kPageList, "list");
        }
        blk = BufferGetBlockNumber(buf);
        JadeListPageHeader* hdr = ListPageHeader(BufferGetPage(buf));
        if (hdr->count < hdr->capacity) {
            uint32 m = overflow ? 1 : Min(hdr->capacity - hdr->count, n - done);
            PageEdit edit;
            EditBegin(&edit, index, wal);
            Page page = EditPage(&edit, buf, false);
            hdr = ListPageHeader(page);
            memcpy(ListPageIds(page) + hdr->count, ids + done, sizeof(int64) * m);
            uint8* dst = ListPageSlots(page) + Size(hdr->count) * slot_bytes;
            if (overflow)
                memcpy(dst, &blob_head, sizeof(BlockNumber));
            else
                memcpy(dst, codes + Size(done) * code_size, Size(m) * code_size);
            hdr->count += m;
            EditFinish(&edit);
            UnlockReleaseBuffer(buf);
            done += m;
            blob_head = InvalidBlockNumber;
            continue;
        }
        // The tail is full: link a new page behind it and move the directory's tail hint.
        Buffer new_buf = NewBuffer(index, MAIN_FORKNUM);
        BlockNumber dir_blk;
        uint32 slot;
        DirLocation(list_no, &dir_blk, &slot);
        Buffer dir_buf = ReadBuffer(index, dir_blk);
        LockBuffer(dir_buf, BUFFER_LOCK_EXCLUSIVE);
        PageEdit edit;
        EditBegin(&edit, index, wal);
        Page new_page = EditPage(&edit, new_buf, true);
        InitListPage(new_page, code_size);
        PageOpaque(EditPage(&edit, buf, false))->next = BufferGetBlockNumber(new_buf);
        JadeListDirEntry* slots = reinterpret_cast<JadeListDirEntry*>(PageGetContents(EditPage(&edit, dir_buf, false)));
        slots[slot].tail = BufferGetBlockNumber(new_buf);
        EditFinish(&edit);
        blk = BufferGetBlockNumber(new_buf);
        UnlockReleaseBuffer(dir_buf);
        UnlockReleaseBuffer(buf);
        UnlockReleaseBuffer(new_buf);
    }
}

// Writes len bytes as a new blob chain and returns its first block (InvalidBlockNumber if len=0).
BlockNumber WriteBlob(Relation index, ForkNumber fork, const char* data, uint64 len, bool wal) {
    if (len == 0) return InvalidBlockNumber;
    BlockNumber head = InvalidBlockNumber;
    Buffer prev = InvalidBuffer;
    uint64 off = 0;
    while (off < len) {
        Buffer buf = NewBuffer(index, fork);
        Size chunk = Min(static_cast<uint64>(kBlobPayloadBytes), len - off);
        PageEdit edit;
        EditBegin(&edit, index, wal);
        Page page = EditPage(&edit, buf, true);
        InitPage(page, kPageBlob);
        memcpy(PageGetContents(page), data + off, chunk);
        ((PageHeader)page)->pd_lower = PageGetContents(page) + chunk - (char*)page;
        if (prev != InvalidBuffer) PageOpaque(EditPage(&edit, prev, false))->next = BufferGetBlockNumber(buf);
        EditFinish(&edit);
        if (prev != InvalidBuffer) UnlockReleaseBuffer(prev);
        if (head == InvalidBlockNumber) head = BufferGetBlockNumber(buf);
        prev = buf;
        off += chunk;
        if ((off / kBlobPayloadBytes) % 256 == 0) CHECK_FOR_INTERRUPTS();
    }
    UnlockReleaseBuffer(prev);
    return head;
}

// Reads a blob chain of len bytes into dst.
void ReadBlobInto(Relation index, BlockNumber head, uint64 len, char* dst) {
    BlockNumber blk = head;
    uint64 off = 0;
    while (off < len) {
        if (blk == InvalidBlockNumber)
            ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                            errmsg("index \"%s\" has a truncated blob chain", RelationGetRelationName(index)),
                            errhint("Rebuild the index with REINDEX.")));
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        CheckPage(index, buf, kPageBlob, "blob");
        Page page = BufferGetPage(buf);
        Size chunk = Min(static_cast<uint64>(kBlobPayloadBytes), len - off);
        memcpy(dst + off, PageGetContents(page), chunk);
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
        off += chunk;
    }
}

// Returns the code of a list entry: inline slot, or assembled from its blob chain into scratch.
const uint8* ListEntryCode(Relation index, const uint8* slot, uint32 code_size, uint8* scratch) {
    if (!ListIsOverflow(code_size)) return slot;
    BlockNumber head;
    memcpy(&head, slot, sizeof(BlockNumber));
    ReadBlobInto(index, head, code_size, reinterpret_cast<char*>(scratch));
    return scratch;
}

// Writes the HNSW id map (graph id -> heap TID encoded as int64) on contiguous new pages.
BlockNumber WriteIdMap(Relation index, const int64* ids, uint64 n, uint32* nblocks, bool wal) {
    BlockNumber first = InvalidBlockNumber;
    uint64 off = 0;
    *nblocks = 0;
    // Contiguity lets IdMapLookup compute a block from an id; the extension lock is held across
    // the whole map so no concurrent extension (an insert's new list page) lands in between.
    bool need_lock = !RELATION_IS_LOCAL(index);
    if (need_lock) LockRelationForExtension(index, ExclusiveLock);
    while (off < n) {
        Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        if (first == InvalidBlockNumber) first = BufferGetBlockNumber(buf);
        if (BufferGetBlockNumber(buf) != first + *nblocks)
            elog(ERROR, "jadevector: id map is not contiguous (block %u)", BufferGetBlockNumber(buf));
        PageEdit edit;
        EditBegin(&edit, index, wal);
        Page page = EditPage(&edit, buf, true);
        InitPage(page, kPageIdMap);
        uint64 m = Min(static_cast<uint64>(kIdMapPerPage), n - off);
        memcpy(PageGetContents(page), ids + off, m * sizeof(int64));
        ((PageHeader)page)->pd_lower = PageGetContents(page) + m * sizeof(int64) - (char*)page;
        EditFinish(&edit);
        UnlockReleaseBuffer(buf);
        off += m;
        (*nblocks)++;
    }
    if (need_lock) UnlockRelationForExtension(index, ExclusiveLock);
    return first;
}

// Returns the int64 TID of graph id `id` (-1 when tombstoned).
int64 IdMapLookup(Relation index, const JadeMetaPageData* meta, int64 id) {
    if (id < 0 || static_cast<uint64>(id) >= meta->graph_ntotal) return -1;
    BlockNumber blk = meta->idmap_head + static_cast<BlockNumber>(id / kIdMapPerPage);
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    CheckPage(index, buf, kPageIdMap, "id map");
    int64 tid = reinterpret_cast<int64*>(PageGetContents(BufferGetPage(buf)))[id % kIdMapPerPage];
    UnlockReleaseBuffer(buf);
    return tid;
}

}  // namespace jade::ext::index
