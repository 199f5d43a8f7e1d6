// index/elements.cpp — element types of indexed columns and their working rows (elements.h).
#include "index/elements.h"

#include <cstring>

#include "distance/half.h"
#include "type/halfvec.h"
#include "type/vector.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "utils/syscache.h"
#include "utils/varbit.h"
}

namespace jade::ext::index {

// pgvector's bound for bit indexes; vector and halfvec indexes take their type's whole range.
inline constexpr uint32 kMaxIndexBits = 64000;

JadeElement IndexElement(Relation index) {
    // Called per row by builds and inserts: the last type looked up is remembered (a type's OID
    // never changes meaning while it exists).
    static Oid last_type = InvalidOid;
    static JadeElement last_element = kElementVector;
    Oid type = index->rd_opcintype[0];
    if (type == last_type) return last_element;
    if (type == BITOID) return kElementBit;
    HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for type %u", type);
    char name[NAMEDATALEN];
    strlcpy(name, NameStr(((Form_pg_type)GETSTRUCT(tup))->typname), sizeof(name));
    ReleaseSysCache(tup);
    JadeElement element = static_cast<JadeElement>(0);
    if (strcmp(name, "vector") == 0) element = kElementVector;
    if (strcmp(name, "halfvec") == 0) element = kElementHalfvec;
    if (element != 0) {
        last_type = type;
        last_element = element;
        return element;
    }
    char* amname = get_am_name(index->rd_rel->relam);
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("type not supported for %s index", amname ? amname : "this")));
    pg_unreachable();
}

uint32 ElementDims(JadeElement element, Datum value) {
    switch (element) {
        case kElementVector:
            return static_cast<uint32>(DatumGetVector(value)->dim);
        case kElementHalfvec:
            return static_cast<uint32>(DatumGetHalfVector(value)->dim);
        case kElementBit:
            return static_cast<uint32>(VARBITLEN(DatumGetVarBitP(value)));
    }
    elog(ERROR, "jadevector: unknown element type %u", element);
    pg_unreachable();
}

Size ElementRowBytes(JadeElement element, uint32 dims) {
    if (element == kElementBit) return (static_cast<Size>(dims) + 7) / 8;
    return sizeof(float) * static_cast<Size>(dims);
}

uint32 ElementMaxDims(JadeElement element) {
    switch (element) {
        case kElementVector:
            return VECTOR_MAX_DIM;
        case kElementHalfvec:
            return HALFVEC_MAX_DIM;
        case kElementBit:
            return kMaxIndexBits;
    }
    return 0;
}

void CheckIndexDims(Relation index, JadeElement element, uint32 dims) {
    char* amname = get_am_name(index->rd_rel->relam);
    if (TupleDescAttr(RelationGetDescr(index), 0)->atttypid == VARBITOID)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("type not supported for %s index", amname ? amname : "this")));
    if (dims > ElementMaxDims(element))
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("column cannot have more than %u dimensions for %s index", ElementMaxDims(element),
                               amname ? amname : "this")));
}

bool DecodeElement(JadeElement element, Datum value, uint32 dims, void* dst) {
    switch (element) {
        case kElementVector: {
            Vector* v = DatumGetVector(value);
            bool ok = static_cast<uint32>(v->dim) == dims;
            if (ok) memcpy(dst, v->x, sizeof(float) * dims);
            if (reinterpret_cast<Pointer>(v) != DatumGetPointer(value)) pfree(v);
            return ok;
        }
        case kElementHalfvec: {
            HalfVector* v = DatumGetHalfVector(value);
            bool ok = static_cast<uint32>(v->dim) == dims;
            if (ok) jade::ext::HalfToFloatArray(v->x, static_cast<float*>(dst), dims);
            if (reinterpret_cast<Pointer>(v) != DatumGetPointer(value)) pfree(v);
            return ok;
        }
        case kElementBit: {
            VarBit* v = DatumGetVarBitP(value);
            bool ok = static_cast<uint32>(VARBITLEN(v)) == dims;
            if (ok) memcpy(dst, VARBITS(v), (static_cast<Size>(dims) + 7) / 8);
            if (reinterpret_cast<Pointer>(v) != DatumGetPointer(value)) pfree(v);
            return ok;
        }
    }
    elog(ERROR, "jadevector: unknown element type %u", element);
    pg_unreachable();
}

}  // namespace jade::ext::index
