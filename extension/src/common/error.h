// error.h — the error type of the extension's C++ regime.
//
// C++-regime code (src/common, src/distance, src/text, src/faiss) never includes PostgreSQL
// headers, so it cannot name ERRCODE_* macros. It throws JadeError with the five-character
// SQLSTATE instead; the boundary (src/pg/guard.h) turns it into ereport(ERROR) with that code
// after every C++ object of the call has been destroyed.
#pragma once

#include <stdexcept>
#include <string>

namespace jade {

// SQLSTATEs used by the C++ regime (PostgreSQL Appendix A, "PostgreSQL Error Codes").
namespace sqlstate {
inline constexpr const char* kDataException = "22000";
inline constexpr const char* kInvalidTextRepresentation = "22P02";
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kNumericValueOutOfRange = "22003";
inline constexpr const char* kInvalidBinaryRepresentation = "22P03";
inline constexpr const char* kProgramLimitExceeded = "54000";
inline constexpr const char* kFeatureNotSupported = "0A000";
inline constexpr const char* kInvalidObjectDefinition = "42P17";
inline constexpr const char* kOutOfMemory = "53200";
inline constexpr const char* kInternalError = "XX000";
inline constexpr const char* kIndexCorrupted = "XX002";
inline constexpr const char* kExternalRoutineException = "38000";
}  // namespace sqlstate

// An error that ends the current SQL statement, with the SQLSTATE the client will see.
class JadeError : public std::runtime_error {
public:
    JadeError(const char* sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : std::runtime_error(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {
        for (int i = 0; i < 5; i++) sqlstate_[i] = sqlstate[i];
        sqlstate_[5] = '\0';
    }
    const char* sqlstate() const noexcept { return sqlstate_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    char sqlstate_[6];
    std::string detail_;
    std::string hint_;
};

// Thrown by long-running C++ loops (FAISS training/adding in chunks) when the backend has a
// pending cancel or termination; the boundary then runs CHECK_FOR_INTERRUPTS().
class Interrupted : public std::exception {
public:
    const char* what() const noexcept override { return "interrupted"; }
};

}  // namespace jade
