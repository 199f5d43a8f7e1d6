// index/vacuum.cpp — ambulkdelete and amvacuumcleanup.
//
// Dead TIDs are removed from the list pages (IVF lists, the Flat list, the HNSW delta) by
// compacting each page in place under an exclusive lock, one GenericXLog record per changed page.
// HNSW graph nodes cannot be removed from a FAISS graph, so their id-map slots are set to -1
// (tombstones): scans skip them, the node still routes searches, and REINDEX drops them. After
// ambulkdelete returns, no scan can obtain the removed TIDs from the index, which is what lets
// VACUUM reuse the heap slots (README.md "MVCC and VACUUM").
#include "index/am.h"

#include <algorithm>

#include <cstring>

extern "C" {
#include "commands/vacuum.h"
}

namespace jade::ext::index {

// Removes dead entries from every page of one list; returns the entries removed.
static int64 VacuumList(IndexVacuumInfo* info, const JadeMetaPageData* meta, uint32 list_no,
                        IndexBulkDeleteCallback callback, void* state, double* remaining) {
    Relation index = info->index;
    Size slot_bytes = ListSlotBytes(meta->code_size);
    int64 removed = 0;
    JadeListDirEntry dir = ReadDirEntry(index, list_no);
    for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
        vacuum_delay_point();
        Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, info->strategy);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        Page page = BufferGetPage(buf);
        JadeListPageHeader* hdr = ListPageHeader(page);
        bool dead[1024 * 8];
        uint32 ndead = 0;
        for (uint32 i = 0; i < hdr->count; i++) {
            ItemPointerData tid;
            IdToTid(ListPageIds(page)[i], &tid);
            dead[i] = callback(&tid, state);
            if (dead[i]) ndead++;
        }
        if (ndead > 0) {
            PageEdit edit;
            EditBegin(&edit, index, true);
            Page p = EditPage(&edit, buf, false);
            JadeListPageHeader* h = ListPageHeader(p);
            int64* ids = ListPageIds(p);
            uint8* slots = ListPageSlots(p);
            uint32 w = 0;
            for (uint32 i = 0; i < h->count; i++) {
                if (dead[i]) continue;
                if (w != i) {
                    ids[w] = ids[i];
                    memmove(slots + w * slot_bytes, slots + i * slot_bytes, slot_bytes);
                }
                w++;
            }
            h->count = w;
            EditFinish(&edit);
            removed += ndead;
        }
        *remaining += ListPageHeader(page)->count;
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
    }
    return removed;
}

// Tombstones dead graph ids in the HNSW id map; returns the entries removed.
static int64 VacuumIdMap(IndexVacuumInfo* info, const JadeMetaPageData* meta, IndexBulkDeleteCallback callback,
                         void* state, double* remaining) {
    Relation index = info->index;
    int64 removed = 0;
    for (uint32 b = 0; b < meta->idmap_blocks; b++) {
        vacuum_delay_point();
        uint64 first = static_cast<uint64>(b) * kIdMapPerPage;
        uint32 n = static_cast<uint32>(std::min<uint64>(kIdMapPerPage, meta->graph_ntotal - first));
        Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, meta->idmap_head + b, RBM_NORMAL, info->strategy);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        const int64* ids = reinterpret_cast<int64*>(PageGetContents(BufferGetPage(buf)));
        bool any = false;
        for (uint32 i = 0; i < n && !any; i++) {
            if (ids[i] < 0) continue;
            ItemPointerData tid;
            IdToTid(ids[i], &tid);
            any = callback(&tid, state);
        }
        if (any) {
            PageEdit edit;
            EditBegin(&edit, index, true);
            int64* w = reinterpret_cast<int64*>(PageGetContents(EditPage(&edit, buf, false)));
            for (uint32 i = 0; i < n; i++) {
                if (w[i] < 0) continue;
                ItemPointerData tid;
                IdToTid(w[i], &tid);
                if (callback(&tid, state)) {
                    w[i] = -1;
                    removed++;
                }
            }
            EditFinish(&edit);
        }
        for (uint32 i = 0; i < n; i++)
            if (reinterpret_cast<int64*>(PageGetContents(BufferGetPage(buf)))[i] >= 0) *remaining += 1;
        UnlockReleaseBuffer(buf);
    }
    return removed;
}

IndexBulkDeleteResult* jadebulkdelete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                      IndexBulkDeleteCallback callback, void* callback_state) {
    if (stats == nullptr) stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
    JadeMetaPageData meta;
    ReadMeta(info->index, &meta);
    double remaining = 0;
    int64 removed = 0;
    for (uint32 l = 0; l < meta.nlist; l++)
        removed += VacuumList(info, &meta, l, callback, callback_state, &remaining);
    if (meta.family == kFamilyHnsw && meta.graph_ntotal > 0)
        removed += VacuumIdMap(info, &meta, callback, callback_state, &remaining);
    if (removed > 0) BumpMetaCounters(info->index, false);
    stats->tuples_removed += static_cast<double>(removed);
    stats->num_index_tuples = remaining;
    stats->estimated_count = false;
    stats->num_pages = RelationGetNumberOfBlocks(info->index);
    return stats;
}

// Counts live entries without removing anything (cleanup after a VACUUM with nothing to delete).
static bool NeverDead(ItemPointer tid, void* state) { return false; }

IndexBulkDeleteResult* jadevacuumcleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats) {
    if (info->analyze_only) return stats;
    // A grown HNSW delta is folded into the graph here, so autovacuum keeps searches fast
    // without a REINDEX (merge.cpp). Counting afterwards reports the merged state.
    if (MergeHnswDelta(info->index, false) > 0) stats = nullptr;
    if (stats == nullptr) stats = jadebulkdelete(info, nullptr, NeverDead, nullptr);
    stats->num_pages = RelationGetNumberOfBlocks(info->index);
    return stats;
}

}  // namespace jade::ext::index
