// index/merge.cpp — folds the HNSW delta into the graph (VACUUM, or jadevector_merge_delta()).
//
// Rows inserted after an HNSW build live in the exact delta list (README.md "HNSW delta"). When
// the delta has grown (at least kMergeMinRows rows and a tenth of the graph), amvacuumcleanup
// merges it:
//   1. read the id map and the delta entries, remembering how many entries each delta page had;
//   2. load a private copy of the graph, add the delta vectors as ids graph_ntotal, ...;
//   3. write the new graph blob and the extended id map on new pages (GenericXLog full images);
//   4. switch the metapage to them in one record (cache_version++ invalidates backend caches);
//   5. remove the merged entries from the delta pages, one record per page.
// Concurrent inserts only append behind the remembered counts, so step 5 removes exactly what
// was merged. A crash between 4 and 5 leaves rows in both the graph and the delta: scans return
// such a row once (scan.cpp dedupes by TID) and the next merge drops the delta copy instead of
// adding it twice. The old blob and id map pages are not reused (a scan may still read them);
// REINDEX reclaims them.
#include "index/am.h"

#include <algorithm>
#include <cstring>

#include "index/engine.h"
#include "index/gucs.h"
#include "pg/guard.h"

extern "C" {
#include "access/relation.h"
#include "access/table.h"
#include "catalog/index.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
}

namespace jade::ext::index {

inline constexpr int64 kMergeMinRows = 1000;

// Engine handle freed with the merge's memory context.
struct MergeOwner {
    EngineHnsw* graph;
    MemoryContextCallback cb;
};

// Frees the private graph copy.
static void FreeMergeOwner(void* arg) {
    auto* owner = static_cast<MergeOwner*>(arg);
    if (owner->graph != nullptr) EngineHnswFree(owner->graph);
    owner->graph = nullptr;
}

// A delta page read by the merge and how many of its entries were merged.
struct MergedPage {
    BlockNumber blk;
    uint32 count;
};

// Removes the first `count` entries of a delta page (the ones the merge folded in).
static void RemoveMergedEntries(Relation index, uint32 code_size, const MergedPage& mp) {
    Buffer buf = ReadBuffer(index, mp.blk);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    PageEdit edit;
    EditBegin(&edit, index, true);
    Page page = EditPage(&edit, buf, false);
    JadeListPageHeader* hdr = ListPageHeader(page);
    Size slot = ListSlotBytes(code_size);
    uint32 keep = hdr->count - std::min(hdr->count, mp.count);
    memmove(ListPageIds(page), ListPageIds(page) + (hdr->count - keep), sizeof(int64) * keep);
    memmove(ListPageSlots(page), ListPageSlots(page) + Size(hdr->count - keep) * slot, Size(keep) * slot);
    hdr->count = keep;
    EditFinish(&edit);
    UnlockReleaseBuffer(buf);
}

int64 MergeHnswDelta(Relation index, bool force) {
    JadeMetaPageData meta;
    ReadMeta(index, &meta);
    if (meta.family != kFamilyHnsw || meta.dims == 0) return 0;
    if (ListIsOverflow(meta.code_size)) return 0;  // vectors beyond a page: REINDEX instead

    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "jadevector merge", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(cxt);
    auto* owner = static_cast<MergeOwner*>(palloc0(sizeof(MergeOwner)));
    owner->cb.func = FreeMergeOwner;
    owner->cb.arg = owner;
    MemoryContextRegisterResetCallback(cxt, &owner->cb);

    // 1. The current id map and the TIDs it holds.
    uint64 ntotal = meta.graph_ntotal;
    HASHCTL ctl;
    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = sizeof(int64);
    ctl.entrysize = sizeof(int64);
    ctl.hcxt = cxt;
    HTAB* in_graph = hash_create("jadevector merge tids", std::max<long>(256, static_cast<long>(ntotal)), &ctl,
                                 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
    int64* ids = static_cast<int64*>(MemoryContextAllocHuge(cxt, sizeof(int64) * std::max<uint64>(ntotal, 1)));
    for (uint64 g = 0; g < ntotal; g++) {
        ids[g] = IdMapLookup(index, &meta, static_cast<int64>(g));
        if (ids[g] >= 0) hash_search(in_graph, &ids[g], HASH_ENTER, nullptr);
    }

    // Delta entries, page by page.
    int64 cap = 1024, n = 0, dup = 0;
    int64* delta_ids = static_cast<int64*>(MemoryContextAllocHuge(cxt, sizeof(int64) * cap));
    float* delta_vecs = static_cast<float*>(MemoryContextAllocHuge(cxt, sizeof(float) * meta.dims * cap));
    int npages = 0, pages_cap = 64;
    MergedPage* pages = static_cast<MergedPage*>(palloc(sizeof(MergedPage) * pages_cap));
    JadeListDirEntry dir = ReadDirEntry(index, 0);
    for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        uint32 count = ListPageHeader(page)->count;
        if (npages == pages_cap) {
            pages_cap *= 2;
            pages = static_cast<MergedPage*>(repalloc(pages, sizeof(MergedPage) * pages_cap));
        }
        pages[npages++] = {blk, count};
        for (uint32 i = 0; i < count; i++) {
            int64 tid = ListPageIds(page)[i];
            if (hash_search(in_graph, &tid, HASH_FIND, nullptr) != nullptr) {
                dup++;  // left behind by a crash after a previous merge's metapage switch
                continue;
            }
            if (n == cap) {
                cap *= 2;
                delta_ids = static_cast<int64*>(repalloc_huge(delta_ids, sizeof(int64) * cap));
                delta_vecs = static_cast<float*>(repalloc_huge(delta_vecs, sizeof(float) * meta.dims * cap));
            }
            delta_ids[n] = tid;
            memcpy(delta_vecs + n * meta.dims, ListPageSlots(page) + Size(i) * meta.code_size, meta.code_size);
            n++;
        }
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
    }
    bool worth = force ? (n + dup > 0) : (n >= kMergeMinRows && n * 10 >= static_cast<int64>(ntotal));
    if (!worth) {
        MemoryContextSwitchTo(old);
        MemoryContextDelete(cxt);
        return 0;
    }

    // 2. A private graph copy with the delta appended (or a new graph when there was none).
    if (n > 0) {
        int threads = BuildThreads(static_cast<int64>(ntotal) + n);
        if (ntotal > 0) {
            char* blob = static_cast<char*>(MemoryContextAllocHuge(cxt, meta.blob_bytes));
            ReadBlobInto(index, meta.blob_head, meta.blob_bytes, blob);
            uint64 len = meta.blob_bytes;
            jade::pg::CallCpp([&]() { owner->graph = EngineHnswLoad(blob, len, meta.dims, meta.metric); });
            pfree(blob);
            jade::pg::CallCpp([&]() {
                EngineHnswAdd(owner->graph, delta_vecs, n, static_cast<int64>(ntotal), threads);
            });
        } else {
            jade::pg::CallCpp([&]() {
                owner->graph = EngineHnswBuild(meta.factory, meta.dims, meta.metric, delta_vecs, n,
                                               meta.hnsw_ef_construction, threads);
            });
        }
        // 3. New blob and id map pages.
        const char* data = nullptr;
        size_t len = 0;
        jade::pg::CallCpp([&]() { EngineHnswSerialize(owner->graph, &data, &len); });
        BlockNumber blob_head = WriteBlob(index, MAIN_FORKNUM, data, len, true);
        int64* new_ids = static_cast<int64*>(MemoryContextAllocHuge(cxt, sizeof(int64) * (ntotal + n)));
        if (ntotal > 0) memcpy(new_ids, ids, sizeof(int64) * ntotal);
        memcpy(new_ids + ntotal, delta_ids, sizeof(int64) * n);
        uint32 idmap_blocks = 0;
        BlockNumber idmap_head = WriteIdMap(index, new_ids, ntotal + n, &idmap_blocks, true);

        // 4. Switch the metapage in one record.
        Buffer mbuf = ReadBuffer(index, kMetaBlock);
        LockBuffer(mbuf, BUFFER_LOCK_EXCLUSIVE);
        PageEdit edit;
        EditBegin(&edit, index, true);
        JadeMetaPage m = PageMeta(EditPage(&edit, mbuf, false));
        m->blob_head = blob_head;
        m->blob_bytes = len;
        m->idmap_head = idmap_head;
        m->idmap_blocks = idmap_blocks;
        m->graph_ntotal = ntotal + n;
        m->cache_version++;
        m->change_count++;
        EditFinish(&edit);
        UnlockReleaseBuffer(mbuf);
    }

    // 5. Drop the merged (and duplicate) entries from the delta.
    for (int i = 0; i < npages; i++) {
        if (pages[i].count > 0) RemoveMergedEntries(index, meta.code_size, pages[i]);
        CHECK_FOR_INTERRUPTS();
    }
    MemoryContextSwitchTo(old);
    MemoryContextDelete(cxt);
    return n;
}

}  // namespace jade::ext::index

extern "C" {
PG_FUNCTION_INFO_V1(jadevector_merge_delta);

// Folds an HNSW index's delta into its graph now; returns the number of rows merged.
Datum jadevector_merge_delta(PG_FUNCTION_ARGS) {
    using namespace jade::ext::index;
    Oid relid = PG_GETARG_OID(0);
    // The heap lock VACUUM takes: no concurrent VACUUM (or merge) of this table meanwhile.
    Oid heapid = IndexGetRelation(relid, true);
    if (!OidIsValid(heapid))
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("relation with OID %u is not an index", relid)));
    Relation heap = table_open(heapid, ShareUpdateExclusiveLock);
    Relation index = index_open(relid, RowExclusiveLock);
    int64 merged = MergeHnswDelta(index, true);
    index_close(index, RowExclusiveLock);
    table_close(heap, ShareUpdateExclusiveLock);
    PG_RETURN_INT64(merged);
}
}
