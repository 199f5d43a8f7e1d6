// index/scan_ivf.cpp — IVF scans that return rows in (near-)exact distance order across lists.
//
// The lists are ranked once by the distance from the query to their centroid. The first probe
// scores the nearest `nprobe` lists in place (page by page through the buffer manager, FAISS's
// InvertedListScanner on the backend thread). Every scored row goes into a min-heap that lives
// for the whole scan, so rows of later probes merge with those of earlier ones in exact order.
// The closest row in the heap is returned when
//   (a) the scan has scored at least G index entries per row returned so far (itself included),
//       or fewer than 40 rows were returned (kRowsFromFirstProbe), or
//   (b) no list may be probed any more (all probed, iterative scan off, or a bound reached);
// otherwise the next lists are probed first (a quarter of the lists probed so far, at least one:
// growing batches). G is kProbeAheadRowsPerResult (8; strict_order 32).
//
// Why this works: an unfiltered LIMIT k query is served from the first nprobe lists exactly as
// before — (a) lets the first 40 rows out, and 1/G of the rows of the first lists, which usually
// hold thousands; probing ahead for the 8th row of a 62-row list made LIMIT 10 results come out
// of order (pg_regress 31_faiss_ivf, "ivf 1 list"), which nprobe 1 never did. A filtered query
// asks for many more rows (1/selectivity per match), so (a) makes the scan probe deeper, in
// proportion to what it has returned, before it hands out the far rows of the first lists: the
// rows it returns are the nearest of G times as many scored rows. The old scan returned every
// row of each batch before probing the next, so a 1% filter got the matching rows of the first
// ~10 lists in list order (recall@10 0.44 on the filter test's data).
//
// A strict lower bound on unprobed lists would make the order exact, but none is useful here: a
// row x of list l satisfies |q - x| >= |q - c_l| - radius_l, yet in high dimension residuals are
// nearly orthogonal to q - c_l (|q - x|² ≈ |q - c_l|² + |x - c_l|²) and that bound is near zero
// for every list. On the filter test's data (10K clustered 32-d, 64 lists, 1% filter) waiting for
// the radius bound (even with each list's median radius) probed 62-64 of the 64 lists for every
// query, the Voronoi half-space bound all 64, while the true 10 nearest matching rows lie within
// the first 15 lists on average (30 at most). Treating the nearest unprobed centroid's distance
// as the bound was cheaper (0.42 vs 0.75 ms per 1%-filtered query) but lost recall (0.94 vs
// 0.98 for IVF64,Flat, 0.91 vs 0.93 for IVF64,PQ8): rows do come closer than their centroid.
//
// strict_order drops a row that is closer than one already returned (executor-rejected rows
// included), so it probes further ahead: with G = 8 it lost 18% of the true rows to drops at 1%
// selectivity, with 32 1%.
//
// Lossy codes (SQ8, PQ) enter a second heap with approximate distances; before a row is
// returned, the best of them are re-ranked with exact distances from the heap tuple into the
// output heap until rerank_depth candidates per 10 rows returned (rounded up) have been: a LIMIT
// 10 query returns the exact order of the rerank_depth best approximate candidates, and a
// filtered scan re-ranks deeper as it returns more rows. Waiting only until no candidate *looks*
// closer than the output's best is not enough: PQ distances err both ways, and rows re-ranked
// later came out closer than rows already returned. Candidates whose tuple is gone (pruned) are
// dropped: they are dead for every snapshot.
#include "index/scan.h"

#include <algorithm>
#include <cmath>

#include "pg/guard.h"

extern "C" {
#include "miscadmin.h"
#include "utils/memutils.h"
}

namespace jade::ext::index {

// Index entries scored per row returned (file comment); strict_order drops rows found after a
// farther one was returned, so it probes further ahead.
inline constexpr int64 kProbeAheadRowsPerResult = 8;
inline constexpr int64 kStrictProbeAheadRowsPerResult = 32;
// Rows the first probe returns without probing ahead: an unfiltered query with a LIMIT up to this
// is answered from the first nprobe lists in exact order, as nprobe promises.
inline constexpr int64 kRowsFromFirstProbe = 40;
// Lossy candidates re-ranked per step.
inline constexpr int kRerankStep = 32;
// The rerank depth is a number of candidates per this many rows returned.
inline constexpr int64 kRerankRowsPerDepth = 10;

// Ranks the lists for the query and starts the engine's list scanner.
static void StartIvf(IndexScanDesc scan, ScanOpaque* so) {
    const JadeMetaPageData& m = so->meta;
    EngineIvf* ivf = CachedIvf(scan->indexRelation, &m);
    so->list_order = static_cast<int64*>(MemoryContextAllocHuge(so->query_cxt, sizeof(int64) * m.nlist));
    so->list_dist = static_cast<float*>(MemoryContextAllocHuge(so->query_cxt, sizeof(float) * m.nlist));
    const float* q = so->query;
    int64* lo = so->list_order;
    float* ld = so->list_dist;
    jade::pg::CallCpp([&]() {
        EngineIvfRankLists(ivf, q, lo, ld);
        so->scanner = EngineIvfScannerBegin(ivf, q);
    });
}

// Scores every entry of one IVF list into the output heap (exact codes) or the pending heap.
static void ScanIvfList(IndexScanDesc scan, ScanOpaque* so, uint32 list_no, float coarse_dis) {
    Relation index = scan->indexRelation;
    const JadeMetaPageData& m = so->meta;
    EngineIvfScanner* sc = so->scanner;
    int64 ln = list_no;
    jade::pg::CallCpp([&]() { EngineIvfScannerSetList(sc, ln, coarse_dis); });
    JadeListDirEntry dir = ReadDirEntry(index, list_no);
    float* dis = static_cast<float*>(palloc(sizeof(float) * ListCapacity(m.code_size)));
    uint8* scratch = ListIsOverflow(m.code_size) ? static_cast<uint8*>(palloc(m.code_size)) : nullptr;
    for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        JadeListPageHeader* hdr = ListPageHeader(page);
        const int64* ids = ListPageIds(page);
        const uint8* slots = ListPageSlots(page);
        uint32 n = hdr->count;
        if (scratch == nullptr) {
            // The scanner only reads the page image; the share lock keeps it stable meanwhile.
            jade::pg::CallCpp([&]() { EngineIvfScannerScore(sc, n, slots, dis); });
        } else {
            for (uint32 i = 0; i < n; i++) {
                const uint8* code = ListEntryCode(index, slots + i * sizeof(BlockNumber), m.code_size, scratch);
                jade::pg::CallCpp([&]() { EngineIvfScannerScore(sc, 1, code, dis + i); });
            }
        }
        for (uint32 i = 0; i < n; i++) {
            if (m.lossy)
                HeapPush(so, &so->pending, &so->npending, &so->pending_cap, dis[i], ids[i]);
            else
                HeapPush(so, &so->out, &so->nout, &so->out_cap, dis[i], ids[i]);
        }
        so->visited += n;
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
        CHECK_FOR_INTERRUPTS();
    }
    pfree(dis);
    if (scratch != nullptr) pfree(scratch);
}

// Whether the scan may probe another list: the first probe always; later ones only in an
// iterative scan, while lists and the AM's bounds (ivfflat.max_probes, max_scan_tuples) remain.
static bool MayProbeMore(const ScanOpaque* so) {
    if (so->list_order == nullptr) return true;
    if (so->lists_probed > 0 && !so->iterative) return false;
    if (so->next_list >= static_cast<uint32>(so->max_lists)) return false;
    return so->max_visit == 0 || so->visited < so->max_visit;
}

// Probes the next lists: nprobe of them the first time, then a quarter of those probed so far.
static void ProbeMore(IndexScanDesc scan, ScanOpaque* so) {
    if (so->list_order == nullptr) StartIvf(scan, so);
    bool first = so->lists_probed == 0;
    uint32 batch = first ? static_cast<uint32>(so->nprobe) : Max(1u, so->lists_probed / 4);
    uint32 end = Min(static_cast<uint32>(so->max_lists), so->next_list + batch);
    MemoryContext old = MemoryContextSwitchTo(so->query_cxt);
    for (; so->next_list < end; so->next_list++) {
        int64 l = so->list_order[so->next_list];
        so->lists_probed++;
        if (l < 0) continue;
        ScanIvfList(scan, so, static_cast<uint32>(l), so->list_dist[so->next_list]);
        if (so->max_visit > 0 && so->visited >= so->max_visit) {
            so->next_list++;
            break;
        }
    }
    MemoryContextSwitchTo(old);
    // The calibrated re-rank depth: its share of what the first probe scored (calibrate.h).
    if (first && so->rerank_depth == 0)
        so->rerank_depth = Max(int64{kRerankStep}, static_cast<int64>(ceil(so->rerank_share * so->visited)));
}

// Re-ranks the next few approximate candidates exactly into the output heap.
static void RerankStep(IndexScanDesc scan, ScanOpaque* so) {
    CHECK_FOR_INTERRUPTS();
    MemoryContext old = MemoryContextSwitchTo(so->query_cxt);
    for (int i = 0; i < kRerankStep && so->npending > 0; i++) {
        Candidate c = PopMin(so->pending, &so->npending);
        so->reranked++;
        double d;
        if (HeapDistance(scan, so, c.id, &d)) HeapPush(so, &so->out, &so->nout, &so->out_cap, d, c.id);
    }
    MemoryContextSwitchTo(old);
}

// Candidates that may be re-ranked before the output's best row is trusted over them.
static int64 RerankBudget(const ScanOpaque* so) {
    int64 rows = Max(kRerankRowsPerDepth, so->emitted + 1);
    return so->rerank_depth * ((rows + kRerankRowsPerDepth - 1) / kRerankRowsPerDepth);
}

bool NextIvfRow(IndexScanDesc scan, ScanOpaque* so, Candidate* row) {
    if (so->list_order == nullptr) ProbeMore(scan, so);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (so->meta.lossy) {
            while (so->npending > 0 && (so->nout == 0 || so->reranked < RerankBudget(so))) RerankStep(scan, so);
        }
        bool more = MayProbeMore(so);
        if (so->nout == 0) {
            if (!more) return false;
            ProbeMore(scan, so);
            continue;
        }
        int64 per_row = so->strict ? kStrictProbeAheadRowsPerResult : kProbeAheadRowsPerResult;
        if (more && so->emitted >= kRowsFromFirstProbe && so->visited < per_row * (so->emitted + 1)) {
            ProbeMore(scan, so);
            continue;
        }
        *row = PopMin(so->out, &so->nout);
        so->emitted++;
        return true;
    }
}

}  // namespace jade::ext::index
