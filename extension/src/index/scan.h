// index/scan.h — INTERNAL to scan.cpp / scan_ivf.cpp: the state of one index scan and the
// candidate heaps both files use.
//
// scan.cpp owns the AM callbacks, the Flat and HNSW families and heap re-ranking; scan_ivf.cpp
// owns the IVF family's probe-ahead (README.md "Scans").
#pragma once

#include "index/am.h"
#include "index/engine.h"

extern "C" {
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "utils/hsearch.h"
}

namespace jade::ext::index {

struct Candidate {
    double distance;
    int64 id;  // heap TID as int64
};

struct ScanOpaque {
    JadeMetaPageData meta;
    MemoryContext scan_cxt;   // lives for the whole scan
    MemoryContext query_cxt;  // reset by every rescan
    bool started;
    bool done;
    bool any_order;  // NULL / zero query: every entry, distance NULL, storage order
    float* query;    // prepared (normalized for cosine); a working row (index/elements.h):
    float* raw_query;  // floats, or packed bits behind the float* for the bit metrics
    // settings
    bool iterative;
    bool strict;
    int nprobe;
    int64 max_visit;   // 0 = unlimited
    int max_lists;     // ivfflat.max_probes
    int ef;
    int64 rerank_depth;   // lossy codes: candidates re-ranked exactly per 10 rows returned (0: not yet known)
    double rerank_share;  // calibrated: rerank_depth = this share of the first probe's candidates
    // output: a min-heap of rows ready to return (IVF: kept across probes, see scan_ivf.cpp)
    Candidate* out;
    int64 nout;
    int64 out_cap;
    bool have_last;
    double last_distance;
    int64 visited;  // index entries scored
    int64 emitted;  // rows handed to the executor
    // IVF
    int64* list_order;
    float* list_dist;  // FAISS coarse distances, for the scanner
    uint32 next_list;
    uint32 lists_probed;
    EngineIvfScanner* scanner;
    MemoryContextCallback scanner_cb;
    Candidate* pending;  // lossy codes: approximate distances, a min-heap
    int64 npending;
    int64 pending_cap;
    int64 reranked;
    // HNSW
    int cur_ef;
    HTAB* seen;
    bool exhaustive_done;
    // heap re-ranking for lossy codes
    IndexFetchTableData* fetch;
    TupleTableSlot* slot;
    EState* estate;
    IndexInfo* index_info;
    float* heap_vec;
};

// Whether a comes before b in the output order.
inline bool Before(const Candidate& a, const Candidate& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
}

// Restores the min-heap property below position i.
inline void SiftDown(Candidate* heap, int64 n, int64 i) {
    Candidate x = heap[i];
    for (;;) {
        int64 child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && Before(heap[child + 1], heap[child])) child++;
        if (!Before(heap[child], x)) break;
        heap[i] = heap[child];
        i = child;
    }
    heap[i] = x;
}

// Turns an array into a min-heap in O(n): a LIMIT k query pops k entries in O(k log n) instead
// of sorting a whole batch of thousands of candidates.
inline void Heapify(Candidate* heap, int64 n) {
    for (int64 i = n / 2 - 1; i >= 0; i--) SiftDown(heap, n, i);
}

// Removes and returns the smallest candidate of a non-empty heap.
inline Candidate PopMin(Candidate* heap, int64* n) {
    Candidate top = heap[0];
    (*n)--;
    if (*n > 0) {
        heap[0] = heap[*n];
        SiftDown(heap, *n, 0);
    }
    return top;
}

// Appends a candidate to a growable array in the query context (not a heap operation).
void Push(ScanOpaque* so, Candidate** arr, int64* n, int64* cap, double distance, int64 id);

// Inserts a candidate into a min-heap kept in a growable array.
void HeapPush(ScanOpaque* so, Candidate** heap, int64* n, int64* cap, double distance, int64 id);

// Computes the exact operator distance of a row from its heap tuple; false when it is gone.
bool HeapDistance(IndexScanDesc scan, ScanOpaque* so, int64 id, double* distance);

// scan_ivf.cpp: the next IVF row in (near-)exact distance order; false when the scan is over.
bool NextIvfRow(IndexScanDesc scan, ScanOpaque* so, Candidate* row);

}  // namespace jade::ext::index
