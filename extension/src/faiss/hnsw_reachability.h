// faiss/hnsw_reachability.h — INTERNAL to src/faiss/: find and repair HNSW nodes that no search
// can reach.
//
// FAISS 1.7.3 builds HNSW links with the neighbour-selection heuristic: when a node's level-0
// list is full, adding a back link re-runs the heuristic over the old links plus the new one and
// may drop links. So a node can end with no incoming level-0 link at all: it is in the graph,
// yet no search ever visits it, at any ef — even a query equal to its own vector returns its
// neighbour. Measured: 2,000 uniform random 32-d vectors, HNSW8 / efConstruction 32 leave 1 such
// node (the CI failure of test_inserts_during_searches[pg_hnsw]); appending 1,500 more (a delta
// merge) leaves 4, because later back links prune more.
//
// Repair: a breadth-first walk over level-0 links from the entry point marks what searches can
// reach; each unreached node gets an incoming link from its nearest reached level-0 neighbour
// (a free slot, else the slot of that neighbour's farthest link whose target keeps another
// incoming link). Cost: one O(links) walk per round plus O(dim) per distance; the few nodes
// involved make it negligible next to the build.
#pragma once

#include <cstdint>
#include <functional>

namespace faiss {
struct HNSW;
}

namespace jade::ext::engine {

// What a repair found and did.
struct ReachabilityRepair {
    int64_t unreachable_before = 0;  // level-0 nodes no walk from the entry point reached
    int64_t links_added = 0;         // incoming links written into free slots
    int64_t links_replaced = 0;      // incoming links that took the slot of a redundant link
    int64_t unreachable_after = 0;   // left unreachable (0 unless the graph is degenerate)
};

// Distance between two stored nodes in the graph's own space (smaller is closer).
using NodeDistance = std::function<float(int64_t a, int64_t b)>;

// Counts nodes that a walk over level-0 links from the entry point does not reach.
int64_t CountUnreachable(const faiss::HNSW& graph);

// Links every unreachable node back into the level-0 graph (see the file comment).
ReachabilityRepair RepairReachability(faiss::HNSW* graph, const NodeDistance& distance);

}  // namespace jade::ext::engine
