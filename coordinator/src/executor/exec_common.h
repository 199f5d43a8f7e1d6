// exec_common.h — small helpers shared by the executor's plan-kind files.
#pragma once

#include <cstdint>
#include <string>

#include "merge/row.h"

namespace jade::coord::exec {

// Adds the row count to tags that carry one (plan.h "Command tags").
inline std::string TagWithCount(const std::string& tag, uint64_t n) {
    if (tag == "SELECT" || tag == "INSERT 0" || tag == "UPDATE" || tag == "DELETE" || tag == "COPY" || tag == "MERGE" ||
        tag == "FETCH" || tag == "MOVE") {
        return tag + " " + std::to_string(n);
    }
    return tag;
}

// Storage size PostgreSQL reports for fixed-width types (RowDescription typlen).
inline int16_t TypeLen(uint32_t type) {
    switch (type) {
        case oid::kBool:
            return 1;
        case oid::kInt2:
            return 2;
        case oid::kInt4:
        case oid::kOid:
        case oid::kFloat4:
        case oid::kDate:
            return 4;
        case oid::kInt8:
        case oid::kFloat8:
        case oid::kTimestamp:
        case oid::kTimestamptz:
            return 8;
        case oid::kName:
            return 64;
        case oid::kUuid:
            return 16;
        default:
            return -1;
    }
}

}  // namespace jade::coord::exec
