// expected.h — a minimal Expected<T>: either a value or an Error (C++17 has no std::expected).
//
// Expected outcomes (bad SQL, unknown table, unsupported construct) travel as values;
// exceptions are reserved for bugs and allocation failure (STYLE.md rule 8).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "util/error.h"

namespace jade::coord {

/** Value-or-Error. Construct from a T (success) or an Error (failure). */
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT: implicit by design
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}    // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok() && "value() on an error"); return std::get<0>(v_); }
  const T& value() const& { assert(ok() && "value() on an error"); return std::get<0>(v_); }
  T&& value() && { assert(ok() && "value() on an error"); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok() && "error() on a value"); return std::get<1>(v_); }
  Error&& error() && { assert(!ok() && "error() on a value"); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/** Success-or-Error for operations without a result value. */
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_ && "error() on success"); return error_; }
  Error&& error() && { assert(!ok_ && "error() on success"); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Expected<void>;

// Returns the error of `expr` from the enclosing function when it failed.
#define JADE_TRY_STATUS(expr)                       \
  do {                                              \
    auto jade_try_status_ = (expr);                 \
    if (!jade_try_status_.ok()) return std::move(jade_try_status_).error(); \
  } while (0)

}  // namespace jade::coord
