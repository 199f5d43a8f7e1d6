// explain.h — assembles the EXPLAIN output of a distributed statement.
#pragma once

#include <string>
#include <vector>

#include "planner/plan.h"

namespace jade::coord {

/**
 * Builds the "QUERY PLAN" lines for a kExplain plan: the distributed-plan header lines
 * (plan.explain), then for each task its shard, node and SQL, followed by that shard's own
 * plan lines (task_outputs[i], the rows the worker returned for task i) indented.
 */
std::vector<std::string> AssembleExplain(const Plan& plan, const std::vector<std::vector<std::string>>& task_outputs);

}  // namespace jade::coord
