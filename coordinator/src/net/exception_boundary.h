// exception_boundary.h — no exception ever leaves the coordinator's code into libuv or libpq.
//
// Every callback the loop (or libpq, for notices) calls into our code runs inside Guarded():
// an exception thrown below it is caught there, before it could unwind through C frames
// (which would std::terminate the process and drop every client). The exception then belongs
// to whichever client session was running when it was thrown: code entered on behalf of a
// session opens an OwnerScope, and a scope that is left by unwinding records its owner; the
// boundary hands the exception to the innermost recorded owner (the session answers its
// client with FATAL XX000 and closes that one connection) or, when no session was involved
// (recovery, the pool's idle housekeeping), only logs it. No client input can end the process.
//
// Expected failures are values (util/expected.h); this is the net for the unexpected ones:
// std::bad_alloc, a std::out_of_range from a bug, anything a library throws.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace jade::coord::net {

/** Answers for an unexpected exception thrown while running its code (a client session). */
class ExceptionOwner {
public:
    virtual ~ExceptionOwner() = default;
    /** Called from the boundary, after the stack has unwound; must not throw. */
    virtual void OnUnhandledException(const std::string& what) = 0;
};

/**
 * Marks the code run while it lives as `owner`'s. `alive` is the owner's liveness token (false
 * once it is destroyed), so a late report never reaches a deleted object.
 */
class OwnerScope {
public:
    OwnerScope(ExceptionOwner* owner, std::shared_ptr<bool> alive);
    ~OwnerScope();
    OwnerScope(const OwnerScope&) = delete;
    OwnerScope& operator=(const OwnerScope&) = delete;

private:
    ExceptionOwner* owner_;
    std::shared_ptr<bool> alive_;
    int uncaught_at_entry_;
};

/** Reports an exception caught at the boundary `where` (to its owner, else to the log). */
void ReportUnhandled(const char* where, const std::string& what) noexcept;

/** Forgets an owner left recorded by an exception that our own code caught (start of a callback). */
void ClearPendingOwner() noexcept;

/** Number of exceptions caught at the boundary since start (tests, metrics). */
unsigned long UnhandledExceptionCount() noexcept;

/** Runs `fn`; an exception escaping it is caught and reported, never propagated. */
template <typename Fn>
void Guarded(const char* where, Fn&& fn) noexcept {
    ClearPendingOwner();
    try {
        std::forward<Fn>(fn)();
    } catch (const std::exception& e) {
        ReportUnhandled(where, e.what());
    } catch (...) {
        ReportUnhandled(where, "unknown exception");
    }
}

}  // namespace jade::coord::net
