// faiss/threads.cpp — OpenMP team sizing for engine builds (threads.h).
#include "faiss/threads.h"

#include <omp.h>

#include <algorithm>

namespace jade::ext::engine {

ScopedOmpThreads::ScopedOmpThreads(int threads) {
    // Sizes the team of the next parallel regions (FAISS and OpenBLAS-openmp both follow it).
    omp_set_num_threads(std::clamp(threads, 1, kMaxBuildThreads));
}

ScopedOmpThreads::~ScopedOmpThreads() {
    // Back to one thread: searches in this backend must never fan out.
    omp_set_num_threads(1);
}

void EnsureSingleThread() {
    // A backend that never built anything still has libgomp's default (all cores).
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

}  // namespace jade::ext::engine
