// faiss/calibrate.h — build-time tuning of the search breadth for a recall target.
//
// After a build, the AM can store in the metapage the nprobe / ef_search that reached a target
// recall@k on the build's own data, and use it when the user sets no GUC. Both functions draw
// up to kCalibrationQueries queries from the given vectors (every (n/q)-th row, so the result
// is deterministic), compute their exact k nearest neighbours with the SQL operator distance
// (the query row itself excluded) — among the first kCalibrationBase rows for IVF, among all n
// for HNSW (whose answers come from all of them: ~1.5 s for a million 128-d rows) — and measure:
//   * IVF: for each true neighbour, the rank of its list among the query's nearest lists; the
//     answer is the smallest nprobe whose coverage of them reaches `target` (an upper bound on
//     recall for lossy codes, which are re-ranked anyway);
//   * IVF with lossy codes: the rank of each true neighbour by approximate distance among the
//     probed lists' rows, for the share of candidates to re-rank exactly;
//   * HNSW: real graph searches with growing ef_search until recall@k reaches `target`.
// "Reaches" means the mean per-query recall minus 1.645 standard errors (one-sided 95%), so the
// sampling noise of 64 queries does not leave the default just under the target.
// Single-threaded, interruptible between queries; C++ regime (throws JadeError / Interrupted).
#pragma once

#include <cstdint>
#include <vector>

#include "faiss/hnsw_graph.h"
#include "faiss/ivf_codec.h"

namespace jade::ext::engine {

inline constexpr int64_t kCalibrationQueries = 64;
inline constexpr int64_t kCalibrationBase = 20000;
inline constexpr int kCalibrationMaxEf = 1024;

// Returns the smallest nprobe (1..nlist) whose probed lists hold `target` (0..1] of the exact
// k nearest neighbours of sample queries drawn from x[n * dim] (raw vectors). 1 when n <= k.
int64_t CalibrateNprobe(const IvfCodec& codec, const float* x, int64_t n, double target, int k = 10);

// Returns the share (0, 1] of the candidates that `nprobe` lists hold that must be re-ranked
// exactly so that recall@k of lossy codes (SQ8, PQ) keeps `retention` of what re-ranking all of
// them reaches, and reaches `target` too where re-ranking all of them does (the AM calibrates
// nprobe for target / retention, so both usually hold). Measured on sample queries against the
// first kCalibrationBase rows of x: each true neighbour's rank by approximate (code) distance
// among the rows of the probed lists. A share, not a count, because competing candidates grow
// with the rows in the lists: the scan multiplies it by the candidates its first probe scored.
double CalibrateRerankShare(const IvfCodec& codec, const float* x, int64_t n, int64_t nprobe, double target,
                            double retention, int k = 10);

// Returns the smallest ef_search from a x1.5 ladder (k, 1.5k, ... kCalibrationMaxEf) whose recall@k
// reaches `target` for sample queries drawn from x[n * dim]: ALL the graph's raw vectors, with
// their labels[n] as given to the graph; kCalibrationMaxEf when none does.
int CalibrateEfSearch(HnswGraph& graph, const float* x, const int64_t* labels, int64_t n, double target, int k = 10);

// Whether per-query recalls reach the target with the confidence rule above (for codecs that
// calibrate on their own, e.g. binary_ivf_codec.h).
bool RecallReachesTarget(const std::vector<double>& recalls, double target);

}  // namespace jade::ext::engine
