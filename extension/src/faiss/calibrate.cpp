// faiss/calibrate.cpp — recall-targeted nprobe / ef_search tuning (calibrate.h).
#include "faiss/calibrate.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/interrupt.h"

namespace jade::ext::engine {

namespace {

// The sample: query rows (strided) and the exact neighbours of each among the base rows.
struct Sample {
    std::vector<int64_t> query_rows;
    std::vector<std::vector<int64_t>> truth;  // row numbers, nearest first
};

// Rejects a target outside (0, 1] or a bad k.
void CheckArgs(double target, int k) {
    if (!(target > 0.0 && target <= 1.0))
        throw JadeError(sqlstate::kInvalidParameterValue, "calibration target recall must be in (0, 1]");
    if (k < 1) throw JadeError(sqlstate::kInvalidParameterValue, "calibration k must be at least 1");
}

// Exact k nearest among the first `base` rows for each sampled query row (itself excluded).
Sample ExactSample(Metric metric, int dim, const float* x, int64_t base, int k) {
    Sample s;
    int64_t nq = std::min(kCalibrationQueries, base);
    std::vector<std::pair<double, int64_t>> d(static_cast<size_t>(base));
    for (int64_t i = 0; i < nq; i++) {
        int64_t row = i * (base / nq);
        const float* q = x + row * dim;
        for (int64_t j = 0; j < base; j++) {
            double v = OperatorDistance(metric, q, x + j * dim, dim);
            d[j] = {std::isnan(v) ? HUGE_VAL : v, j};
        }
        d[row].first = HUGE_VAL;  // not its own neighbour
        int64_t kk = std::min<int64_t>(k, base - 1);
        std::partial_sort(d.begin(), d.begin() + kk, d.end());
        std::vector<int64_t> t;
        for (int64_t j = 0; j < kk; j++) t.push_back(d[j].second);
        s.query_rows.push_back(row);
        s.truth.push_back(std::move(t));
        ThrowIfInterrupted();
    }
    return s;
}

}  // namespace

int64_t CalibrateNprobe(const IvfCodec& codec, const float* x, int64_t n, double target, int k) {
    // Rank of each true neighbour's list in the query's list order; take the target quantile.
    CheckArgs(target, k);
    int dim = codec.dim();
    if (n <= k || codec.nlist() <= 1) return 1;
    // A subset suffices here (it only makes neighbours farther: more lists, the safe side).
    Sample s = ExactSample(codec.metric(), dim, x, std::min(n, kCalibrationBase), k);
    int64_t nlist = codec.nlist();
    std::vector<int64_t> lists(nlist);
    std::vector<float> coarse(nlist);
    std::vector<int64_t> rank(nlist);
    std::vector<int64_t> needed;
    std::vector<uint8_t> code(codec.code_size());
    for (size_t i = 0; i < s.query_rows.size(); i++) {
        codec.NearestLists(x + s.query_rows[i] * dim, nlist, lists.data(), coarse.data());
        for (int64_t r = 0; r < nlist; r++)
            if (lists[r] >= 0) rank[lists[r]] = r;
        for (int64_t row : s.truth[i]) {
            int64_t list;
            codec.AssignEncode(1, x + row * dim, &list, code.data());
            needed.push_back(rank[list] + 1);
        }
        ThrowIfInterrupted();
    }
    if (needed.empty()) return 1;
    std::sort(needed.begin(), needed.end());
    size_t at = static_cast<size_t>(std::ceil(target * static_cast<double>(needed.size()))) - 1;
    return std::clamp<int64_t>(needed[std::min(at, needed.size() - 1)], 1, nlist);
}

int CalibrateEfSearch(HnswGraph& graph, const float* x, const int64_t* labels, int64_t n, double target, int k) {
    // Grows ef until the measured recall@k reaches the target.
    CheckArgs(target, k);
    int dim = graph.spec().dim;
    if (n <= k) return k;
    // The graph answers over all n rows, so the truth must too: neighbours found among a subset
    // would make every correct answer look like a miss (ef then climbs to its maximum).
    Sample s = ExactSample(graph.spec().metric, dim, x, n, k);
    std::vector<float> dis(k + 1);
    std::vector<int64_t> got(k + 1);
    // Steps of x1.5: a doubling ladder can overshoot the needed breadth (and latency) by 2x.
    for (int ef = k;; ef = std::min(ef + std::max(1, ef / 2), kCalibrationMaxEf)) {
        int64_t hits = 0, total = 0;
        for (size_t i = 0; i < s.query_rows.size(); i++) {
            // k+1 results: the query row itself is in the graph and may come first.
            int64_t found = graph.Search(x + s.query_rows[i] * dim, k + 1, ef, dis.data(), got.data());
            std::unordered_set<int64_t> result(got.begin(), got.begin() + found);
            for (int64_t row : s.truth[i]) hits += result.count(labels[row]);
            total += static_cast<int64_t>(s.truth[i].size());
        }
        ThrowIfInterrupted();
        if (total == 0 || static_cast<double>(hits) >= target * static_cast<double>(total) || ef >= kCalibrationMaxEf)
            return ef;
    }
}

}  // namespace jade::ext::engine
