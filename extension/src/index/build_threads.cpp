// index/build_threads.cpp — how many OpenMP threads a build (train, encode, graph, merge) uses.
//
// jadevector.build_threads = n > 0 uses exactly n. 0 (the default) uses the machine, the way
// PostgreSQL sizes a parallel CREATE INDEX: max_parallel_maintenance_workers + 1, capped by the
// CPUs this backend may run on — but only the CPUs that are idle now, and only for builds large
// enough to gain from it:
//   * idle: online CPUs minus the 1-minute load average (less 1 for this backend, which is busy
//     with the build itself). libgomp's workers spin-wait between parallel regions, so on an
//     oversubscribed machine a second thread is not just useless but harmful. Measured on this
//     2-core development box shared with other builds (load average 4-5): 2 threads made an
//     IVF64,PQ16 build of 10K x 128 22x slower (1.4 s -> 31 s: PQ training is thousands of short
//     parallel regions) and an HNSW16 build of 100K x 128 no faster (26 s -> 29 s).
//   * large: below kParallelBuildMinRows vectors a build takes about a second single-threaded,
//     and one thread keeps it deterministic (FAISS's parallel HNSW insertion and k-means make
//     the result vary run to run).
// OpenMP itself is only started by the engine inside a build, in a backend: nothing here (or in
// _PG_init) touches it, so the postmaster never creates an OpenMP team.
#include "index/am.h"

#include <sched.h>

#include <cmath>
#include <cstdlib>

#include "index/gucs.h"

extern "C" {
#include "miscadmin.h"
}

namespace jade::ext::index {

inline constexpr int64 kParallelBuildMinRows = 50000;

// CPUs this process may run on (its affinity mask; the online count when that is unknown).
static int UsableCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return Max(1, CPU_COUNT(&set));
    return Max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
}

int BuildThreads(int64 rows) {
    if (jade_build_threads > 0) return jade_build_threads;
    if (rows < kParallelBuildMinRows) return 1;
    int cpus = UsableCpus();
    double load[1];
    double others = getloadavg(load, 1) == 1 ? Max(0.0, load[0] - 1.0) : 0.0;
    int idle = cpus - static_cast<int>(std::lround(others));
    return Max(1, Min(Min(max_parallel_maintenance_workers + 1, cpus), idle));
}

}  // namespace jade::ext::index
