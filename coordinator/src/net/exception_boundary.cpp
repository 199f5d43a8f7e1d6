// exception_boundary.cpp — attribution of unexpected exceptions to sessions (see exception_boundary.h).
#include "net/exception_boundary.h"

#include <cstdio>

namespace jade::coord::net {
namespace {

/** The owner recorded by the innermost OwnerScope that an exception in flight unwound. */
struct PendingOwner {
    ExceptionOwner* owner = nullptr;
    std::shared_ptr<bool> alive;
};

// Everything runs on the loop thread; libuv's pool threads only run PQcancel and DNS, which
// never enter session code.
thread_local PendingOwner pending;
unsigned long caught_count = 0;

}  // namespace

OwnerScope::OwnerScope(ExceptionOwner* owner, std::shared_ptr<bool> alive)
    : owner_(owner), alive_(std::move(alive)), uncaught_at_entry_(std::uncaught_exceptions()) {}

// Left by unwinding: the innermost scope is the first destroyed, so it wins.
OwnerScope::~OwnerScope() {
    if (std::uncaught_exceptions() > uncaught_at_entry_ && pending.owner == nullptr) {
        pending.owner = owner_;
        pending.alive = alive_;
    }
}

void ReportUnhandled(const char* where, const std::string& what) noexcept {
    ++caught_count;
    PendingOwner owner = std::move(pending);
    pending = PendingOwner{};
    bool delivered = owner.owner != nullptr && owner.alive && *owner.alive;
    std::fprintf(stderr, "jade-coordinator: internal error in %s: %s%s\n", where, what.c_str(),
                 delivered ? " (the client session that ran it is closed)" : "");
    if (!delivered) return;
    try {
        owner.owner->OnUnhandledException(what);
    } catch (...) {
        std::fprintf(stderr, "jade-coordinator: internal error while closing the session after it\n");
    }
}

void ClearPendingOwner() noexcept {
    pending = PendingOwner{};
}

unsigned long UnhandledExceptionCount() noexcept {
    return caught_count;
}

}  // namespace jade::coord::net
