// test_key_value.cpp — shard key values computed as PostgreSQL would (planner/key_value.h).
#include <catch2/catch.hpp>

#include "planner/key_value.h"
#include "planner/planner_internal.h"
#include "sql/parser.h"

using namespace jade::coord;
using namespace jade::coord::planner;

namespace {

// Evaluates the expression of `SELECT <expr>` as a key value (text, "NULL" or "?" for unknown).
std::string Key(const std::string& expr, KeyType type, KeyUse use = KeyUse::kCompare, int32_t length = -1,
                const Params& params = {}) {
  auto parsed = ParseSql("SELECT " + expr);
  REQUIRE(parsed.ok());
  const PgQuery__Node* value = (*parsed)[0].node()->select_stmt->target_list[0]->res_target->val;
  KeyValue v = EvaluateKey(value, params, type, use, length);
  if (v.kind == KeyValue::Kind::kNull) return "NULL";
  if (v.kind == KeyValue::Kind::kUnknown) return "?";
  return v.text;
}

// Strips value-preserving casts from `SELECT <expr>`: the column name left, or "" when a cast changes values.
std::string Stripped(const std::string& expr, KeyType type) {
  auto parsed = ParseSql("SELECT " + expr);
  REQUIRE(parsed.ok());
  const PgQuery__Node* n =
      StripValuePreservingCasts((*parsed)[0].node()->select_stmt->target_list[0]->res_target->val, type);
  if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) return "";
  return tree::ColumnName(n->column_ref);
}

Param TextParam(std::string value, uint32_t type = 0) {
  Param p;
  p.value = std::move(value);
  p.type_oid = type;
  return p;
}

}  // namespace

TEST_CASE("explicit casts are applied, not dropped", "[routing]") {
  CHECK(Key("'abcdef'::varchar(3)", KeyType::kVarchar) == "abc");
  CHECK(Key("'abcdef'::varchar(3)", KeyType::kText) == "abc");
  CHECK(Key("'ünïcödé'::character varying(2)", KeyType::kText) == "ün");
  CHECK(Key("'abcdef'::varchar", KeyType::kText) == "abcdef");
  CHECK(Key("'abc'::text", KeyType::kText) == "abc");
  CHECK(Key("' 7'::int", KeyType::kInt8) == "7");
  CHECK(Key("'7'::text::int4", KeyType::kInt4) == "7");
  CHECK(Key("5.5::int", KeyType::kInt8) == "6");
  CHECK(Key("-5.5::int", KeyType::kInt8) == "?");  // -(5.5::int): an operator, not evaluated
  CHECK(Key("(-5.5)::int", KeyType::kInt8) == "-6");
  CHECK(Key("'-5.5'::numeric::int8", KeyType::kInt8) == "-6");
  CHECK(Key("7::text", KeyType::kText) == "7");
  CHECK(Key("'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", KeyType::kUuid) == "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11");
  CHECK(Key("'not a uuid'::uuid", KeyType::kUuid) == "?");
  CHECK(Key("'abc'::citext", KeyType::kText) == "?");
  CHECK(Key("'abc'::char(5)", KeyType::kText) == "?");
  CHECK(Key("70000::int2", KeyType::kInt8) == "?");
}

TEST_CASE("literals read by the key type's input rules; other expressions are unknown", "[routing]") {
  CHECK(Key("42", KeyType::kInt8) == "42");
  CHECK(Key("' +42 '", KeyType::kInt4) == "42");
  CHECK(Key("'4x'", KeyType::kInt4) == "?");
  CHECK(Key("3000000000", KeyType::kInt4) == "?");
  CHECK(Key("5.0", KeyType::kInt8) == "5");
  CHECK(Key("5.5", KeyType::kInt8) == "?");                   // compared as numeric: no key equals it
  CHECK(Key("5.5", KeyType::kInt8, KeyUse::kAssign) == "6");  // stored: rounded
  CHECK(Key("NULL", KeyType::kInt8) == "NULL");
  CHECK(Key("NULL::int", KeyType::kInt8) == "NULL");
  CHECK(Key("1 + 1", KeyType::kInt8) == "?");
  CHECK(Key("gen_random_uuid()", KeyType::kUuid) == "?");
  CHECK(Key("lower('ABC')", KeyType::kText) == "?");
  CHECK(Key("7", KeyType::kText) == "?");                     // text = integer: no such operator
  CHECK(Key("7", KeyType::kText, KeyUse::kAssign) == "7");    // stored through the assignment cast
}

TEST_CASE("collations: deterministic ones change nothing", "[routing]") {
  CHECK(Key("'abc' COLLATE \"C\"", KeyType::kText) == "abc");
  CHECK(Key("'abc' COLLATE \"en_US\"", KeyType::kText) == "abc");
  CHECK(Key("'abc' COLLATE \"und-x-icu\"", KeyType::kText) == "abc");
  CHECK(Key("'abc' COLLATE case_insensitive", KeyType::kText) == "?");
}

TEST_CASE("varchar(n) keys drop excess spaces when a value is stored", "[routing]") {
  CHECK(Key("'abc   '", KeyType::kVarchar, KeyUse::kAssign, 3) == "abc");
  CHECK(Key("'abc   '", KeyType::kVarchar, KeyUse::kCompare, 3) == "abc   ");
  CHECK(Key("'abc '", KeyType::kVarchar, KeyUse::kAssign, 10) == "abc ");
  CHECK(Key("'abc '", KeyType::kVarchar, KeyUse::kAssign, kUnknownTypmod) == "?");
  CHECK(Key("'abc '", KeyType::kText, KeyUse::kAssign, -1) == "abc ");
}

TEST_CASE("parameters are read by their declared type", "[routing]") {
  Params p = {TextParam("17"), TextParam("17", oid::kInt8), TextParam("17", oid::kNumeric), TextParam("x", oid::kText)};
  CHECK(Key("$1", KeyType::kInt8, KeyUse::kCompare, -1, p) == "17");
  CHECK(Key("$2", KeyType::kInt4, KeyUse::kCompare, -1, p) == "17");
  CHECK(Key("$3", KeyType::kInt8, KeyUse::kCompare, -1, p) == "?");
  CHECK(Key("$4", KeyType::kText, KeyUse::kCompare, -1, p) == "x");
  CHECK(Key("$4", KeyType::kInt8, KeyUse::kCompare, -1, p) == "?");
  CHECK(Key("$1::varchar(1)", KeyType::kText, KeyUse::kCompare, -1, p) == "1");
}

TEST_CASE("only casts that keep key values keep the key column", "[routing]") {
  CHECK(Stripped("id", KeyType::kInt8) == "id");
  CHECK(Stripped("id::bigint", KeyType::kInt8) == "id");
  CHECK(Stripped("id::int8::numeric", KeyType::kInt4) == "id");
  CHECK(Stripped("id::int4", KeyType::kInt8) == "");
  CHECK(Stripped("id::text", KeyType::kInt8) == "");
  CHECK(Stripped("k::varchar", KeyType::kText) == "k");
  CHECK(Stripped("k::varchar(2)", KeyType::kText) == "");
  CHECK(Stripped("k COLLATE \"C\"", KeyType::kText) == "k");
  CHECK(Stripped("lower(k)", KeyType::kText) == "");
}
