// param_count.h — how many parameters ($1..$n) a statement text references.
//
// Describe(statement) must report one type per parameter even when Parse declared none (node-pg,
// pgjdbc with unknown types). The count comes from PostgreSQL's own lexer (libpg_query's
// scanner), so "$1" inside a string literal or comment is not a parameter.
#pragma once

#include <cstddef>
#include <string>

namespace jade::coord::exec {

// Returns the highest n of the $n parameters in `sql` (0 when none or when it does not scan).
size_t CountParams(const std::string& sql);

}  // namespace jade::coord::exec
