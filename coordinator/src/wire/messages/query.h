// query.h — simple query ('Q') and the command-result messages shared by both query protocols:
// CommandComplete ('C') and EmptyQueryResponse ('I').
#pragma once

#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::wire {

// Returns the query string of a Query message; 08P01 when it is not NUL-terminated.
Expected<std::string_view> DecodeQuery(std::string_view payload);

void WriteCommandComplete(std::string* out, std::string_view tag);
void WriteEmptyQueryResponse(std::string* out);

}  // namespace jade::coord::wire
