// The per-connection list of statements prepared on a worker (backend/statement_cache.h).
#include <catch2/catch.hpp>

#include "backend/statement_cache.h"

using jade::coord::backend::StatementCache;

TEST_CASE("prepared statements are remembered per key, bounded, and dropped after DDL", "[executor][statements]") {
  StatementCache c;
  CHECK(c.NeedsReset(1));  // a new connection starts at epoch 0
  CHECK_FALSE(c.HoldsStatements());
  c.Reset(1);
  CHECK_FALSE(c.NeedsReset(1));
  CHECK(c.Find("SELECT 1") == nullptr);
  auto name = c.NewName();
  REQUIRE(name);
  c.Add("SELECT 1", *name);
  REQUIRE(c.Find("SELECT 1") != nullptr);
  CHECK(*c.Find("SELECT 1") == *name);
  CHECK(c.HoldsStatements());
  // DDL elsewhere: the server's epoch moved on.
  CHECK(c.NeedsReset(2));
  c.Reset(2);
  CHECK(c.Find("SELECT 1") == nullptr);
  CHECK_FALSE(c.HoldsStatements());
  // Names never repeat on a connection, even after a reset.
  auto again = c.NewName();
  REQUIRE(again);
  CHECK(*again != *name);
  // Forget: not used any more, but the worker may hold them until the next reset.
  c.Add("SELECT 2", *again);
  c.Forget();
  CHECK(c.Find("SELECT 2") == nullptr);
  CHECK(c.NeedsReset(2));
  CHECK(c.HoldsStatements());
  c.Reset(2);
  // Bounded: beyond the capacity statements run unnamed (no new name).
  for (size_t i = 0; i < StatementCache::kCapacity; ++i) {
    auto n = c.NewName();
    REQUIRE(n);
    c.Add("SELECT " + std::to_string(i), *n);
  }
  CHECK_FALSE(c.NewName());
  c.Forget();
  CHECK_FALSE(c.NewName());  // forgotten statements still count until the worker dropped them
  c.Reset(3);
  CHECK(c.NewName());
}
