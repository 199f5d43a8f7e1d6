// index/insert.cpp — aminsert: every inserted row is searchable as soon as its transaction commits.
//
//   Flat  the raw vector is appended to list 0;
//   IVF   the cached codec assigns the vector to its nearest list and encodes it there;
//   HNSW  the raw vector is appended to the delta list, which scans search exactly and merge with
//         the graph's results (README.md "HNSW delta").
// Each append is one GenericXLog record per page touched (crash-safe, replicated).
#include "index/am.h"

#include <cstring>

#include "index/elements.h"
#include "index/engine.h"
#include "pg/guard.h"
#include "type/vector.h"

extern "C" {
#include "utils/memutils.h"
}

namespace jade::ext::index {

// Fixes the dimension of an index built on an empty table without typmod (first insert wins).
static void FixDimensions(Relation index, JadeMetaPageData* meta, uint32 dims) {
    CheckIndexDims(index, IndexElement(index), dims);
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    PageEdit edit;
    EditBegin(&edit, index, true);
    JadeMetaPage m = PageMeta(EditPage(&edit, buf, false));
    if (m->dims == 0) {
        m->dims = dims;
        m->code_size = static_cast<uint32>(ElementRowBytes(IndexElement(index), dims));
        m->change_count++;
    }
    *meta = *m;
    EditFinish(&edit);
    UnlockReleaseBuffer(buf);
}

bool jadeinsert(Relation index, Datum* values, bool* isnull, ItemPointer heap_tid, Relation heap,
                IndexUniqueCheck check_unique, bool index_unchanged, IndexInfo* info) {
    if (isnull[0]) return false;
    MemoryContext insert_cxt =
        AllocSetContextCreate(CurrentMemoryContext, "jadevector insert", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(insert_cxt);

    JadeMetaPageData meta;
    ReadMeta(index, &meta);
    JadeElement element = IndexElement(index);
    if (meta.dims == 0) FixDimensions(index, &meta, ElementDims(element, values[0]));
    uint8* x = static_cast<uint8*>(palloc(ElementRowBytes(element, meta.dims)));
    if (PrepareVector(index, meta.metric, meta.dims, values[0], x)) {
        int64 id = TidToId(heap_tid);
        if (meta.family == kFamilyIvf) {
            EngineIvf* ivf = CachedIvf(index, &meta);
            int64 list_no = -1;
            uint8* code = static_cast<uint8*>(palloc(meta.code_size));
            jade::pg::CallCpp([&]() { EngineIvfAssignEncode(ivf, 1, x, &list_no, code, 1); });
            if (list_no < 0 || static_cast<uint32>(list_no) >= meta.nlist)
                elog(ERROR, "jadevector: codec assigned list %lld of %u", (long long)list_no, meta.nlist);
            ListAppend(index, meta.code_size, static_cast<uint32>(list_no), 1, &id, code, true);
        } else {
            ListAppend(index, meta.code_size, 0, 1, &id, x, true);
        }
    }
    MemoryContextSwitchTo(old);
    MemoryContextDelete(insert_cxt);
    return false;
}

}  // namespace jade::ext::index
