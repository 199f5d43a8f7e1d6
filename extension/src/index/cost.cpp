// index/cost.cpp — amcostestimate.
//
// The index does almost all of its work before it returns the first row (probe lists, search
// the graph, sort a batch), so the startup cost equals the total index cost; the planner then
// scales only the heap fetches by LIMIT / rows. That makes the index win for ORDER BY ... LIMIT k
// on large tables and lose where it should: tiny tables (reading the metapage and directory
// already costs more than a sequential scan plus top-N sort), and no ORDER BY at all (the
// index cannot answer anything else, so it costs "disabled"). An operator outside the opclass
// never reaches us: the planner only matches the opclass's ORDER BY operator.
#include "index/am.h"

#include <algorithm>

#include <cmath>

#include "index/gucs.h"

extern "C" {
#include "access/relation.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"
}

namespace jade::ext::index {

// The planner's disable_cost (costsize.c), which extensions cannot reference.
inline constexpr Cost kDisableCost = 1.0e10;

void jadecostestimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost,
                      Cost* total_cost, Selectivity* selectivity, double* correlation, double* pages) {
    if (path->indexorderbys == NIL) {
        // Never use the index without ORDER BY: it has no search operators.
        *startup_cost = get_float8_infinity();
        *total_cost = get_float8_infinity();
        *selectivity = 0;
        *correlation = 0;
        *pages = 0;
        return;
    }
    IndexOptInfo* info = path->indexinfo;
    Relation index = index_open(info->indexoid, NoLock);
    JadeMetaPageData meta;
    ReadMeta(index, &meta);
    index_close(index, NoLock);

    // Fraction of the index entries a first batch visits.
    double tuples = Max(info->tuples, 1.0);
    double ratio = 1.0;
    double per_entry_ops = 1.0;
    if (meta.family == kFamilyIvf) {
        int nprobe = meta.am_kind == kAmIvfflat ? ivfflat_probes
                                                : (jade_nprobe > 0 ? jade_nprobe : Max(1, int(meta.nlist / 16)));
        ratio = Min(1.0, double(nprobe) / std::max<uint32>(meta.nlist, 1));
        if (meta.lossy) per_entry_ops = 0.25;  // a code is scored with a few table lookups
    } else if (meta.family == kFamilyHnsw) {
        int ef = EffectiveEf(&meta);
        // A graph search computes about ef * 2M distances, log-scaled by the graph size; the graph
        // is cached in backend memory, so few pages are read (the id map for the results).
        double visited = ef * 2.0 * Max(meta.hnsw_m, 4) * Max(1.0, std::log(tuples) / std::log(16.0)) / 4;
        ratio = Min(1.0, visited / tuples);
    }
    GenericCosts costs;
    memset(&costs, 0, sizeof(costs));
    costs.numIndexTuples = tuples * ratio;
    genericcostestimate(root, path, loop_count, &costs);

    double spc_random_page_cost;
    get_tablespace_page_costs(info->reltablespace, &spc_random_page_cost, nullptr);
    // Metapage and list directory (and for IVF the codec) are read by every scan.
    Cost fixed = spc_random_page_cost * (1 + meta.dir_blocks);
    // Distance computations are proportional to the dimension; the planner's cpu_operator_cost
    // is per operator call of a few dozen floats.
    Cost cpu = costs.numIndexTuples * per_entry_ops * cpu_operator_cost * Max(1.0, meta.dims / 64.0);
    Cost total = costs.indexTotalCost + fixed + cpu;
    // Without a LIMIT (tuple_fraction 0 = every row wanted) the caller wants all rows in exact
    // order, which an approximate index cannot promise and a sort does better: price the index
    // out as the planner prices disabled paths (a LIMIT $1 gives a fraction, not 0).
    if (root->tuple_fraction <= 0.0) total += kDisableCost;
    *startup_cost = total;
    *total_cost = total;
    *selectivity = costs.indexSelectivity;
    *correlation = 0;
    *pages = costs.numIndexPages;
}

}  // namespace jade::ext::index
