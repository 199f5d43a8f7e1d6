// index/build.cpp — ambuild and ambuildempty.
//
// A build runs in up to two heap passes:
//   1. sample  (when dims, the default factory or IVF training need it): counts indexable rows,
//              learns the dimension from the first row when the column has no typmod, and keeps
//              a reservoir sample bounded by maintenance_work_mem for training;
//   2. add     Flat/IVF: vectors are encoded in batches and appended to the list pages;
//              HNSW: vectors are collected, the graph is built by FAISS (OpenMP with
//              jadevector.build_threads), serialized into a blob chain, and the id map written.
// Pages are written through shared buffers without WAL and WAL-logged at the end with
// log_newpage_range() — the same pages a replica or crash recovery will see.
//
// FAISS objects live behind opaque handles owned by an EngineOwner whose MemoryContext reset
// callback frees them, so an ERROR (cancel, bad row) anywhere in the build leaks nothing.
#include "index/am.h"

#include <algorithm>

#include <cstring>

#include "index/elements.h"
#include "index/engine.h"
#include "index/gucs.h"
#include "pg/guard.h"
#include "type/vector.h"

extern "C" {
#include "access/tableam.h"
#include "access/xloginsert.h"
#include "commands/progress.h"
#include "common/pg_prng.h"
#include "pgstat.h"
#include "commands/defrem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

namespace jade::ext::index {

inline constexpr int64 kMaxSampleRows = 262144;
inline constexpr int64 kAddBatchRows = 65536;
// Recall@10 the build calibrates the automatic nprobe / ef for (README.md "Calibration").
inline constexpr double kCalibrationRecall = 0.95;
// Lossy codes: re-ranking may lose this share of what nprobe lists hold, so their nprobe is
// calibrated for kCalibrationRecall / kRerankRetention.
inline constexpr double kRerankRetention = 0.99;
// ... and their re-rank depth must keep this share of what re-ranking every candidate reaches
// (above kRerankRetention: the sample's displaced queries are a little easier than new ones).
inline constexpr double kRerankKeep = 0.995;

// Engine handles owned by a memory context (freed when it is reset or deleted).
struct EngineOwner {
    EngineIvf* ivf;
    EngineHnsw* hnsw;
    MemoryContextCallback cb;
};

// Frees the engine handles of an owner.
static void FreeEngineOwner(void* arg) {
    auto* owner = static_cast<EngineOwner*>(arg);
    if (owner->ivf != nullptr) EngineIvfFree(owner->ivf);
    if (owner->hnsw != nullptr) EngineHnswFree(owner->hnsw);
    owner->ivf = nullptr;
    owner->hnsw = nullptr;
}

// Creates an owner whose handles die with cxt.
static EngineOwner* NewEngineOwner(MemoryContext cxt) {
    auto* owner = static_cast<EngineOwner*>(MemoryContextAllocZero(cxt, sizeof(EngineOwner)));
    owner->cb.func = FreeEngineOwner;
    owner->cb.arg = owner;
    MemoryContextRegisterResetCallback(cxt, &owner->cb);
    return owner;
}

struct BuildState {
    Relation heap;
    Relation index;
    BuildSpec spec;
    uint32 metric;
    JadeElement element;
    uint32 dims;       // 0 until known
    Size row_bytes;    // one working row (index/elements.h), 0 until dims is known
    MemoryContext tmp_cxt;
    bool sampling;
    // pass 1
    uint8* sample;  // sample_cap rows of row_bytes
    int64 sample_cap;
    int64 nsample;
    int64 nvalid;  // indexable rows seen in the sampling pass
    pg_prng_state prng;
    // pass 2
    uint8* batch;  // batch_cap rows of row_bytes
    int64* batch_ids;
    int64 nbatch;
    int64 batch_cap;
    int64* lists;
    uint8* codes;
    int64 nindexed;
    int64 nskipped_zero;
    double heap_tuples;
    int threads;  // OpenMP threads for training, encoding and the graph (BuildThreads)
    EngineOwner* owner;
    MemoryContext build_cxt;
};

// Prepares one heap row's vector into dst; returns false for NULLs and cosine zero vectors.
static bool BuildPrepare(BuildState* st, Datum value, bool isnull, uint8* dst) {
    if (isnull) return false;
    uint32 dim = ElementDims(st->element, value);
    if (dim != st->dims)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("column has vectors of different dimensions %u and %u", st->dims, dim),
                        errdetail("An index needs one dimension for all rows."),
                        errhint("Declare the column with a dimension, e.g. vector(%u).", st->dims)));
    bool ok = PrepareVector(st->index, st->metric, st->dims, value, dst);
    if (!ok) st->nskipped_zero++;
    return ok;
}

// Pass 1: reservoir-samples indexable vectors (Algorithm R, deterministic seed).
static void SampleCallback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
    auto* st = static_cast<BuildState*>(arg);
    MemoryContext old = MemoryContextSwitchTo(st->tmp_cxt);
    if (!isnull[0] && st->dims == 0) {
        st->dims = ElementDims(st->element, values[0]);
        st->row_bytes = ElementRowBytes(st->element, st->dims);
    }
    if (st->sample == nullptr && st->dims != 0) {
        Size budget = static_cast<Size>(maintenance_work_mem) * 1024L / 2;
        st->sample_cap = std::max<int64>(1, std::min<int64>(kMaxSampleRows, budget / st->row_bytes));
        st->sample = static_cast<uint8*>(MemoryContextAllocHuge(st->build_cxt, st->row_bytes * st->sample_cap));
    }
    uint8* slot = nullptr;
    if (st->sample != nullptr) {
        if (st->nsample < st->sample_cap) {
            slot = st->sample + st->nsample * st->row_bytes;
        } else {
            uint64 j = pg_prng_uint64_range(&st->prng, 0, static_cast<uint64>(st->nvalid));
            if (j < static_cast<uint64>(st->sample_cap)) slot = st->sample + j * st->row_bytes;
        }
    }
    uint8* scratch = static_cast<uint8*>(palloc(std::max<Size>(st->row_bytes, 1)));
    if (st->dims != 0 && BuildPrepare(st, values[0], isnull[0], scratch)) {
        if (slot != nullptr) {
            memcpy(slot, scratch, st->row_bytes);
            if (st->nsample < st->sample_cap) st->nsample++;
        }
        st->nvalid++;
    }
    st->heap_tuples++;
    MemoryContextSwitchTo(old);
    MemoryContextReset(st->tmp_cxt);
}

// Appends the batch to the list pages (Flat: list 0, raw vectors; IVF: assigned lists, codes).
static void FlushBatch(BuildState* st) {
    if (st->nbatch == 0) return;
    const BuildSpec& sp = st->spec;
    if (sp.family == kFamilyFlat) {
        ListAppend(st->index, sp.code_size, 0, static_cast<uint32>(st->nbatch), st->batch_ids, st->batch, false);
    } else {
        int64 n = st->nbatch;
        jade::pg::CallCpp([&]() {
            EngineIvfAssignEncode(st->owner->ivf, n, st->batch, st->lists, st->codes, st->threads);
        });
        // Group entries by list so each list's tail page is touched once per batch.
        int64* order = static_cast<int64*>(palloc(sizeof(int64) * n));
        int64* counts = static_cast<int64*>(palloc0(sizeof(int64) * (sp.nlist + 1)));
        for (int64 i = 0; i < n; i++) counts[st->lists[i] + 1]++;
        for (uint32 l = 0; l < sp.nlist; l++) counts[l + 1] += counts[l];
        int64* fill = static_cast<int64*>(palloc(sizeof(int64) * sp.nlist));
        memcpy(fill, counts, sizeof(int64) * sp.nlist);
        for (int64 i = 0; i < n; i++) order[fill[st->lists[i]]++] = i;
        int64* ids = static_cast<int64*>(palloc(sizeof(int64) * n));
        uint8* codes = static_cast<uint8*>(MemoryContextAllocHuge(CurrentMemoryContext, Size(n) * sp.code_size));
        for (int64 i = 0; i < n; i++) {
            ids[i] = st->batch_ids[order[i]];
            memcpy(codes + Size(i) * sp.code_size, st->codes + Size(order[i]) * sp.code_size, sp.code_size);
        }
        for (uint32 l = 0; l < sp.nlist; l++) {
            int64 lo = counts[l], hi = counts[l + 1];
            if (hi > lo)
                ListAppend(st->index, sp.code_size, l, static_cast<uint32>(hi - lo), ids + lo,
                           codes + Size(lo) * sp.code_size, false);
        }
        pfree(order);
        pfree(counts);
        pfree(fill);
        pfree(ids);
        pfree(codes);
    }
    st->nbatch = 0;
    CHECK_FOR_INTERRUPTS();
}

// Grows the batch arrays (HNSW collects every vector before building the graph).
static void GrowBatch(BuildState* st) {
    int64 cap = st->batch_cap * 2;
    st->batch = static_cast<uint8*>(repalloc_huge(st->batch, st->row_bytes * cap));
    st->batch_ids = static_cast<int64*>(repalloc_huge(st->batch_ids, sizeof(int64) * cap));
    st->batch_cap = cap;
}

// Pass 2: adds one heap row.
static void AddCallback(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
    auto* st = static_cast<BuildState*>(arg);
    if (!st->sampling) st->heap_tuples++;
    if (isnull[0]) return;
    if (st->nbatch == st->batch_cap) {
        if (st->spec.family == kFamilyHnsw)
            GrowBatch(st);
        else
            FlushBatch(st);
    }
    MemoryContext old = MemoryContextSwitchTo(st->tmp_cxt);
    bool ok = BuildPrepare(st, values[0], false, st->batch + st->nbatch * st->row_bytes);
    MemoryContextSwitchTo(old);
    MemoryContextReset(st->tmp_cxt);
    if (!ok) return;
    st->batch_ids[st->nbatch++] = TidToId(tid);
    st->nindexed++;
    if (st->nindexed % 1024 == 0) pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, st->nindexed);
}

// Writes the trained codec or built graph (held by the owner) as a blob chain.
static BlockNumber WriteEngineBlob(BuildState* st, bool hnsw, uint64* len_out) {
    const char* data = nullptr;
    size_t len = 0;
    jade::pg::CallCpp([&]() {
        if (hnsw)
            EngineHnswSerialize(st->owner->hnsw, &data, &len);
        else
            EngineIvfSerialize(st->owner->ivf, &data, &len);
    });
    *len_out = len;
    return WriteBlob(st->index, MAIN_FORKNUM, data, len, false);
}

// Says (at DEBUG1) which FAISS builds the index with how many threads: what is running, not what
// the build system meant to link.
static void LogBuild(BuildState* st) {
    const char* faiss = "";
    jade::pg::CallCpp([&]() { faiss = EngineFaissDescription(); });
    elog(DEBUG1, "jadevector: building \"%s\" (%s) with %d OpenMP thread%s; %s", RelationGetRelationName(st->index),
         st->spec.factory, st->threads, st->threads == 1 ? "" : "s", faiss);
}

// Falls back to the Flat family when there are too few rows to train the requested codec.
static void MaybeFallBackToFlat(BuildState* st) {
    BuildSpec& sp = st->spec;
    if (sp.family != kFamilyIvf) return;
    FactoryInfo info;
    memset(&info, 0, sizeof(info));
    info.family = sp.family;
    info.nlist = sp.nlist;
    info.code_size = sp.code_size;
    info.lossy = sp.lossy;
    strlcpy(info.normalized, sp.factory, sizeof(info.normalized));
    int64 min_rows = 0;
    jade::pg::CallCpp([&]() { min_rows = EngineMinTrainingRows(&info); });
    if (st->nsample >= min_rows) return;
    // An empty heap (CREATE INDEX before loading, TRUNCATE) says nothing worth a notice.
    ereport(st->nsample > 0 ? NOTICE : DEBUG1, (errmsg("too few rows to train \"%s\": %lld indexable rows, %lld needed", sp.factory,
                            (long long)st->nsample, (long long)min_rows),
                     errdetail("The index was built as an exact Flat index instead."),
                     errhint("Run REINDEX after loading more data to get the requested index.")));
    sp.family = kFamilyFlat;
    sp.nlist = 1;
    sp.lossy = false;
    sp.code_size = static_cast<uint32>(ElementRowBytes(st->element, sp.dims));
    strlcpy(sp.factory, "Flat", sizeof(sp.factory));
}

IndexBuildResult* JadeBuild(Relation heap, Relation index, IndexInfo* info, JadeAmKind am) {
    if (RelationGetNumberOfBlocks(index) != 0)
        elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
    TimestampTz start = GetCurrentTimestamp();
    MemoryContext build_cxt = AllocSetContextCreate(CurrentMemoryContext, "jadevector build", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(build_cxt);

    BuildState st;
    memset(&st, 0, sizeof(st));
    st.heap = heap;
    st.index = index;
    st.metric = IndexMetric(index);
    st.element = IndexElement(index);
    st.owner = NewEngineOwner(build_cxt);
    st.build_cxt = build_cxt;
    st.tmp_cxt = AllocSetContextCreate(build_cxt, "jadevector build tuple", ALLOCSET_DEFAULT_SIZES);
    pg_prng_seed(&st.prng, 0x4A414445);
    int32 typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
    st.dims = typmod > 0 ? static_cast<uint32>(typmod) : 0;
    st.row_bytes = ElementRowBytes(st.element, st.dims);

    // Pass 1 unless the family is explicit, untrained and the dimension known.
    pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseLoad);
    bool need_sample = true;
    if (st.dims != 0 && am == kAmHnsw) need_sample = false;
    if (need_sample) {
        st.sampling = true;
        table_index_build_scan(heap, index, info, true, true, SampleCallback, &st, nullptr);
        st.sampling = false;
    }
    // An empty table whose column has no typmod gives no dimension: options are checked against
    // a placeholder, and the index starts as an exact Flat index whose dimension the first
    // insert fixes (README.md "Dimensions").
    bool dims_unknown = st.dims == 0;
    if (!dims_unknown) CheckIndexDims(index, st.element, st.dims);
    ResolveBuildSpec(index, am, dims_unknown ? 8 : st.dims,
                     need_sample ? static_cast<double>(st.nvalid) : heap->rd_rel->reltuples, &st.spec);
    BuildSpec& sp = st.spec;
    if (dims_unknown) {
        sp.family = kFamilyFlat;
        sp.nlist = 1;
        sp.lossy = false;
        sp.dims = 0;
        sp.code_size = 0;
        strlcpy(sp.factory, "Flat", sizeof(sp.factory));
    } else if (need_sample) {
        MaybeFallBackToFlat(&st);
    }

    // Block 0 (metapage, written last) and the list directory.
    Buffer metabuf = NewBuffer(index, MAIN_FORKNUM);
    InitPage(BufferGetPage(metabuf), kPageMeta);
    MarkBufferDirty(metabuf);
    UnlockReleaseBuffer(metabuf);
    uint32 list_count = sp.family == kFamilyIvf ? sp.nlist : 1;
    uint32 dir_blocks = WriteEmptyDirectory(index, MAIN_FORKNUM, list_count);

    JadeMetaPageData meta;
    memset(&meta, 0, sizeof(meta));
    meta.blob_head = InvalidBlockNumber;
    meta.idmap_head = InvalidBlockNumber;
    st.threads = BuildThreads(static_cast<int64>(need_sample ? st.nvalid : heap->rd_rel->reltuples));
    if (sp.family == kFamilyIvf) {
        LogBuild(&st);
        pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseTrain);
        int64 n = st.nsample;
        jade::pg::CallCpp([&]() {
            st.owner->ivf = EngineIvfTrain(sp.factory, sp.dims, sp.metric, st.sample, n, st.threads);
        });
        meta.blob_head = WriteEngineBlob(&st, false, &meta.blob_bytes);
        uint32 auto_nprobe = 0;
        double coverage = sp.lossy ? kCalibrationRecall / kRerankRetention : kCalibrationRecall;
        double rerank = 0.0;
        jade::pg::CallCpp([&]() {
            auto_nprobe = EngineIvfCalibrate(st.owner->ivf, st.sample, n, coverage, st.threads);
            if (sp.lossy)
                rerank = EngineIvfCalibrateRerank(st.owner->ivf, st.sample, n, auto_nprobe, kCalibrationRecall,
                                                  kRerankKeep);
        });
        meta.auto_nprobe = std::min(auto_nprobe, sp.nlist);
        meta.auto_rerank = static_cast<float4>(rerank);
    }
    if (st.sample != nullptr) {
        pfree(st.sample);
        st.sample = nullptr;
    }

    // Pass 2.
    pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, sp.family == kFamilyHnsw ? kPhaseLoad : kPhaseAdd);
    pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, st.nvalid);
    Size batch_row = std::max<Size>(ElementRowBytes(st.element, sp.dims), 1);
    st.row_bytes = ElementRowBytes(st.element, sp.dims);
    st.batch_cap = sp.family == kFamilyHnsw ? 1024
                                            : std::max<int64>(1024, std::min<int64>(kAddBatchRows,
                                                                          static_cast<int64>(maintenance_work_mem) *
                                                                              1024L / 4 / batch_row));
    st.batch = static_cast<uint8*>(MemoryContextAllocHuge(build_cxt, batch_row * st.batch_cap));
    st.batch_ids = static_cast<int64*>(MemoryContextAllocHuge(build_cxt, sizeof(int64) * st.batch_cap));
    if (sp.family == kFamilyIvf) {
        st.lists = static_cast<int64*>(MemoryContextAllocHuge(build_cxt, sizeof(int64) * st.batch_cap));
        st.codes = static_cast<uint8*>(MemoryContextAllocHuge(build_cxt, Size(sp.code_size) * st.batch_cap));
    }
    st.heap_tuples = 0;
    st.nskipped_zero = 0;
    table_index_build_scan(heap, index, info, true, true, AddCallback, &st, nullptr);

    if (sp.family == kFamilyHnsw) {
        Size est = Size(st.nindexed) * (sizeof(float) * sp.dims + sp.hnsw_m * 2 * sizeof(int32) * 2);
        if (est > static_cast<Size>(maintenance_work_mem) * 1024L)
            ereport(NOTICE, (errmsg("hnsw graph does not fit into maintenance_work_mem"),
                             errdetail("The graph needs about %zu MB; FAISS builds it in memory regardless.",
                                       est >> 20)));
        pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseAdd);
        int64 n = st.nindexed;
        if (n > 0) {
            st.threads = BuildThreads(n);
            LogBuild(&st);
            jade::pg::CallCpp([&]() {
                st.owner->hnsw = EngineHnswBuild(sp.factory, sp.dims, sp.metric, reinterpret_cast<float*>(st.batch), n,
                                                 sp.ef_construction, st.threads);
            });
            pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, kPhaseWrite);
            meta.blob_head = WriteEngineBlob(&st, true, &meta.blob_bytes);
            meta.idmap_head = WriteIdMap(index, st.batch_ids, n, &meta.idmap_blocks, false);
            int auto_ef = 0;
            jade::pg::CallCpp([&]() {
                auto_ef = EngineHnswCalibrate(st.owner->hnsw, reinterpret_cast<float*>(st.batch), n, kCalibrationRecall,
                                              st.threads);
            });
            meta.auto_ef = auto_ef;
        }
        meta.graph_ntotal = n;
    } else {
        FlushBatch(&st);
    }
    pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, st.nindexed);

    meta.magic = kJadeMagic;
    meta.format_version = kJadeFormatVersion;
    meta.am_kind = am;
    meta.family = sp.family;
    meta.metric = sp.metric;
    meta.dims = sp.dims;
    // HNSW lists hold the raw-vector delta; IVF lists hold codec codes; Flat raw vectors.
    meta.code_size = sp.family == kFamilyIvf ? sp.code_size : static_cast<uint32>(ElementRowBytes(st.element, sp.dims));
    meta.lossy = sp.lossy ? 1 : 0;
    meta.build_id = (static_cast<uint64>(start) << 16) ^ static_cast<uint64>(MyProcPid) ^
                    (static_cast<uint64>(RelationGetRelid(index)) << 40);
    meta.cache_version = 1;
    meta.nlist = list_count;
    meta.dir_blocks = dir_blocks;
    meta.hnsw_m = sp.hnsw_m;
    meta.hnsw_ef_construction = sp.ef_construction;
    meta.build_seconds = static_cast<double>(GetCurrentTimestamp() - start) / 1e6;
    strlcpy(meta.factory, sp.factory, sizeof(meta.factory));
    metabuf = ReadBuffer(index, kMetaBlock);
    LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
    WriteMetaPage(index, metabuf, &meta, false);
    UnlockReleaseBuffer(metabuf);

    if (RelationNeedsWAL(index))
        log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

    IndexBuildResult* result = static_cast<IndexBuildResult*>(palloc0(sizeof(IndexBuildResult)));
    result->heap_tuples = st.heap_tuples;
    result->index_tuples = static_cast<double>(st.nindexed);
    MemoryContextSwitchTo(old);
    // Copy the result out before the build context (and the engine handles) go away.
    IndexBuildResult* out = static_cast<IndexBuildResult*>(palloc(sizeof(IndexBuildResult)));
    *out = *result;
    MemoryContextDelete(build_cxt);
    return out;
}

void jadebuildempty(Relation index) {
    // An unlogged index's init fork: an empty exact index (no data to train on). After a crash
    // the main fork is reset to it; README.md "Unlogged tables".
    int32 typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
    uint32 dims = typmod > 0 ? static_cast<uint32>(typmod) : 0;
    JadeMetaPageData meta;
    memset(&meta, 0, sizeof(meta));
    meta.magic = kJadeMagic;
    meta.format_version = kJadeFormatVersion;
    // The AM decides which GUCs steer scans, also after a crash reset the index to this fork.
    char* amname = get_am_name(index->rd_rel->relam);
    meta.am_kind = amname && strcmp(amname, "hnsw") == 0
                       ? kAmHnsw
                       : (amname && strcmp(amname, "ivfflat") == 0 ? kAmIvfflat : kAmFaiss);
    meta.family = kFamilyFlat;
    meta.metric = IndexMetric(index);
    meta.dims = dims;
    meta.code_size = static_cast<uint32>(ElementRowBytes(IndexElement(index), dims));
    meta.build_id = static_cast<uint64>(GetCurrentTimestamp());
    meta.cache_version = 1;
    meta.nlist = 1;
    meta.blob_head = InvalidBlockNumber;
    meta.idmap_head = InvalidBlockNumber;
    strlcpy(meta.factory, "Flat", sizeof(meta.factory));
    Buffer metabuf = NewBuffer(index, INIT_FORKNUM);
    meta.dir_blocks = 0;
    InitPage(BufferGetPage(metabuf), kPageMeta);
    MarkBufferDirty(metabuf);
    UnlockReleaseBuffer(metabuf);
    meta.dir_blocks = WriteEmptyDirectory(index, INIT_FORKNUM, 1);
    metabuf = ReadBufferExtended(index, INIT_FORKNUM, kMetaBlock, RBM_NORMAL, nullptr);
    LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
    WriteMetaPage(index, metabuf, &meta, false);
    UnlockReleaseBuffer(metabuf);
    log_newpage_range(index, INIT_FORKNUM, 0, RelationGetNumberOfBlocksInFork(index, INIT_FORKNUM), true);
}

}  // namespace jade::ext::index
