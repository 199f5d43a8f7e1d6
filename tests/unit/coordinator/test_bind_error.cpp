// Parameter-conversion errors of a worker become the client's Bind error (executor/bind_error.h).
#include <catch2/catch.hpp>

#include "executor/bind_error.h"
#include "wire/messages/error_response.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"

using namespace jade::coord;
using namespace jade::coord::exec;

namespace {

wire::ErrorFields WorkerError(const std::string& context) {
  wire::ErrorFields f{{'S', "ERROR"}, {'V', "ERROR"}, {'C', "22P02"},
                      {'M', "invalid input syntax for type integer: \"abc\""}};
  if (!context.empty()) f.emplace_back('W', context);
  return f;
}

std::string FieldValue(const wire::ErrorFields& f, char code) {
  for (const auto& [c, v] : f) {
    if (c == code) return v;
  }
  return "<none>";
}

}  // namespace

TEST_CASE("parameter-conversion errors are recognized by PostgreSQL's Bind context", "[executor][bind]") {
  CHECK(BindErrorParameter(WorkerError("unnamed portal parameter $1 = '...'")) == 1);
  CHECK(BindErrorParameter(WorkerError("unnamed portal parameter $12")) == 12);
  // An inner context (a type's input function calling SQL) comes first; the Bind's is the last line.
  CHECK(BindErrorParameter(WorkerError("SQL function \"f\" statement 1\nunnamed portal parameter $2 = 'x'")) == 2);
  CHECK_FALSE(BindErrorParameter(WorkerError("")));
  CHECK_FALSE(BindErrorParameter(WorkerError("PL/pgSQL function g() line 3 at RAISE")));
  CHECK_FALSE(BindErrorParameter(WorkerError("unnamed portal parameter $x")));
  CHECK_FALSE(BindErrorParameter(WorkerError("unnamed portal parameter $1\nSQL statement \"SELECT 1\"")));
}

TEST_CASE("the Bind context is rewritten for the client's portal and parameter", "[executor][bind]") {
  auto f = RewriteBindContext(WorkerError("unnamed portal parameter $1 = '...'"), "", 2);
  CHECK(FieldValue(f, 'W') == "unnamed portal parameter $3 = '...'");
  f = RewriteBindContext(WorkerError("inner\nunnamed portal parameter $2 = 'abc'"), "cur", 0);
  CHECK(FieldValue(f, 'W') == "inner\nportal \"cur\" parameter $1 = 'abc'");
  // Unknown mapping: the line is dropped rather than naming the wrong parameter.
  f = RewriteBindContext(WorkerError("unnamed portal parameter $2"), "", std::nullopt);
  CHECK(FieldValue(f, 'W') == "<none>");
  f = RewriteBindContext(WorkerError("inner\nunnamed portal parameter $2"), "", std::nullopt);
  CHECK(FieldValue(f, 'W') == "inner");
  CHECK(FieldValue(f, 'C') == "22P02");
  f = RewriteBindContext(WorkerError("something else"), "", 1);
  CHECK(FieldValue(f, 'W') == "something else");
}

TEST_CASE("the first ErrorResponse is found among encoded backend messages", "[executor][bind]") {
  std::string out;
  wire::WriteBindComplete(&out);
  size_t at = out.size();
  wire::WriteErrorFields(&out, 'E', WorkerError("unnamed portal parameter $1 = '...'"));
  wire::WriteCommandComplete(&out, "SELECT 0");
  auto e = FindErrorResponse(out);
  REQUIRE(e);
  CHECK(e->first == at);
  CHECK(e->second == WorkerError("unnamed portal parameter $1 = '...'"));
  CHECK_FALSE(FindErrorResponse(out.substr(0, at)));
  CHECK_FALSE(FindErrorResponse(out.substr(0, at + 7)));  // truncated: never read past the end
  CHECK_FALSE(DecodeErrorFields(std::string("Cabc", 4)));  // no terminator
  CHECK(DecodeErrorFields(std::string("\0", 1))->empty());
}
