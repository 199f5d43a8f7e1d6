// index/cache.cpp — per-backend cache of deserialized engine structures (IVF codec, HNSW graph).
//
// Key: the index's relfilenode plus the metapage's build_id and cache_version, so REINDEX,
// TRUNCATE, a dropped-and-reused relfilenode or a rewritten graph can never be served stale.
// The cache is bounded by jadevector.hnsw_cache_mb: least recently used entries are evicted
// first, but never one used in the current transaction (a scan may still hold its handle; handles
// are plain pointers kept across amgettuple calls). A structure larger than the whole bound is
// refused with a clear error instead of silently exceeding it.
//
// Entries live in static storage and handles are created with `new` inside the engine, so they
// survive transaction aborts; an ERROR during a load leaves no half-made entry (the entry is
// only filled after the load returned).
#include "index/am.h"

#include "index/engine.h"
#include "index/gucs.h"
#include "pg/guard.h"

extern "C" {
#include "storage/proc.h"
#include "utils/memutils.h"
}

namespace jade::ext::index {

namespace {

inline constexpr int kMaxEntries = 32;

struct CacheEntry {
    bool valid;
    RelFileNode node;
    uint64 build_id;
    uint64 cache_version;
    EngineIvf* ivf;
    EngineHnsw* hnsw;
    Size bytes;
    uint64 last_used;
    LocalTransactionId used_lxid;
};

CacheEntry cache_entries[kMaxEntries];
uint64 cache_tick = 0;

// Frees an entry's handle and marks it empty.
void FreeEntry(CacheEntry* e) {
    if (e->ivf != nullptr) EngineIvfFree(e->ivf);
    if (e->hnsw != nullptr) EngineHnswFree(e->hnsw);
    e->ivf = nullptr;
    e->hnsw = nullptr;
    e->valid = false;
    e->bytes = 0;
}

// Whether a scan of the current transaction may still hold the entry's handle.
bool InUse(const CacheEntry* e) { return e->used_lxid == MyProc->lxid; }

// Looks up a current entry, dropping stale versions of the same relation on the way.
CacheEntry* Lookup(Relation index, const JadeMetaPageData* meta) {
    CacheEntry* hit = nullptr;
    for (auto& e : cache_entries) {
        if (!e.valid || !RelFileNodeEquals(e.node, index->rd_node)) continue;
        if (e.build_id == meta->build_id && e.cache_version == meta->cache_version)
            hit = &e;
        else if (!InUse(&e))
            FreeEntry(&e);
    }
    return hit;
}

// Returns a free slot after evicting LRU entries until `bytes` more fit under the bound.
CacheEntry* MakeRoom(Relation index, Size bytes) {
    Size cap = static_cast<Size>(jade_hnsw_cache_mb) * 1024 * 1024;
    if (bytes > cap)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("index \"%s\" needs %zu MB of backend memory, more than jadevector.hnsw_cache_mb",
                               RelationGetRelationName(index), (bytes + (1 << 20) - 1) >> 20),
                        errhint("Raise jadevector.hnsw_cache_mb (currently %d MB).", jade_hnsw_cache_mb)));
    for (;;) {
        Size used = 0;
        CacheEntry* victim = nullptr;
        CacheEntry* empty = nullptr;
        for (auto& e : cache_entries) {
            if (!e.valid) {
                if (empty == nullptr) empty = &e;
                continue;
            }
            used += e.bytes;
            if (!InUse(&e) && (victim == nullptr || e.last_used < victim->last_used)) victim = &e;
        }
        if (used + bytes <= cap && empty != nullptr) return empty;
        if (victim == nullptr)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("jadevector.hnsw_cache_mb is too small for the indexes this transaction uses"),
                            errhint("Raise jadevector.hnsw_cache_mb (currently %d MB).", jade_hnsw_cache_mb)));
        FreeEntry(victim);
    }
}

// Loads (or finds) the structure stored in the index's blob.
CacheEntry* GetEntry(Relation index, const JadeMetaPageData* meta, bool hnsw) {
    CacheEntry* e = Lookup(index, meta);
    if (e == nullptr) {
        if (meta->blob_head == InvalidBlockNumber || meta->blob_bytes == 0)
            ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                            errmsg("index \"%s\" has no stored %s", RelationGetRelationName(index),
                                   hnsw ? "graph" : "codec"),
                            errhint("Rebuild the index with REINDEX.")));
        // The deserialized structure is about as large as its serialized bytes.
        CacheEntry* slot = MakeRoom(index, meta->blob_bytes);
        char* data = static_cast<char*>(MemoryContextAllocHuge(CurrentMemoryContext, meta->blob_bytes));
        ReadBlobInto(index, meta->blob_head, meta->blob_bytes, data);
        EngineIvf* ivf = nullptr;
        EngineHnsw* graph = nullptr;
        Size bytes = 0;
        uint64 len = meta->blob_bytes;
        uint32 dims = meta->dims, metric = meta->metric;
        jade::pg::CallCpp([&]() {
            if (hnsw) {
                graph = EngineHnswLoad(data, len, dims, metric);
                bytes = EngineHnswMemoryBytes(graph);
            } else {
                ivf = EngineIvfLoad(data, len, dims, metric);
                bytes = EngineIvfMemoryBytes(ivf);
            }
        });
        pfree(data);
        slot->valid = true;
        slot->node = index->rd_node;
        slot->build_id = meta->build_id;
        slot->cache_version = meta->cache_version;
        slot->ivf = ivf;
        slot->hnsw = graph;
        slot->bytes = Max(bytes, static_cast<Size>(meta->blob_bytes));
        e = slot;
    }
    e->last_used = ++cache_tick;
    e->used_lxid = MyProc->lxid;
    return e;
}

}  // namespace

EngineIvf* CachedIvf(Relation index, const JadeMetaPageData* meta) { return GetEntry(index, meta, false)->ivf; }

EngineHnsw* CachedHnsw(Relation index, const JadeMetaPageData* meta) { return GetEntry(index, meta, true)->hnsw; }

}  // namespace jade::ext::index
