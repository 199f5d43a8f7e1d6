// index/info.cpp — jadevector_index_info(regclass): what an index holds, read from its pages.
//
// For operators and tests: the resolved factory (including a Flat fallback), metric, dimension,
// list and graph sizes, tombstones and the HNSW delta — the facts that explain a plan or a recall
// number. Plain PG-regime code: no engine object is touched.
#include "index/am.h"

extern "C" {
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace jade::ext::index {

// Counts the entries of one list.
static int64 CountList(Relation index, uint32 list_no) {
    int64 n = 0;
    JadeListDirEntry dir = ReadDirEntry(index, list_no);
    for (BlockNumber blk = dir.head; blk != InvalidBlockNumber;) {
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        n += ListPageHeader(page)->count;
        blk = PageOpaque(page)->next;
        UnlockReleaseBuffer(buf);
    }
    return n;
}

static const char* FamilyName(uint32 family) {
    switch (family) {
        case kFamilyFlat:
            return "flat";
        case kFamilyIvf:
            return "ivf";
        case kFamilyHnsw:
            return "hnsw";
    }
    return "unknown";
}

}  // namespace jade::ext::index

extern "C" {
PG_FUNCTION_INFO_V1(jadevector_index_info);

// Returns one row describing a jadevector index.
Datum jadevector_index_info(PG_FUNCTION_ARGS) {
    using namespace jade::ext::index;
    Oid relid = PG_GETARG_OID(0);
    TupleDesc tupdesc;
    if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "return type must be a row type");
    Relation index = relation_open(relid, AccessShareLock);
    if (index->rd_rel->relkind != RELKIND_INDEX)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("\"%s\" is not an index", RelationGetRelationName(index))));
    JadeMetaPageData meta;
    ReadMeta(index, &meta);
    int64 entries = 0;
    for (uint32 l = 0; l < meta.nlist; l++) entries += CountList(index, l);
    int64 tombstones = 0;
    for (uint64 g = 0; g < meta.graph_ntotal; g++)
        if (IdMapLookup(index, &meta, static_cast<int64>(g)) < 0) tombstones++;
    const char* am = meta.am_kind == kAmHnsw ? "hnsw" : (meta.am_kind == kAmIvfflat ? "ivfflat" : "faiss");
    Datum values[14];
    bool nulls[14] = {false};
    values[0] = CStringGetTextDatum(am);
    values[1] = CStringGetTextDatum(FamilyName(meta.family));
    values[2] = CStringGetTextDatum(meta.factory);
    values[3] = CStringGetTextDatum(MetricName(meta.metric));
    values[4] = Int32GetDatum(static_cast<int32>(meta.dims));
    values[5] = Int32GetDatum(meta.family == kFamilyIvf ? static_cast<int32>(meta.nlist) : 0);
    // Flat/IVF: live list entries; HNSW: the lists hold the delta.
    values[6] = Int64GetDatum(meta.family == kFamilyHnsw ? 0 : entries);
    values[7] = Int64GetDatum(static_cast<int64>(meta.graph_ntotal) - tombstones);
    values[8] = Int64GetDatum(tombstones);
    values[9] = Int64GetDatum(meta.family == kFamilyHnsw ? entries : 0);
    values[10] = Int32GetDatum(static_cast<int32>(meta.auto_nprobe));
    values[11] = Int32GetDatum(meta.auto_ef);
    values[12] = Int32GetDatum(static_cast<int32>(meta.format_version));
    values[13] = Float4GetDatum(meta.auto_rerank);
    relation_close(index, AccessShareLock);
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
}
