// guc_duration.h — PostgreSQL's time-valued settings, as the coordinator applies them itself.
//
// idle_in_transaction_session_timeout and idle_session_timeout are the coordinator's to enforce
// (a worker cannot see that the client is idle: a connection pinned to a transaction on one node
// sits idle while the client works on another), statement_timeout the workers' and, as a
// backstop for a worker that does not answer at all, the coordinator's. Values are read as
// PostgreSQL reads them (guc.c parse_int with GUC_UNIT_MS): a bare number is milliseconds, or a
// number with one of the units us, ms, s, min, h, d; fractions are rounded.
#pragma once

#include <cstdint>
#include <string>

#include "util/expected.h"

namespace jade::coord {

/** True for the time settings the coordinator applies to its own sessions. */
bool IsCoordinatorTimeout(const std::string& lower_name);
/** True for those the workers must not see (the coordinator enforces them alone). */
bool IsCoordinatorOnlySetting(const std::string& lower_name);

// Parses a millisecond setting; 22023 with PostgreSQL's message and hint when invalid.
Expected<int64_t> ParseMillisecondsSetting(const std::string& name, const std::string& value);

}  // namespace jade::coord
