// index/options.cpp — reloptions of the faiss, hnsw and ivfflat AMs, the metric of an index's
// opclass, and the resolution of (AM, options, metric, dims) into one validated factory string.
//
// The factory string is validated here — at CREATE INDEX and ALTER INDEX SET — long before
// FAISS sees it, because FAISS_ASSERT aborts the whole server (DEPENDENCIES.md §1).
#include "index/am.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "index/elements.h"
#include "index/engine.h"
#include "index/gucs.h"
#include "pg/guard.h"

extern "C" {
#include "access/reloptions.h"
#include "utils/guc_tables.h"
#include "utils/lsyscache.h"
}

namespace jade::ext::index {

static relopt_kind faiss_relopt_kind;
static relopt_kind hnsw_relopt_kind;
static relopt_kind ivfflat_relopt_kind;

// Checks a factory string's syntax when it is set (dims and metric are checked at build).
static void ValidateFactoryOption(const char* value) {
    if (value == nullptr || value[0] == '\0') return;
    if (strlen(value) >= kFactoryMaxLen)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("factory string is too long"),
                        errdetail("At most %d characters are allowed.", kFactoryMaxLen - 1)));
    FactoryInfo info;
    jade::pg::CallCpp([&]() { EngineParseFactory(value, 0, kMetricL2, &info); });
}

// Registers the reloption kinds of the three AMs (called from _PG_init).
void DefineIndexReloptions() {
    faiss_relopt_kind = add_reloption_kind();
    add_string_reloption(faiss_relopt_kind, "factory",
                         "FAISS index_factory string: Flat, IVFn,Flat, IVFn,SQ8, IVFn,PQm, HNSWm, HNSWm,SQ8", "",
                         ValidateFactoryOption, AccessExclusiveLock);
    add_int_reloption(faiss_relopt_kind, "ef_construction", "Size of the dynamic candidate list for HNSW builds",
                      kDefaultEfConstruction, 4, 1000, AccessExclusiveLock);

    hnsw_relopt_kind = add_reloption_kind();
    add_int_reloption(hnsw_relopt_kind, "m", "Max number of connections", kDefaultHnswM, 2, 100,
                      AccessExclusiveLock);
    add_int_reloption(hnsw_relopt_kind, "ef_construction", "Size of the dynamic candidate list for construction",
                      kDefaultEfConstruction, 4, 1000, AccessExclusiveLock);

    ivfflat_relopt_kind = add_reloption_kind();
    add_int_reloption(ivfflat_relopt_kind, "lists", "Number of inverted lists", kDefaultIvfflatLists, 1, 32768,
                      AccessExclusiveLock);
}

bytea* FaissOptions(Datum reloptions, bool validate) {
    static const relopt_parse_elt tab[] = {
        {"factory", RELOPT_TYPE_STRING, offsetof(FaissOptionsData, factory_offset)},
        {"ef_construction", RELOPT_TYPE_INT, offsetof(FaissOptionsData, ef_construction)},
    };
    return (bytea*)build_reloptions(reloptions, validate, faiss_relopt_kind, sizeof(FaissOptionsData), tab,
                                    lengthof(tab));
}

bytea* HnswOptions(Datum reloptions, bool validate) {
    static const relopt_parse_elt tab[] = {
        {"m", RELOPT_TYPE_INT, offsetof(HnswOptionsData, m)},
        {"ef_construction", RELOPT_TYPE_INT, offsetof(HnswOptionsData, ef_construction)},
    };
    return (bytea*)build_reloptions(reloptions, validate, hnsw_relopt_kind, sizeof(HnswOptionsData), tab,
                                    lengthof(tab));
}

bytea* IvfflatOptions(Datum reloptions, bool validate) {
    static const relopt_parse_elt tab[] = {
        {"lists", RELOPT_TYPE_INT, offsetof(IvfflatOptionsData, lists)},
    };
    return (bytea*)build_reloptions(reloptions, validate, ivfflat_relopt_kind, sizeof(IvfflatOptionsData), tab,
                                    lengthof(tab));
}

JadeMetric IndexMetric(Relation index) {
    Oid opfamily = index->rd_opfamily[0];
    Oid type = index->rd_opcintype[0];
    Oid op = get_opfamily_member(opfamily, type, type, 1);
    char* name = OidIsValid(op) ? get_opname(op) : nullptr;
    if (name != nullptr) {
        if (strcmp(name, "<->") == 0) return kMetricL2;
        if (strcmp(name, "<#>") == 0) return kMetricIp;
        if (strcmp(name, "<=>") == 0) return kMetricCosine;
        if (strcmp(name, "<+>") == 0) return kMetricL1;
        if (strcmp(name, "<~>") == 0) return kMetricHamming;
        if (strcmp(name, "<%>") == 0) return kMetricJaccard;
    }
    ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                    errmsg("operator class of index \"%s\" has no supported distance operator",
                           RelationGetRelationName(index)),
                    errhint("Use an operator class of <->, <#>, <=>, <+>, <~> or <%%>, e.g. vector_l2_ops.")));
    pg_unreachable();
}

// Whether nobody set a GUC (pg_settings.source = 'default': not in postgresql.conf, ALTER SYSTEM,
// ALTER DATABASE/ROLE, PGOPTIONS or SET). The lookup walks PostgreSQL's GUC table once per name:
// the entry of a custom variable is allocated once and never moves, so its address is kept.
static bool GucIsDefault(const char* name, const config_generic** cached) {
    if (*cached == nullptr) {
        config_generic** vars = get_guc_variables();
        int n = GetNumConfigOptions();
        for (int i = 0; i < n; i++) {
            if (strcmp(vars[i]->name, name) == 0) {
                *cached = vars[i];
                break;
            }
        }
        if (*cached == nullptr) return false;  // not defined (cannot happen once _PG_init ran)
    }
    return (*cached)->source == PGC_S_DEFAULT;
}

// The pgvector-compatible AMs keep pgvector's defaults visible (SHOW hnsw.ef_search is 40,
// ivfflat.probes 1) and honour any value someone set; only while a setting is at its default
// they use the breadth the build calibrated for 0.95 recall@10, never below pgvector's default
// (hnsw.ef_search also caps a first batch: a smaller ef would return fewer rows than pgvector).
static int PgvectorSetting(const char* name, const config_generic** cached, int value, int calibrated) {
    if (calibrated > value && GucIsDefault(name, cached)) return calibrated;
    return value;
}

// Returns the scan breadth from the AM's GUC, or the value calibrated at build when it is 0.
int EffectiveNprobe(const JadeMetaPageData* meta) {
    static const config_generic* probes_guc = nullptr;
    int nlist = std::max<int>(1, static_cast<int>(meta->nlist));
    int nprobe;
    if (meta->am_kind == kAmIvfflat)
        nprobe = PgvectorSetting("ivfflat.probes", &probes_guc, ivfflat_probes, static_cast<int>(meta->auto_nprobe));
    else if (jade_nprobe > 0)
        nprobe = jade_nprobe;
    else if (meta->auto_nprobe > 0)
        nprobe = static_cast<int>(meta->auto_nprobe);
    else
        nprobe = std::max(1, nlist / 16);
    return std::max(1, std::min(nprobe, nlist));
}

int EffectiveEf(const JadeMetaPageData* meta) {
    static const config_generic* ef_guc = nullptr;
    if (meta->am_kind == kAmHnsw) return PgvectorSetting("hnsw.ef_search", &ef_guc, hnsw_ef_search, meta->auto_ef);
    if (jade_ef_search > 0) return jade_ef_search;
    return meta->auto_ef > 0 ? meta->auto_ef : 64;
}

const char* MetricName(uint32 metric) {
    switch (metric) {
        case kMetricL2:
            return "l2";
        case kMetricIp:
            return "inner product";
        case kMetricCosine:
            return "cosine";
        case kMetricL1:
            return "l1";
        case kMetricHamming:
            return "hamming";
        case kMetricJaccard:
            return "jaccard";
    }
    return "unknown";
}

// Returns true when factory names an IVF family whose codes are half-precision floats.
static bool IsFp16Factory(const char* factory) {
    const char* comma = strchr(factory, ',');
    return comma != nullptr && strcmp(comma + 1, "SQfp16") == 0;
}

void ResolveBuildSpec(Relation index, JadeAmKind am, uint32 dims, double ntuples, BuildSpec* spec) {
    memset(spec, 0, sizeof(*spec));
    spec->am = am;
    spec->metric = IndexMetric(index);
    JadeElement element = IndexElement(index);
    CheckIndexDims(index, element, dims);
    spec->dims = dims;
    spec->ef_construction = kDefaultEfConstruction;
    char factory[kFactoryMaxLen] = {0};
    switch (am) {
        case kAmFaiss: {
            auto* opts = reinterpret_cast<FaissOptionsData*>(index->rd_options);
            if (opts != nullptr) {
                spec->ef_construction = opts->ef_construction;
                if (opts->factory_offset != 0) strlcpy(factory, (char*)opts + opts->factory_offset, sizeof(factory));
            }
            if (factory[0] == '\0') {
                jade::pg::CallCpp([&]() {
                    EngineDefaultFactory(ntuples, dims, spec->metric, factory, sizeof(factory));
                });
                // halfvec: IVF lists of binary16 codes, half the bytes of float codes and as exact.
                char* flat = strstr(factory, ",Flat");
                if (element == kElementHalfvec && flat != nullptr) strlcpy(flat, ",SQfp16", sizeof(factory) - (flat - factory));
            }
            break;
        }
        case kAmHnsw: {
            auto* opts = reinterpret_cast<HnswOptionsData*>(index->rd_options);
            int m = opts ? opts->m : kDefaultHnswM;
            spec->ef_construction = opts ? opts->ef_construction : kDefaultEfConstruction;
            if (spec->ef_construction < 2 * m)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("ef_construction must be greater than or equal to 2 * m")));
            snprintf(factory, sizeof(factory), "HNSW%d,Flat", m);
            break;
        }
        case kAmIvfflat: {
            auto* opts = reinterpret_cast<IvfflatOptionsData*>(index->rd_options);
            // halfvec lists hold binary16 codes (pgvector's ivfflat stores halfvec values too).
            snprintf(factory, sizeof(factory), "IVF%d,%s", opts ? opts->lists : kDefaultIvfflatLists,
                     element == kElementHalfvec ? "SQfp16" : "Flat");
            break;
        }
    }
    FactoryInfo info;
    jade::pg::CallCpp([&]() { EngineParseFactory(factory, dims, spec->metric, &info); });
    spec->family = static_cast<JadeFamily>(info.family);
    spec->nlist = info.nlist;
    spec->hnsw_m = info.hnsw_m;
    spec->code_size = info.code_size;
    // fp16 codes reproduce halfvec values exactly, so L2 and inner product distances from them are
    // final; cosine stores normalized vectors, whose rounding to half is not.
    spec->lossy = info.lossy && !(element == kElementHalfvec && IsFp16Factory(info.normalized) &&
                                  spec->metric != kMetricCosine);
    strlcpy(spec->factory, info.normalized, sizeof(spec->factory));
    // The engine could also search an L1 HNSW graph, but the index's delta merge and the
    // documented surface (pgvector has no L1 graph either) keep L1 to the exact Flat family.
    // The FAISS graphs hold float vectors of the old blob format; the other element types get
    // graphs through the page-resident HNSW (extension/src/index/README.md).
    if (element != kElementVector && spec->family == kFamilyHnsw)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("factory \"%s\" cannot index %s columns", spec->factory,
                               element == kElementHalfvec ? "halfvec" : "bit"),
                        errhint("Use an IVF or Flat factory.")));
    if (spec->metric == kMetricL1 && spec->family != kFamilyFlat)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("vector_l1_ops is supported only by the Flat family, not by \"%s\"", spec->factory),
                        errhint("Use factory = 'Flat', or an L2, inner product or cosine operator class.")));
}

}  // namespace jade::ext::index
