// index/handler.cpp — the IndexAmRoutine of the faiss, hnsw and ivfflat access methods, and
// amvalidate for their operator classes.
//
// All three share one implementation; they differ in reloptions (options.cpp), in the factory
// string a build derives (ResolveBuildSpec) and in which GUCs a scan reads (scan.cpp), which the
// metapage records as am_kind.
#include "index/am.h"

extern "C" {
#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
}

namespace jade::ext::index {

// Returns the name of a build sub-phase for pg_stat_progress_create_index.
static char* JadeBuildPhaseName(int64 phase) {
    switch (phase) {
        case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
            return pstrdup("initializing");
        case kPhaseLoad:
            return pstrdup("loading tuples");
        case kPhaseTrain:
            return pstrdup("training");
        case kPhaseAdd:
            return pstrdup("adding vectors");
        case kPhaseWrite:
            return pstrdup("writing index pages");
    }
    return nullptr;
}

// Checks an operator class: one ORDER BY operator at strategy 1 returning float8, and support
// function 1 (the pgvector-named distance function) taking (type, type).
static bool JadeValidate(Oid opclassoid) {
    HeapTuple classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
    if (!HeapTupleIsValid(classtup)) elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
    Form_pg_opclass classform = (Form_pg_opclass)GETSTRUCT(classtup);
    Oid opfamilyoid = classform->opcfamily;
    Oid opcintype = classform->opcintype;
    char* opclassname = pstrdup(NameStr(classform->opcname));
    ReleaseSysCache(classtup);

    bool result = true;
    bool has_order_op = false;
    bool has_proc1 = false;
    CatCList* oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));
    for (int i = 0; i < oprlist->n_members; i++) {
        Form_pg_amop op = (Form_pg_amop)GETSTRUCT(&oprlist->members[i]->tuple);
        if (op->amopstrategy != 1 || op->amoppurpose != AMOP_ORDER) {
            ereport(INFO, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                           errmsg("operator class \"%s\" contains operator %s with unsupported strategy %d",
                                  opclassname, format_operator(op->amopopr), op->amopstrategy),
                           errdetail("Only strategy 1, an ORDER BY distance operator, is supported.")));
            result = false;
            continue;
        }
        if (op->amoplefttype == opcintype && op->amoprighttype == opcintype) has_order_op = true;
    }
    ReleaseCatCacheList(oprlist);

    CatCList* proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));
    for (int i = 0; i < proclist->n_members; i++) {
        Form_pg_amproc proc = (Form_pg_amproc)GETSTRUCT(&proclist->members[i]->tuple);
        if (proc->amprocnum == 1) {
            if (!check_amproc_signature(proc->amproc, FLOAT8OID, true, 2, 2, opcintype, opcintype)) {
                ereport(INFO, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                               errmsg("operator class \"%s\" has support function %s with a wrong signature",
                                      opclassname, format_procedure(proc->amproc))));
                result = false;
            }
            has_proc1 = true;
        } else if (proc->amprocnum != 2) {
            ereport(INFO, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                           errmsg("operator class \"%s\" contains support function %s with invalid number %d",
                                  opclassname, format_procedure(proc->amproc), proc->amprocnum)));
            result = false;
        }
    }
    ReleaseCatCacheList(proclist);

    if (!has_order_op || !has_proc1) {
        ereport(INFO, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                       errmsg("operator class \"%s\" needs an ORDER BY operator and support function 1",
                              opclassname)));
        result = false;
    }
    return result;
}

// Fills the routine fields common to the three AMs.
static IndexAmRoutine* MakeRoutine(ambuild_function build, amoptions_function options) {
    IndexAmRoutine* am = makeNode(IndexAmRoutine);
    am->amstrategies = 0;  // no search operators: ORDER BY only
    am->amsupport = 2;
    am->amoptsprocnum = 0;
    am->amcanorder = false;
    am->amcanorderbyop = true;
    am->amcanbackward = false;
    am->amcanunique = false;
    am->amcanmulticol = false;
    am->amoptionalkey = true;
    am->amsearcharray = false;
    am->amsearchnulls = false;
    am->amstorage = false;
    am->amclusterable = false;
    am->ampredlocks = false;
    am->amcanparallel = false;
    am->amcaninclude = false;
    am->amusemaintenanceworkmem = true;
    am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
    am->amkeytype = InvalidOid;

    am->ambuild = build;
    am->ambuildempty = jadebuildempty;
    am->aminsert = jadeinsert;
    am->ambulkdelete = jadebulkdelete;
    am->amvacuumcleanup = jadevacuumcleanup;
    am->amcanreturn = nullptr;
    am->amcostestimate = jadecostestimate;
    am->amoptions = options;
    am->amproperty = nullptr;  // PG's defaults describe us: orderable by distance, nothing else
    am->ambuildphasename = JadeBuildPhaseName;
    am->amvalidate = JadeValidate;
    am->amadjustmembers = nullptr;
    am->ambeginscan = jadebeginscan;
    am->amrescan = jaderescan;
    am->amgettuple = jadegettuple;
    am->amgetbitmap = nullptr;
    am->amendscan = jadeendscan;
    am->ammarkpos = nullptr;
    am->amrestrpos = nullptr;
    am->amestimateparallelscan = nullptr;
    am->aminitparallelscan = nullptr;
    am->amparallelrescan = nullptr;
    return am;
}

// Builds an index of the faiss access method.
static IndexBuildResult* FaissBuild(Relation heap, Relation index, IndexInfo* info) {
    return JadeBuild(heap, index, info, kAmFaiss);
}
// Builds an index of the hnsw access method.
static IndexBuildResult* HnswBuild(Relation heap, Relation index, IndexInfo* info) {
    return JadeBuild(heap, index, info, kAmHnsw);
}
// Builds an index of the ivfflat access method.
static IndexBuildResult* IvfflatBuild(Relation heap, Relation index, IndexInfo* info) {
    return JadeBuild(heap, index, info, kAmIvfflat);
}

}  // namespace jade::ext::index

extern "C" {
PG_FUNCTION_INFO_V1(faisshandler);
PG_FUNCTION_INFO_V1(hnswhandler);
PG_FUNCTION_INFO_V1(ivfflathandler);

// The handler of `USING faiss`.
Datum faisshandler(PG_FUNCTION_ARGS) {
    using namespace jade::ext::index;
    PG_RETURN_POINTER(MakeRoutine(FaissBuild, FaissOptions));
}

// The handler of `USING hnsw` (pgvector-compatible DDL).
Datum hnswhandler(PG_FUNCTION_ARGS) {
    using namespace jade::ext::index;
    PG_RETURN_POINTER(MakeRoutine(HnswBuild, HnswOptions));
}

// The handler of `USING ivfflat` (pgvector-compatible DDL).
Datum ivfflathandler(PG_FUNCTION_ARGS) {
    using namespace jade::ext::index;
    PG_RETURN_POINTER(MakeRoutine(IvfflatBuild, IvfflatOptions));
}
}
