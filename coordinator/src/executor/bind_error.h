// bind_error.h — recognizing an Execute's error that PostgreSQL would have raised at Bind.
//
// PostgreSQL converts parameter values at Bind: a value its type rejects ("abc" for int4, a bad
// binary length) fails the Bind itself, with no BindComplete; the client's Describe and Execute
// that follow are skipped until Sync. The coordinator cannot convert values (only workers know
// the types), so it holds the client's BindComplete back until that portal's Execute has run: if
// the worker's error arose while binding the shard statement's parameters, the BindComplete and
// anything written after it are dropped and only the error is sent, as PostgreSQL would.
//
// A worker marks such errors with the context line PostgreSQL adds while converting parameters
// (postgres.c, bind_param_error_callback): `unnamed portal parameter $<n> = '...'` (libpq always
// binds the unnamed portal). The number is the shard statement's; RewriteBindContext() turns the
// line into the client's own (its portal name, its parameter number). Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/messages/error_response.h"

namespace jade::coord::exec {

/** The shard statement's parameter number (1-based) when `fields` is a parameter-conversion error. */
std::optional<int> BindErrorParameter(const wire::ErrorFields& fields);

/**
 * Rewrites the context of a parameter-conversion error for the client: its portal (`""` =
 * unnamed) and the client parameter (0-based index) the shard parameter stands for, nullopt when
 * that is not known (then the parameter line is dropped).
 */
wire::ErrorFields RewriteBindContext(wire::ErrorFields fields, const std::string& portal,
                                     std::optional<int> client_param);

/** Fields of an ErrorResponse/NoticeResponse message body; nullopt when it is malformed. */
std::optional<wire::ErrorFields> DecodeErrorFields(std::string_view body);

/**
 * The first ErrorResponse among the complete backend messages in `messages`, with its offset
 * (nullopt when there is none).
 */
std::optional<std::pair<size_t, wire::ErrorFields>> FindErrorResponse(std::string_view messages);

}  // namespace jade::coord::exec
