// error.h — the coordinator's one error value: a PostgreSQL ErrorResponse in waiting.
//
// Every layer (parser, planner, merge, metadata, wire) reports failures as an Error carrying
// the SQLSTATE the client will see. The wire layer turns it into one ErrorResponse message;
// errors that come from a worker are copied into an Error field by field, so the client sees
// the worker's SQLSTATE and text unchanged.
#pragma once

#include <string>
#include <utility>

namespace jade::coord {

/** SQLSTATE codes used by the coordinator (PostgreSQL Appendix A). */
namespace sqlstate {
constexpr const char* kSyntaxError = "42601";
constexpr const char* kFeatureNotSupported = "0A000";
constexpr const char* kUndefinedTable = "42P01";
constexpr const char* kUndefinedColumn = "42703";
constexpr const char* kUndefinedFunction = "42883";
constexpr const char* kUndefinedObject = "42704";
constexpr const char* kDuplicateObject = "42710";
constexpr const char* kDuplicateTable = "42P07";
constexpr const char* kInvalidParameterValue = "22023";
constexpr const char* kInvalidTextRepresentation = "22P02";
constexpr const char* kNumericValueOutOfRange = "22003";
constexpr const char* kDivisionByZero = "22012";
constexpr const char* kBadCopyFileFormat = "22P04";
constexpr const char* kDatatypeMismatch = "42804";
constexpr const char* kProtocolViolation = "08P01";
constexpr const char* kObjectInUse = "55006";
constexpr const char* kObjectNotInPrerequisiteState = "55000";
constexpr const char* kActiveSqlTransaction = "25001";
constexpr const char* kInvalidTransactionState = "25000";
constexpr const char* kProgramLimitExceeded = "54000";
constexpr const char* kDataCorrupted = "XX001";
constexpr const char* kInternalError = "XX000";
constexpr const char* kIoError = "58030";
}  // namespace sqlstate

/** One error, shaped like PostgreSQL's ErrorResponse fields (C, M, D, H, P). */
struct Error {
  std::string sqlstate = sqlstate::kInternalError;  ///< five-character SQLSTATE (field C)
  std::string message;                               ///< primary message: lowercase, no final period (M)
  std::string detail;                                ///< optional sentence(s) (D)
  std::string hint;                                  ///< optional sentence(s) (H)
  int position = 0;                                  ///< 1-based character offset into the query, 0 = none (P)
};

// Builds an Error from its parts.
inline Error MakeError(std::string state, std::string message, std::string detail = {}, std::string hint = {}) {
  Error e;
  e.sqlstate = std::move(state);
  e.message = std::move(message);
  e.detail = std::move(detail);
  e.hint = std::move(hint);
  return e;
}

// Builds the 0A000 error used for every construct the coordinator cannot run correctly.
inline Error Unsupported(const std::string& construct, std::string detail = {}) {
  return MakeError(sqlstate::kFeatureNotSupported, construct + " is not supported on distributed tables",
                   std::move(detail));
}

}  // namespace jade::coord
