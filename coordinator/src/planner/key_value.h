// key_value.h — the shard key value an expression stands for, computed as PostgreSQL would.
//
// Routing is only sound when the router hashes exactly the value PostgreSQL compares or stores,
// so expressions are evaluated here, not stripped: a cast is applied (`'abcdef'::varchar(3)` is
// 'abc', `'7'::int` is 7, `5.5::int` is 6), a literal is read by the key type's input rules, a
// parameter by its declared type, a deterministic COLLATE changes nothing. Anything not
// understood exactly is kUnknown — a read then goes to every shard, a write is evaluated by
// PostgreSQL first — never a guess.
//
// Use matters: a comparison (`key = expr`) takes the value as the operator sees it; an
// assignment (INSERT) takes it as stored, so a text value with trailing spaces is kUnknown there
// unless the key column's length limit (varchar(n) truncates excess spaces) is known.
//
// Pure; unit-tested in test_key_value.cpp.
#pragma once

#include <string>

#include "planner/planner.h"
#include "sharding/hash.h"

namespace jade::coord::planner {

enum class KeyUse { kCompare, kAssign };

struct KeyValue {
  /// kInvalid: PostgreSQL refuses the value (a literal the key type's input rejects); any shard
  /// reports PostgreSQL's own error for it.
  enum class Kind { kValue, kNull, kUnknown, kInvalid };
  Kind kind = Kind::kUnknown;
  std::string text;  ///< kValue: input text of the key type, hashed by ShardIndexForKey

  static KeyValue Unknown() { return {}; }
};

/** key_length value: the column's length limit is not known. */
constexpr int32_t kUnknownTypmod = -2;

/**
 * Evaluates `expr` as a value of a shard key of type `key_type`. `key_length`: the declared
 * length of a varchar(n) key, -1 for none, kUnknownTypmod when not known.
 */
KeyValue EvaluateKey(const PgQuery__Node* expr, const Params& params, KeyType key_type, KeyUse use,
                     int32_t key_length = kUnknownTypmod);

/**
 * The expression under casts that keep every value of the key type distinct and equal to itself
 * (int key → int8/numeric, text key → text/varchar without a length, deterministic COLLATE), or
 * null when a cast or function may change values (then the expression is not the key column).
 */
const PgQuery__Node* StripValuePreservingCasts(const PgQuery__Node* expr, KeyType key_type);

}  // namespace jade::coord::planner
