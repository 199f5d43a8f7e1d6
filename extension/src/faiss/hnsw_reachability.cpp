// faiss/hnsw_reachability.cpp — unreachable-node detection and repair for FAISS HNSW graphs
// (hnsw_reachability.h).
//
// FAISS stores each node's links for all its levels in one array: node i's level-0 slots are
// neighbors[offsets[i] + cum_nneighbor_per_level[0] .. offsets[i] + cum_nneighbor_per_level[1]),
// filled from the front, unused slots -1; its search loops stop at the first -1, so a link is only
// ever written into the first free slot or over an existing link.
#include "faiss/hnsw_reachability.h"

#include <faiss/impl/HNSW.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <utility>
#include <vector>

namespace jade::ext::engine {

namespace {

// Repair rounds: a replaced link can, rarely, cut off the node it pointed to; the next round's
// walk finds and relinks it. Each round strictly shrinks the unreached set in practice.
constexpr int kMaxRounds = 8;

using storage_idx_t = faiss::HNSW::storage_idx_t;

// The level-0 link slots of node i: [begin, end) in graph.neighbors.
std::pair<size_t, size_t> Level0Slots(const faiss::HNSW& g, int64_t i) {
    size_t base = g.offsets[static_cast<size_t>(i)];
    return {base + static_cast<size_t>(g.cum_nneighbor_per_level[0]),
            base + static_cast<size_t>(g.cum_nneighbor_per_level[1])};
}

// Marks (in reached) every node a level-0 walk from `start` visits, skipping already-marked ones.
void Walk(const faiss::HNSW& g, int64_t start, std::vector<uint8_t>* reached) {
    if ((*reached)[static_cast<size_t>(start)]) return;
    std::deque<int64_t> todo{start};
    (*reached)[static_cast<size_t>(start)] = 1;
    while (!todo.empty()) {
        int64_t u = todo.front();
        todo.pop_front();
        auto [b, e] = Level0Slots(g, u);
        for (size_t j = b; j < e; j++) {
            storage_idx_t v = g.neighbors[j];
            if (v < 0) break;
            if (!(*reached)[static_cast<size_t>(v)]) {
                (*reached)[static_cast<size_t>(v)] = 1;
                todo.push_back(v);
            }
        }
    }
}

// Nodes reachable from the entry point.
std::vector<uint8_t> ReachedFromEntry(const faiss::HNSW& g) {
    std::vector<uint8_t> reached(g.levels.size(), 0);
    if (g.entry_point >= 0) Walk(g, g.entry_point, &reached);
    return reached;
}

// Incoming level-0 links per node from reached nodes (links from unreached nodes do not help a
// search, so they must not make a link look redundant).
std::vector<int> Level0InDegree(const faiss::HNSW& g, const std::vector<uint8_t>& reached) {
    std::vector<int> in(g.levels.size(), 0);
    for (size_t i = 0; i < g.levels.size(); i++) {
        if (!reached[i]) continue;
        auto [b, e] = Level0Slots(g, static_cast<int64_t>(i));
        for (size_t j = b; j < e && g.neighbors[j] >= 0; j++) in[static_cast<size_t>(g.neighbors[j])]++;
    }
    return in;
}

// Reached nodes that could link to u, nearest first: u's own level-0 neighbours (the heuristic
// chose them as its closest diverse neighbours), or, when none is reached, the nearest reached node.
std::vector<int64_t> LinkSources(const faiss::HNSW& g, int64_t u, const std::vector<uint8_t>& reached,
                                 const NodeDistance& distance) {
    std::vector<std::pair<float, int64_t>> c;
    auto [b, e] = Level0Slots(g, u);
    for (size_t j = b; j < e && g.neighbors[j] >= 0; j++) {
        int64_t v = g.neighbors[j];
        if (v != u && reached[static_cast<size_t>(v)]) c.push_back({distance(u, v), v});
    }
    if (c.empty()) {
        std::pair<float, int64_t> best{std::numeric_limits<float>::infinity(), -1};
        for (size_t v = 0; v < reached.size(); v++)
            if (reached[v] && static_cast<int64_t>(v) != u) best = std::min(best, {distance(u, static_cast<int64_t>(v)), v});
        if (best.second >= 0) c.push_back(best);
    }
    std::sort(c.begin(), c.end());
    std::vector<int64_t> out;
    for (const auto& p : c) out.push_back(p.second);
    return out;
}

// Writes a level-0 link v -> u: the first free slot, else over v's farthest link whose target
// has another incoming link. Returns false when v has no such slot.
bool LinkInto(faiss::HNSW* g, int64_t v, int64_t u, std::vector<int>* in, const NodeDistance& distance,
              ReachabilityRepair* out) {
    auto [b, e] = Level0Slots(*g, v);
    size_t victim = e;
    float victim_d = -std::numeric_limits<float>::infinity();
    for (size_t j = b; j < e; j++) {
        storage_idx_t w = g->neighbors[j];
        if (w < 0) {
            g->neighbors[j] = static_cast<storage_idx_t>(u);
            (*in)[static_cast<size_t>(u)]++;
            out->links_added++;
            return true;
        }
        if (w == u) return true;
        if ((*in)[static_cast<size_t>(w)] < 2) continue;
        float d = distance(v, w);
        if (d > victim_d) {
            victim_d = d;
            victim = j;
        }
    }
    if (victim == e) return false;
    (*in)[static_cast<size_t>(g->neighbors[victim])]--;
    g->neighbors[victim] = static_cast<storage_idx_t>(u);
    (*in)[static_cast<size_t>(u)]++;
    out->links_replaced++;
    return true;
}

}  // namespace

int64_t CountUnreachable(const faiss::HNSW& graph) {
    std::vector<uint8_t> reached = ReachedFromEntry(graph);
    return static_cast<int64_t>(std::count(reached.begin(), reached.end(), uint8_t{0}));
}

ReachabilityRepair RepairReachability(faiss::HNSW* graph, const NodeDistance& distance) {
    ReachabilityRepair out;
    if (graph->entry_point < 0) return out;
    for (int round = 0; round < kMaxRounds; round++) {
        std::vector<uint8_t> reached = ReachedFromEntry(*graph);
        int64_t missing = static_cast<int64_t>(std::count(reached.begin(), reached.end(), uint8_t{0}));
        if (round == 0) out.unreachable_before = missing;
        if (missing == 0) break;
        std::vector<int> in = Level0InDegree(*graph, reached);
        for (size_t u = 0; u < reached.size(); u++) {
            if (reached[u]) continue;  // reached through a link added earlier in this round
            for (int64_t v : LinkSources(*graph, static_cast<int64_t>(u), reached, distance)) {
                if (LinkInto(graph, v, static_cast<int64_t>(u), &in, distance, &out)) {
                    Walk(*graph, static_cast<int64_t>(u), &reached);
                    break;
                }
            }
        }
    }
    out.unreachable_after = CountUnreachable(*graph);
    return out;
}

}  // namespace jade::ext::engine
