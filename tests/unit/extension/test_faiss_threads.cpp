// Unit tests for faiss/threads.h: the engine leaves the process single-threaded after every
// build, also when the build fails, so backend searches never fan out to OpenMP workers.
#include <catch2/catch.hpp>

#include <omp.h>

#include <vector>

#include "common/error.h"
#include "faiss/hnsw_graph.h"
#include "faiss/threads.h"
#include "test_faiss_util.h"

using namespace jade::ext::engine;
using namespace jade::ext::engine::testing;

TEST_CASE("threads: scoped team size, reset to one", "[faiss][threads]") {
    {
        ScopedOmpThreads team(2);
        CHECK(omp_get_max_threads() == 2);
    }
    CHECK(omp_get_max_threads() == 1);
    {
        ScopedOmpThreads team(0);  // clamped
        CHECK(omp_get_max_threads() == 1);
    }
    {
        ScopedOmpThreads team(100000);
        CHECK(omp_get_max_threads() == kMaxBuildThreads);
    }
    omp_set_num_threads(4);
    EnsureSingleThread();
    CHECK(omp_get_max_threads() == 1);
}

TEST_CASE("threads: builds return the backend to one thread, also on failure", "[faiss][threads]") {
    const int dim = 8;
    std::vector<float> x = Clustered(300, dim, 4, 301);
    std::vector<int64_t> labels(300);
    for (int64_t i = 0; i < 300; i++) labels[i] = i;
    auto g = HnswGraph::Build(ParseFactory("HNSW8", dim, Metric::L2), 16, x.data(), labels.data(), 300, 2);
    CHECK(omp_get_max_threads() == 1);
    CHECK(g->size() == 300);
    // A zero vector under cosine is rejected inside the scoped build region.
    std::vector<float> zero(dim, 0.0f);
    int64_t label = 1;
    auto c = HnswGraph::Build(ParseFactory("HNSW8", dim, Metric::Cosine), 16, x.data(), labels.data(), 300, 2);
    CHECK_THROWS_AS(c->Add(zero.data(), &label, 1, 2), jade::JadeError);
    CHECK(omp_get_max_threads() == 1);
}
