// leader_lease.cpp — the leader lease (see leader_lease.h for the reasoning).
#include "raft/leader_lease.h"

#include <algorithm>
#include <functional>

namespace jade::coord::raft {

uint64_t LeaderLease::AppendTime(uint64_t index) const {
    auto it = appended_.upper_bound(index);
    if (it == appended_.begin()) return 0;
    return std::prev(it)->second;
}

// The majority-th newest append time held by the voters, plus the lease duration.
uint64_t LeaderLease::ValidUntil(const std::vector<uint64_t>& match, size_t self, uint64_t now) {
    if (match.empty()) return 0;
    std::vector<uint64_t> times;
    times.reserve(match.size());
    uint64_t lowest = UINT64_MAX;
    for (size_t i = 0; i < match.size(); ++i) {
        if (i == self) {
            times.push_back(now);
            continue;
        }
        times.push_back(AppendTime(match[i]));
        lowest = std::min(lowest, match[i]);
    }
    // Entries below every follower's match index are only needed for the newest of them.
    if (lowest != UINT64_MAX) {
        auto keep = appended_.upper_bound(lowest);
        if (keep != appended_.begin()) appended_.erase(appended_.begin(), std::prev(keep));
    }
    std::sort(times.begin(), times.end(), std::greater<uint64_t>());
    uint64_t s = times[match.size() / 2];  // the (n/2+1)-th newest: held by a majority
    return s == 0 ? 0 : s + duration_;
}

}  // namespace jade::coord::raft
