// binary_format.h — text → binary result encoding for common built-in types.
//
// libpq asks a worker for one result format for all columns. When a client's Bind asks for a mix
// (pgjdbc wants binary for int/float/bool columns and text for the rest), the coordinator asks
// the worker for text and encodes the binary columns itself, exactly as the type's send function
// would (int2/4/8, oid, float4/8, bool, text-like types, bytea, bit/varbit, and the vector types
// whose OIDs the executor has learned: vector_binary.h). Other types in a binary column are
// refused with 0A000 rather than guessed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::exec {

// True when TextToBinary can encode values of type `oid`.
bool CanEncodeBinary(uint32_t oid);
// Encodes one text-format value of type `oid` in binary format.
Expected<std::string> TextToBinary(uint32_t oid, std::string_view text);

}  // namespace jade::coord::exec
