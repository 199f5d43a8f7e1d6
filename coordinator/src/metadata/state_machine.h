// state_machine.h — the deterministic metadata state machine: Apply(command) → new catalog.
//
// No clocks, no I/O, no randomness: applying the same commands in the same order to the same
// starting catalog yields an identical catalog on every coordinator (the Raft contract).
// ApplyCommand validates first and mutates only on success (strong guarantee), so a rejected
// command leaves the catalog untouched; the caller decides whether a rejection is fatal.
#pragma once

#include <string>
#include <string_view>

#include "metadata/catalog.h"
#include "metadata/commands.h"
#include "util/expected.h"

namespace jade::coord {

/** Applies `cmd` to `catalog` and advances catalog.applied_index() by one. */
Status ApplyCommand(Catalog& catalog, const Command& cmd);

/** Serializes a whole catalog (snapshot format, versioned like commands). */
std::string EncodeCatalog(const Catalog& catalog);
/** Parses EncodeCatalog output; XX001 on malformed input. */
Expected<Catalog> DecodeCatalog(std::string_view bytes);

}  // namespace jade::coord
