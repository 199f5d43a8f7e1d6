// guard.h — the boundary between PostgreSQL's error regime (ereport/longjmp) and C++'s
// (exceptions, destructors). Every SQL-callable entry point that runs C++ code goes through it.
//
// Two rules (STYLE.md rule 1, DEPENDENCIES.md §2 "Exception and longjmp bridge"):
//
//  1. No C++ exception may cross into PostgreSQL. An uncaught exception calls std::terminate,
//     which crash-restarts the whole cluster. CallCpp(fn) runs fn inside try/catch, copies
//     what it caught into static storage (no allocation: palloc could itself longjmp out of
//     the catch handler), lets the C++ scope unwind completely, and only then calls ereport.
//
//  2. No ereport(ERROR) may longjmp over live C++ objects: their destructors would never run
//     (a 64 MiB std::vector leaked per call in the prototype). C++ code that must call a
//     PostgreSQL function that can error wraps it in PgCall(fn): PG_TRY around fn; on error
//     the ErrorData is copied, the error state flushed, and a PgError thrown once we are out of
//     the PG_CATCH block. CallCpp re-throws it with ReThrowError, so the SQLSTATE and message
//     the user sees are PostgreSQL's own. The body of a PgCall must hold only POD locals.
//
// Mapping at the boundary:
//   jade::JadeError        -> its SQLSTATE, message, detail, hint
//   jade::PgError          -> the original PostgreSQL error, unchanged
//   jade::Interrupted      -> CHECK_FOR_INTERRUPTS() (cancel / statement_timeout / terminate)
//   std::bad_alloc         -> 53200 out_of_memory
//   other std::exception   -> XX000 internal_error with what()
//   anything else          -> XX000 internal_error
#pragma once

#include "pg/pg_headers.h"

#include <new>
#include <type_traits>
#include <utility>

#include "common/error.h"

namespace jade {

// A PostgreSQL error caught by PgCall, carried through C++ frames as an exception.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData* edata) : edata_(edata) {}
    const char* what() const noexcept override { return edata_->message ? edata_->message : "postgres error"; }
    ErrorData* edata() const noexcept { return edata_; }

private:
    ErrorData* edata_;
};

namespace pg {

// What CallCpp caught, kept in static storage until it is reported.
struct CaughtFailure {
    enum Kind { kNone, kJade, kPg, kInterrupted, kOutOfMemory, kOther } kind = kNone;
    ErrorData* pg_error = nullptr;
    char sqlstate[6] = {0};
    char message[1024] = {0};
    char detail[1024] = {0};
    char hint[512] = {0};
};

// Records the exception currently being handled. Must be called from inside a catch block.
void CaptureCurrentException(CaughtFailure* failure) noexcept;

// Reports a captured failure as a PostgreSQL ERROR. Call only after the catch block has ended.
[[noreturn]] void ReportFailure(CaughtFailure* failure);

// Runs fn() with every C++ exception turned into a PostgreSQL ERROR (rule 1 above).
// fn's return type must be trivially copyable (Datum, pointers, numbers) or void.
template <typename Fn>
decltype(auto) CallCpp(Fn&& fn) {
    using Result = decltype(fn());
    static_assert(std::is_void_v<Result> || std::is_trivially_copyable_v<Result>,
                  "CallCpp results cross a longjmp boundary and must be trivially copyable");
    static CaughtFailure failure;
    failure.kind = CaughtFailure::kNone;
    if constexpr (std::is_void_v<Result>) {
        try {
            std::forward<Fn>(fn)();
            return;
        } catch (...) {
            CaptureCurrentException(&failure);
        }
    } else {
        try {
            return std::forward<Fn>(fn)();
        } catch (...) {
            CaptureCurrentException(&failure);
        }
    }
    ReportFailure(&failure);
}

// Runs fn(), a call into PostgreSQL that may ereport, and converts an ERROR into a thrown
// jade::PgError (rule 2 above). fn must hold no object with a destructor.
template <typename Fn>
void PgCall(Fn&& fn) {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile edata = nullptr;
    PG_TRY();
    {
        fn();
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        edata = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    if (edata != nullptr) throw PgError(edata);
}

// Installs the interrupt probe used by jade::ThrowIfInterrupted (call once from _PG_init).
void InstallInterruptProbe();

}  // namespace pg
}  // namespace jade

// Declares the body of a V1 SQL-callable function whose work runs inside CallCpp:
//
//   JADE_FUNCTION(my_func) { ... return PointerGetDatum(result); }
//
// expands to the extern "C" entry point plus a C++ function holding the body. Arguments are
// fetched inside the body with the usual PG_GETARG_* macros; detoasting and other calls that can
// ereport should happen before any C++ object with a destructor is constructed.
#define JADE_FUNCTION(name)                                                   \
    static Datum name##_impl(FunctionCallInfo fcinfo);                        \
    extern "C" {                                                              \
    PG_FUNCTION_INFO_V1(name);                                                \
    Datum name(PG_FUNCTION_ARGS) {                                            \
        return jade::pg::CallCpp([fcinfo]() { return name##_impl(fcinfo); }); \
    }                                                                         \
    }                                                                         \
    static Datum name##_impl(FunctionCallInfo fcinfo)
