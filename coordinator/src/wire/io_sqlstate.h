// io_sqlstate.h — SQLSTATEs raised by the I/O side (protocol, auth, workers, transactions)
// that util/error.h does not list. A separate namespace so cb's list can grow without clashes.
#pragma once

namespace jade::coord::iostate {
constexpr const char* kInvalidAuthorizationSpecification = "28000";
constexpr const char* kInvalidPassword = "28P01";
constexpr const char* kConnectionException = "08000";
constexpr const char* kConnectionFailure = "08006";
constexpr const char* kProtocolViolation = "08P01";
constexpr const char* kInFailedSqlTransaction = "25P02";
constexpr const char* kQueryCanceled = "57014";
constexpr const char* kAdminShutdown = "57P01";
constexpr const char* kTooManyConnections = "53300";
constexpr const char* kInvalidSqlStatementName = "26000";
constexpr const char* kInvalidCursorName = "34000";
constexpr const char* kDuplicatePreparedStatement = "42P05";
constexpr const char* kDuplicateCursor = "42P03";
constexpr const char* kFeatureNotSupported = "0A000";
constexpr const char* kTransactionResolutionUnknown = "08007";
}  // namespace jade::coord::iostate
