// test_exception_boundary.cpp — exceptions thrown below a libuv callback are caught there and
// handed to the session whose code threw (net/exception_boundary.h).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "net/exception_boundary.h"

using namespace jade::coord::net;

namespace {

struct FakeSession : ExceptionOwner {
    std::vector<std::string> seen;
    void OnUnhandledException(const std::string& what) override { seen.push_back(what); }
};

void Throws() {
    throw std::out_of_range("stoul");
}

}  // namespace

TEST_CASE("the innermost session scope left by an exception answers for it", "[boundary]") {
    FakeSession outer, inner;
    auto outer_alive = std::make_shared<bool>(true);
    auto inner_alive = std::make_shared<bool>(true);
    unsigned long before = UnhandledExceptionCount();
    Guarded("test", [&] {
        OwnerScope a(&outer, outer_alive);
        OwnerScope b(&inner, inner_alive);
        Throws();
    });
    CHECK(UnhandledExceptionCount() == before + 1);
    CHECK(inner.seen == std::vector<std::string>{"stoul"});
    CHECK(outer.seen.empty());
}

TEST_CASE("scopes left normally record nothing; a dead owner is not called", "[boundary]") {
    FakeSession s;
    auto alive = std::make_shared<bool>(true);
    Guarded("test", [&] { OwnerScope a(&s, alive); });
    Guarded("test", [&] { throw std::runtime_error("no session ran this"); });
    CHECK(s.seen.empty());
    Guarded("test", [&] {
        OwnerScope a(&s, alive);
        *alive = false;  // the session was destroyed while its code ran
        throw 42;       // not even a std::exception
    });
    CHECK(s.seen.empty());
}

TEST_CASE("an exception caught inside our code leaves no stale owner", "[boundary]") {
    FakeSession s, other;
    auto alive = std::make_shared<bool>(true);
    Guarded("test", [&] {
        try {
            OwnerScope a(&s, alive);
            Throws();
        } catch (const std::exception&) {
        }
    });
    Guarded("test", [&] {
        OwnerScope b(&other, alive);
        Throws();
    });
    CHECK(s.seen.empty());
    CHECK(other.seen.size() == 1);
}
