// vector_types.h — learning the OIDs of the vector types (vector, halfvec, sparsevec) from the
// workers, so binary result columns of those types can be encoded (vector_binary.h).
//
// A statement whose client asked for any binary result column gets one extra op in front of its
// lanes while no vector type is known yet: kExtensionTypesQuery on the same worker connection,
// answered before the shard query's rows arrive. Its result carries kVectorTypesTag; the lane's
// result handler passes it to TakeVectorTypes first. Once the types are known nothing is added;
// without the extension the lookup finds nothing and runs again next time (cheap: one catalog
// row scan), and an OID that turns out unknown later (the extension was re-created) clears the
// registry so the next statement looks again.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <vector>

#include "executor/task_run.h"

namespace jade::coord::exec {

// Tag of the lookup op's result (task tags are >= 0).
inline constexpr int kVectorTypesTag = -2;

// Prepends the lookup op to every lane when `formats` asks for a binary column and the vector
// types' OIDs are not known yet.
void AddVectorTypesLookup(const std::vector<int16_t>& formats, std::vector<Lane>* lanes);

// Registers the rows of a lookup result and returns true when `tag` is kVectorTypesTag (errors
// are ignored: the statement then refuses binary vector columns with 0A000); false otherwise.
bool TakeVectorTypes(int tag, const PGresult* res);

}  // namespace jade::coord::exec
