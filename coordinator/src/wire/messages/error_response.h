// error_response.h — ErrorResponse ('E') and NoticeResponse ('N').
//
// Errors produced by the coordinator come as Error values (util/error.h); errors and notices
// relayed from a worker come as the worker's full field list (PQresultErrorField), so every field
// the worker sent (SQLSTATE, message, detail, hint, position, where, schema/table/column, ...)
// reaches the client unchanged.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace jade::coord::wire {

/** ErrorResponse/NoticeResponse fields as (field code, value), in sending order. */
using ErrorFields = std::vector<std::pair<char, std::string>>;

// The S/V/C/M/D/H/P fields PostgreSQL would send for a coordinator error (severity ERROR, or
// FATAL when `fatal`); a missing SQLSTATE becomes XX000.
ErrorFields ErrorFieldsOf(const Error& error, bool fatal = false);
// Writes an ErrorResponse for a coordinator error (severity ERROR, or FATAL when `fatal`).
void WriteError(std::string* out, const Error& error, bool fatal = false);
// Writes an ErrorResponse ('E') or NoticeResponse ('N') from raw fields.
void WriteErrorFields(std::string* out, char type, const ErrorFields& fields);
// Writes a NoticeResponse with severity `severity` (NOTICE, WARNING, ...).
void WriteNotice(std::string* out, const std::string& severity, const std::string& sqlstate,
                 const std::string& message);

}  // namespace jade::coord::wire
