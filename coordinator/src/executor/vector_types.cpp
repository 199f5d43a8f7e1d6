// vector_types.cpp — the vector-type OID lookup on worker lanes (vector_types.h).
#include "executor/vector_types.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "executor/vector_binary.h"

namespace jade::coord::exec {

void AddVectorTypesLookup(const std::vector<int16_t>& formats, std::vector<Lane>* lanes) {
    bool binary = std::any_of(formats.begin(), formats.end(), [](int16_t f) { return f == 1; });
    if (!binary || VectorTypesKnown()) return;
    for (Lane& lane : *lanes) {
        LaneOp op;
        op.send = [](PGconn* pg) { return PQsendQuery(pg, kExtensionTypesQuery) == 1; };
        op.tag = kVectorTypesTag;
        lane.ops.insert(lane.ops.begin(), std::move(op));
    }
}

bool TakeVectorTypes(int tag, const PGresult* res) {
    if (tag != kVectorTypesTag) return false;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 2) return true;
    for (int r = 0; r < PQntuples(res); ++r) {
        uint32_t oid = static_cast<uint32_t>(std::strtoul(PQgetvalue(res, r, 0), nullptr, 10));
        RegisterVectorType(oid, std::string(PQgetvalue(res, r, 1), PQgetlength(res, r, 1)));
    }
    return true;
}

}  // namespace jade::coord::exec
