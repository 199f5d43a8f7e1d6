// index/scan.cpp — ordered index scans (ambeginscan/amrescan/amgettuple/amendscan).
//
// amgettuple hands out heap TIDs in distance order. Flat and HNSW produce output batches and are
// asked for the next one ("refill") when a batch is used up, which is how their iterative scans
// work: the executor simply keeps asking while a WHERE filter rejects rows and the LIMIT is not
// reached. IVF keeps one candidate heap for the whole scan and probes further lists itself
// before it returns a row that a closer, unprobed list could beat (scan_ivf.cpp).
//
//   Flat  one batch: every stored vector, exact distances, sorted.
//   IVF   scan_ivf.cpp: lists ranked by centroid distance, probed nprobe first and then in growing
//         batches, rows returned in (near-)exact distance order across lists; lossy codes (SQ8,
//         PQ) re-ranked with exact distances computed from the heap tuple.
//   HNSW  each batch searches the cached graph with a breadth ef (doubled per batch), maps graph
//         ids to TIDs through the id map (skipping tombstones and ids already returned), and the
//         first batch also scans the exact delta of rows inserted after the build.
// Each batch is a min-heap: a LIMIT k query pops k rows in O(k log n), no batch is fully sorted.
// Order: within a batch results are exactly ordered. Across HNSW batches, relaxed_order (the
// faiss AM's default, as pgvector's relaxed_order) returns every row found, so a later batch may
// hold a row closer than the last one of the previous batch; strict_order drops such rows
// instead, so the output is always ordered (README.md "Iterative scans").
// Bounds: jadevector.max_scan_tuples / hnsw.max_scan_tuples / ivfflat.max_probes.
#include "index/scan.h"

#include <algorithm>

#include <cstdlib>
#include <cstring>

#include "index/elements.h"
#include "index/engine.h"
#include "index/gucs.h"
#include "pg/guard.h"
#include "type/vector.h"

extern "C" {
#include "access/tableam.h"
#include "catalog/index.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
}

namespace jade::ext::index {

// Re-ranked candidates per unit of jadevector.rerank_factor (per 10 rows returned), and the factor
// used when it is 0 (automatic) but the index has no calibrated share (built before there was one).
inline constexpr int kRerankDepthPerFactor = 32;
inline constexpr int kFallbackRerankFactor = 4;
// Marks delta TIDs in the HNSW `seen` set, whose other keys are graph ids (both < 2^48).
inline constexpr int64 kDeltaTidTag = int64{1} << 62;
// Re-reads of the HNSW delta when merges keep switching the graph under a starting scan.
inline constexpr int kMaxDeltaRetries = 100;
// Entries handled between interrupt checks in loops that return no row meanwhile (a large ef,
// the exhaustive pass, a NULL query's walk): cancel and statement_timeout act within ~1 ms.
inline constexpr int64 kInterruptEvery = 1024;

// Appends a candidate to a growable array in the query context.
void Push(ScanOpaque* so, Candidate** arr, int64* n, int64* cap, double distance, int64 id) {
    if (*n == *cap) {
        int64 newcap = std::max<int64>(256, *cap * 2);
        *arr = *arr == nullptr
                   ? static_cast<Candidate*>(MemoryContextAllocHuge(so->query_cxt, sizeof(Candidate) * newcap))
                   : static_cast<Candidate*>(repalloc_huge(*arr, sizeof(Candidate) * newcap));
        *cap = newcap;
    }
    (*arr)[*n].distance = distance;
    (*arr)[*n].id = id;
    (*n)++;
}

// Inserts a candidate into a min-heap kept in a growable array (sift-up).
void HeapPush(ScanOpaque* so, Candidate** heap, int64* n, int64* cap, double distance, int64 id) {
    Push(so, heap, n, cap, distance, id);
    Candidate* h = *heap;
    int64 i = *n - 1;
    Candidate x = h[i];
    while (i > 0) {
        int64 parent = (i - 1) / 2;
        if (!Before(x, h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = x;
}

// Frees the engine's list scanner when the scan's memory goes away (end of scan or abort).
static void FreeScanner(void* arg) {
    auto* so = static_cast<ScanOpaque*>(arg);
    if (so->scanner != nullptr) EngineIvfScannerFree(so->scanner);
    so->scanner = nullptr;
}

IndexScanDesc jadebeginscan(Relation index, int nkeys, int norderbys) {
    IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
    auto* so = static_cast<ScanOpaque*>(palloc0(sizeof(ScanOpaque)));
    ReadMeta(index, &so->meta);
    so->scan_cxt = AllocSetContextCreate(CurrentMemoryContext, "jadevector scan", ALLOCSET_DEFAULT_SIZES);
    so->query_cxt = AllocSetContextCreate(so->scan_cxt, "jadevector scan query", ALLOCSET_DEFAULT_SIZES);
    so->scanner_cb.func = FreeScanner;
    so->scanner_cb.arg = so;
    MemoryContextRegisterResetCallback(so->query_cxt, &so->scanner_cb);
    scan->xs_orderbyvals = static_cast<Datum*>(palloc0(sizeof(Datum) * Max(norderbys, 1)));
    scan->xs_orderbynulls = static_cast<bool*>(palloc(sizeof(bool) * Max(norderbys, 1)));
    for (int i = 0; i < Max(norderbys, 1); i++) scan->xs_orderbynulls[i] = true;
    scan->opaque = so;
    return scan;
}

// Reads the settings of the AM that created the index.
static void LoadSettings(ScanOpaque* so) {
    const JadeMetaPageData& m = so->meta;
    so->max_lists = static_cast<int>(m.nlist);
    // jadevector.rerank_factor = 0 (default): the share calibrated at build, applied to the
    // candidates of the first probe (scan_ivf.cpp); any other value: that many x 32 candidates.
    so->rerank_share = 0.0;
    if (jade_rerank_factor > 0) {
        so->rerank_depth = int64{jade_rerank_factor} * kRerankDepthPerFactor;
    } else if (m.auto_rerank > 0.0f) {
        so->rerank_depth = 0;
        so->rerank_share = m.auto_rerank;
    } else {
        so->rerank_depth = kFallbackRerankFactor * kRerankDepthPerFactor;
    }
    switch (m.am_kind) {
        case kAmHnsw:
            so->ef = EffectiveEf(&m);
            so->iterative = hnsw_iterative_scan != kIterativeOff;
            so->strict = hnsw_iterative_scan == kIterativeStrict;
            so->max_visit = hnsw_max_scan_tuples;
            so->nprobe = 1;
            break;
        case kAmIvfflat:
            so->nprobe = EffectiveNprobe(&m);
            so->iterative = ivfflat_iterative_scan != kIterativeOff;
            so->strict = false;
            so->max_lists = Min(static_cast<int>(m.nlist), ivfflat_max_probes);
            so->max_visit = 0;
            so->ef = EffectiveEf(&m);
            break;
        default:
            so->nprobe = EffectiveNprobe(&m);
            so->ef = EffectiveEf(&m);
            so->iterative = jade_iterative_scan != kIterativeOff;
            so->strict = jade_iterative_scan == kIterativeStrict;
            so->max_visit = jade_max_scan_tuples;
            break;
    }
    so->nprobe = Max(1, Min(so->nprobe, static_cast<int>(m.nlist)));
    // A zero ef would make every HNSW batch look like the first one: never allow it.
    so->ef = Max(1, so->ef);
}

void jaderescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    MemoryContextReset(so->query_cxt);
    MemoryContextRegisterResetCallback(so->query_cxt, &so->scanner_cb);
    so->scanner = nullptr;
    so->out = so->pending = nullptr;
    so->nout = so->out_cap = 0;
    so->npending = so->pending_cap = 0;
    so->list_order = nullptr;
    so->list_dist = nullptr;
    so->next_list = 0;
    so->lists_probed = 0;
    so->reranked = 0;
    so->emitted = 0;
    so->seen = nullptr;
    so->cur_ef = 0;
    so->exhaustive_done = false;
    so->visited = 0;
    so->have_last = false;
    so->started = false;
    so->done = false;
    if (orderbys != nullptr && norderbys > 0) memmove(scan->orderByData, orderbys, norderbys * sizeof(ScanKeyData));
    // Re-read the metapage: a rescan in a new statement must see the index as it is now.
    ReadMeta(scan->indexRelation, &so->meta);
    LoadSettings(so);
}

// Reads the query vector from the ORDER BY key; a NULL or zero (cosine) query has no order.
static void StartScan(IndexScanDesc scan, ScanOpaque* so) {
    so->started = true;
    MemoryContext old = MemoryContextSwitchTo(so->query_cxt);
    const JadeMetaPageData& m = so->meta;
    if (scan->numberOfOrderBys == 0 || (scan->orderByData[0].sk_flags & SK_ISNULL) || m.dims == 0) {
        so->any_order = true;
    } else {
        // The query's dimension must match, with the message of the type's own operators.
        JadeElement element = IndexElement(scan->indexRelation);
        Datum arg = scan->orderByData[0].sk_argument;
        uint32 qdims = ElementDims(element, arg);
        if (qdims != m.dims)
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                            errmsg(element == kElementBit       ? "different bit lengths %u and %u"
                                   : element == kElementHalfvec ? "different halfvec dimensions %u and %u"
                                                                : "different vector dimensions %u and %u",
                                   m.dims, qdims)));
        Size row_bytes = ElementRowBytes(element, m.dims);
        so->raw_query = static_cast<float*>(palloc(row_bytes));
        DecodeElement(element, arg, m.dims, so->raw_query);
        so->query = static_cast<float*>(palloc(row_bytes));
        so->any_order = !PrepareVector(scan->indexRelation, m.metric, m.dims, scan->orderByData[0].sk_argument,
                                       so->query);
    }
    MemoryContextSwitchTo(old);
}

// Adds the exact distances of every entry of one list (raw vectors) to the output batch.
static void ScanRawList(IndexScanDesc scan, ScanOpaque* so, uint32 list_no) {
    Relation index = scan->indexRelation;
    const JadeMetaPageData& m = so->meta;
    JadeListDirEntry dir = ReadDirEntry(index, list_no);
    uint8* scratch = ListIsOverflow(m.code_size) ? static_cast<uint8*>(palloc(m.code_size)) : nullptr;
    Size slot_bytes = ListSlotBytes(m.code_size);
    for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        JadeListPageHeader* hdr = ListPageHeader(page);
        const int64* ids = ListPageIds(page);
        const uint8* slots = ListPageSlots(page);
        for (uint32 i = 0; i < hdr->count; i++) {
            double d = 0.0;
            if (!so->any_order) {
                const uint8* code = ListEntryCode(index, slots + i * slot_bytes, m.code_size, scratch);
                d = ExactDistance(m.metric, so->query, reinterpret_cast<const float*>(code), m.dims);
            }
            Push(so, &so->out, &so->nout, &so->out_cap, d, ids[i]);
        }
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
        CHECK_FOR_INTERRUPTS();
    }
}

// Computes the exact operator distance of a lossy candidate from its heap tuple; false when the
// tuple is gone (pruned) — it is dead for every snapshot, so dropping it is correct.
bool HeapDistance(IndexScanDesc scan, ScanOpaque* so, int64 id, double* distance) {
    if (scan->heapRelation == nullptr) return false;
    if (so->fetch == nullptr) {
        MemoryContext old = MemoryContextSwitchTo(so->scan_cxt);
        so->fetch = table_index_fetch_begin(scan->heapRelation);
        so->slot = table_slot_create(scan->heapRelation, nullptr);
        so->estate = CreateExecutorState();
        so->index_info = BuildIndexInfo(scan->indexRelation);
        MemoryContextSwitchTo(old);
    }
    ItemPointerData tid;
    IdToTid(id, &tid);
    bool call_again = false, all_dead = false;
    if (!table_index_fetch_tuple(so->fetch, &tid, SnapshotAny, so->slot, &call_again, &all_dead)) return false;
    ExprContext* econtext = GetPerTupleExprContext(so->estate);
    econtext->ecxt_scantuple = so->slot;
    Datum values[INDEX_MAX_KEYS];
    bool isnull[INDEX_MAX_KEYS];
    FormIndexDatum(so->index_info, so->slot, so->estate, values, isnull);
    bool ok = false;
    if (!isnull[0]) {
        JadeElement element = IndexElement(scan->indexRelation);
        if (so->heap_vec == nullptr)
            so->heap_vec = static_cast<float*>(
                MemoryContextAlloc(so->scan_cxt, std::max<Size>(ElementRowBytes(element, so->meta.dims), 1)));
        MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
        if (DecodeElement(element, values[0], so->meta.dims, so->heap_vec)) {
            *distance = ExactDistance(so->meta.metric, so->raw_query, so->heap_vec, so->meta.dims);
            ok = true;
        }
        MemoryContextSwitchTo(old);
    }
    ExecClearTuple(so->slot);
    ResetExprContext(econtext);
    return ok;
}

// Returns, once, every live graph row the searches never reached, with exact distances from the
// heap: HNSW graphs can leave a few nodes unreachable (more so with many tombstones), and an
// iterative scan that ran the graph dry must still be able to return every row.
static bool RefillHnswExhaustive(IndexScanDesc scan, ScanOpaque* so) {
    if (so->exhaustive_done) return false;
    so->exhaustive_done = true;
    for (uint64 g = 0; g < so->meta.graph_ntotal; g++) {
        int64 gid = static_cast<int64>(g);
        if (hash_search(so->seen, &gid, HASH_FIND, nullptr) != nullptr) continue;
        int64 tid = IdMapLookup(scan->indexRelation, &so->meta, gid);
        if (tid < 0) continue;
        int64 delta_key = tid | kDeltaTidTag;
        if (hash_search(so->seen, &delta_key, HASH_FIND, nullptr) != nullptr) continue;
        double d;
        if (HeapDistance(scan, so, tid, &d)) Push(so, &so->out, &so->nout, &so->out_cap, d, tid);
        if (g % kInterruptEvery == 0) CHECK_FOR_INTERRUPTS();
    }
    return true;
}

// Scans the exact delta into the output batch and records its TIDs in `seen`, consistently with
// the graph version in so->meta. A delta merge (merge.cpp) switches the metapage to the new
// graph first and only then removes the merged rows from the delta; a scan that read the
// metapage before the switch and the delta after the removal would find those rows in neither
// place. The removal follows the switch, so if the metapage still names the same graph after the
// delta was read, every row missing from the delta is in that graph; otherwise the scan re-reads
// the delta against the new graph. Merges take a heap lock that serializes them and run for
// milliseconds at least, so a retry is rare and a second one rarer still.
static void ScanDeltaConsistently(IndexScanDesc scan, ScanOpaque* so) {
    for (int attempt = 0;; attempt++) {
        HASHCTL ctl;
        memset(&ctl, 0, sizeof(ctl));
        ctl.keysize = sizeof(int64);
        ctl.entrysize = sizeof(int64);
        ctl.hcxt = so->query_cxt;
        if (so->seen != nullptr) hash_destroy(so->seen);
        so->seen = hash_create("jadevector hnsw seen", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        so->nout = 0;
        ScanRawList(scan, so, 0);  // the delta: exact
        // Remember the delta's TIDs: after a crash in the middle of a delta merge a row can be
        // in the graph and still in the delta; it must be returned once.
        for (int64 i = 0; i < so->nout; i++) {
            int64 key = so->out[i].id | kDeltaTidTag;
            hash_search(so->seen, &key, HASH_ENTER, nullptr);
        }
        JadeMetaPageData now;
        ReadMeta(scan->indexRelation, &now);
        if (now.build_id == so->meta.build_id && now.cache_version == so->meta.cache_version) return;
        if (attempt >= kMaxDeltaRetries)
            ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                            errmsg("index \"%s\" changed during %d consecutive scans of its delta",
                                   RelationGetRelationName(scan->indexRelation), attempt + 1),
                            errdetail("Concurrent HNSW delta merges kept replacing the graph.")));
        so->meta = now;
    }
}

// Produces the next HNSW batch: a graph search with a larger ef, plus (first time) the delta.
static bool RefillHnsw(IndexScanDesc scan, ScanOpaque* so) {
    const JadeMetaPageData& m = so->meta;
    bool first = so->cur_ef == 0;
    if (!first && so->iterative && so->cur_ef >= static_cast<int64>(m.graph_ntotal) &&
        (so->max_visit == 0 || so->cur_ef < so->max_visit))
        return RefillHnswExhaustive(scan, so);
    if (!first && (!so->iterative || so->cur_ef >= static_cast<int64>(m.graph_ntotal))) return false;
    if (!first && so->max_visit > 0 && so->cur_ef >= so->max_visit) return false;
    // pgvector's memory bound for iterative scans: work_mem x hnsw.scan_mem_multiplier for what
    // the scan keeps (returned ids, batches).
    if (!first && so->meta.am_kind == kAmHnsw &&
        static_cast<double>(MemoryContextMemAllocated(so->query_cxt, true)) >
            static_cast<double>(work_mem) * 1024.0 * hnsw_scan_mem_multiplier)
        return false;
    if (first) {
        ScanDeltaConsistently(scan, so);
        so->cur_ef = so->ef;
    } else {
        so->cur_ef = static_cast<int>(std::min<int64>(static_cast<int64>(so->cur_ef) * 2, INT_MAX / 2));
        if (so->max_visit > 0) so->cur_ef = static_cast<int>(std::min<int64>(so->cur_ef, so->max_visit));
    }
    if (m.graph_ntotal == 0) {
        so->cur_ef = INT_MAX / 2;
        return first;
    }
    int64 k = std::min<int64>(so->cur_ef, static_cast<int64>(m.graph_ntotal));
    EngineHnsw* graph = CachedHnsw(scan->indexRelation, &m);
    float* D = static_cast<float*>(palloc(sizeof(float) * k));
    int64* I = static_cast<int64*>(palloc(sizeof(int64) * k));
    int ef = Max(so->cur_ef, static_cast<int>(k));
    const float* q = so->query;
    jade::pg::CallCpp([&]() { EngineHnswSearch(graph, q, k, ef, D, I); });
    so->visited = so->cur_ef;
    for (int64 i = 0; i < k; i++) {
        if (i % kInterruptEvery == kInterruptEvery - 1) CHECK_FOR_INTERRUPTS();
        if (I[i] < 0) continue;
        bool found;
        hash_search(so->seen, &I[i], HASH_ENTER, &found);
        if (found) continue;
        int64 tid = IdMapLookup(scan->indexRelation, &m, I[i]);
        if (tid < 0) continue;  // tombstone: removed by VACUUM
        int64 delta_key = tid | kDeltaTidTag;
        if (hash_search(so->seen, &delta_key, HASH_FIND, nullptr) != nullptr) continue;
        double d;
        if (m.lossy) {
            if (!HeapDistance(scan, so, tid, &d)) continue;
        } else {
            d = D[i];
        }
        Push(so, &so->out, &so->nout, &so->out_cap, d, tid);
    }
    pfree(D);
    pfree(I);
    return true;
}

// Walks every entry without distances (NULL or directionless query): lists, then the id map.
static bool RefillAnyOrder(IndexScanDesc scan, ScanOpaque* so) {
    if (so->done) return false;
    so->done = true;
    for (uint32 l = 0; l < so->meta.nlist; l++) {
        JadeListDirEntry dir = ReadDirEntry(scan->indexRelation, l);
        for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
            Buffer buf = ReadBuffer(scan->indexRelation, blk);
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            Page page = BufferGetPage(buf);
            for (uint32 i = 0; i < ListPageHeader(page)->count; i++)
                Push(so, &so->out, &so->nout, &so->out_cap, 0.0, ListPageIds(page)[i]);
            blk = PageOpaque(page)->next;
            UnlockReleaseBuffer(buf);
            CHECK_FOR_INTERRUPTS();
        }
    }
    for (uint64 g = 0; g < so->meta.graph_ntotal; g++) {
        int64 tid = IdMapLookup(scan->indexRelation, &so->meta, static_cast<int64>(g));
        if (tid >= 0) Push(so, &so->out, &so->nout, &so->out_cap, 0.0, tid);
        if (g % kInterruptEvery == 0) CHECK_FOR_INTERRUPTS();
    }
    return true;
}

// Fills the output batch with the next results; false when the scan is over.
static bool Refill(IndexScanDesc scan, ScanOpaque* so) {
    MemoryContext old = MemoryContextSwitchTo(so->query_cxt);
    so->nout = 0;
    bool more;
    if (so->any_order) {
        more = RefillAnyOrder(scan, so);
    } else {
        switch (so->meta.family) {
            case kFamilyFlat:
                more = !so->done;
                if (more) ScanRawList(scan, so, 0);
                so->done = true;
                break;
            case kFamilyHnsw:
                more = RefillHnsw(scan, so);
                break;
            default:
                elog(ERROR, "jadevector: unknown index family %u", so->meta.family);
        }
        Heapify(so->out, so->nout);
    }
    MemoryContextSwitchTo(old);
    return more;
}

bool jadegettuple(IndexScanDesc scan, ScanDirection dir) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    if (!so->started) StartScan(scan, so);
    Candidate c;
    bool ivf = so->meta.family == kFamilyIvf && !so->any_order;
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ivf) {
            if (!NextIvfRow(scan, so, &c)) return false;
        } else {
            // Batches can come back empty (every graph id already returned): keep asking.
            while (so->nout == 0) {
                CHECK_FOR_INTERRUPTS();
                if (!Refill(scan, so)) return false;
            }
            c = PopMin(so->out, &so->nout);
        }
        // Strict order: a later batch may find rows closer than one already returned; they are
        // dropped rather than returned out of order.
        if (so->strict && so->have_last && !so->any_order && c.distance < so->last_distance) continue;
        break;
    }
    IdToTid(c.id, &scan->xs_heaptid);
    scan->xs_recheck = false;
    scan->xs_recheckorderby = false;
    if (scan->numberOfOrderBys > 0) {
        scan->xs_orderbyvals[0] = Float8GetDatum(c.distance);
        scan->xs_orderbynulls[0] = so->any_order;
    }
    so->have_last = !so->any_order;
    so->last_distance = c.distance;
    return true;
}

void jadeendscan(IndexScanDesc scan) {
    auto* so = static_cast<ScanOpaque*>(scan->opaque);
    if (so->fetch != nullptr) {
        table_index_fetch_end(so->fetch);
        ExecDropSingleTupleTableSlot(so->slot);
        FreeExecutorState(so->estate);
    }
    MemoryContextDelete(so->scan_cxt);
    pfree(so);
    scan->opaque = nullptr;
}

}  // namespace jade::ext::index
