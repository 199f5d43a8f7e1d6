// vector_binary.h — binary result encoding of the vector types (`vector`, `halfvec`, `sparsevec`)
// and of `bit` / `bit varying`, for binary_format.cpp.
//
// The fan-out path reads text rows from the workers (the merge compares them) and encodes binary
// columns itself. `bit`'s OIDs are fixed; the vector types belong to the jadevector extension, so
// their OIDs are per database: the executor learns them by running kExtensionTypesQuery on a
// worker before a statement whose client asked for binary results, and registers the answer
// here (process-wide; several nodes with different OIDs all register). The text forms are parsed
// by the extension's own parsers (extension/src/text), so both sides agree on the format; the
// binary layouts are pgvector's send functions'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::exec {

// The first OID PostgreSQL assigns to user objects (extension types have larger ones).
inline constexpr uint32_t kFirstNormalObjectId = 16384;

// OIDs of bit and bit varying (pg_type.dat).
inline constexpr uint32_t kBitOid = 1560;
inline constexpr uint32_t kVarbitOid = 1562;

// Lists the vector types of this database: rows (oid, typname).
inline constexpr const char* kExtensionTypesQuery =
    "SELECT oid, typname FROM pg_catalog.pg_type WHERE typname IN ('vector', 'halfvec', 'sparsevec') "
    "AND typtype = 'b' AND typnamespace <> 'pg_catalog'::regnamespace";

// Records that `oid` is the type named `typname` (other names are ignored). Thread-safe.
void RegisterVectorType(uint32_t oid, std::string_view typname);

// True once any vector type OID is known (the lookup need not run again).
bool VectorTypesKnown();

// Forgets every registered OID (an unknown extension OID showed up: DROP/CREATE EXTENSION).
void ForgetVectorTypes();

// True when `oid` is bit, bit varying or a registered vector type.
bool IsVectorFamilyType(uint32_t oid);

// Encodes one text value of such a type as its send function would; 22P02 for malformed text.
Expected<std::string> VectorTextToBinary(uint32_t oid, std::string_view text);

}  // namespace jade::coord::exec
