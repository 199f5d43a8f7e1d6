// test_executor_formats.cpp — result format choice and text→binary encoding.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "executor/binary_format.h"
#include "executor/param_count.h"
#include "executor/result_relay.h"
#include "executor/vector_binary.h"

using namespace jade::coord;
using namespace jade::coord::exec;

TEST_CASE("worker result format follows the client's format codes", "[executor]") {
    CHECK(ChooseFormats({}).worker_format == 0);
    CHECK(ChooseFormats({1}).worker_format == 1);
    CHECK(ChooseFormats({1, 1}).worker_format == 1);
    auto mixed = ChooseFormats({1, 0});
    CHECK(mixed.worker_format == 0);
    CHECK(mixed.convert);
    CHECK(FormatFor({1}, 7) == 1);
    CHECK(FormatFor({0, 1}, 1) == 1);
    CHECK(FormatFor({}, 3) == 0);
}

TEST_CASE("text to binary matches PostgreSQL's send functions", "[executor]") {
    CHECK(*TextToBinary(23, "42") == std::string("\x00\x00\x00\x2a", 4));
    CHECK(*TextToBinary(20, "-1") == std::string(8, '\xff'));
    CHECK(*TextToBinary(21, "258") == std::string("\x01\x02", 2));
    CHECK(*TextToBinary(16, "t") == std::string("\x01", 1));
    CHECK(*TextToBinary(701, "1") == std::string("\x3f\xf0\x00\x00\x00\x00\x00\x00", 8));
    CHECK(*TextToBinary(700, "1") == std::string("\x3f\x80\x00\x00", 4));
    CHECK(*TextToBinary(17, "\\x00ff") == std::string("\x00\xff", 2));
    CHECK(*TextToBinary(25, "héllo") == "héllo");
    CHECK(TextToBinary(23, "4x").error().sqlstate == "22P02");
    CHECK(TextToBinary(1700, "1.5").error().sqlstate == "0A000");
    CHECK(CanEncodeBinary(20));
    CHECK_FALSE(CanEncodeBinary(1700));
}

TEST_CASE("vector types and bit strings encode as their send functions", "[executor]") {
    // bit / varbit (fixed OIDs): int32 length, bits packed most significant first
    CHECK(*TextToBinary(kBitOid, "101") == std::string("\x00\x00\x00\x03\xa0", 5));
    CHECK(*TextToBinary(kVarbitOid, "") == std::string("\x00\x00\x00\x00", 4));
    CHECK(*TextToBinary(kVarbitOid, "111111111") == std::string("\x00\x00\x00\x09\xff\x80", 6));
    CHECK(TextToBinary(kBitOid, "102").error().sqlstate == "22P02");
    // the extension's types are refused until their OIDs are learned from a worker
    ForgetVectorTypes();
    CHECK_FALSE(VectorTypesKnown());
    CHECK_FALSE(CanEncodeBinary(50001));
    CHECK(TextToBinary(50001, "[1,2]").error().sqlstate == "0A000");
    RegisterVectorType(50001, "vector");
    RegisterVectorType(50002, "halfvec");
    RegisterVectorType(50003, "sparsevec");
    RegisterVectorType(50004, "jsonb");  // not ours: ignored
    CHECK(VectorTypesKnown());
    CHECK(CanEncodeBinary(50002));
    CHECK_FALSE(CanEncodeBinary(50004));
    // pgvector's layouts (the values vector_send/halfvec_send/sparsevec_send give in pg_regress)
    CHECK(*TextToBinary(50001, "[1,2,3]") ==
          std::string("\x00\x03\x00\x00\x3f\x80\x00\x00\x40\x00\x00\x00\x40\x40\x00\x00", 16));
    CHECK(*TextToBinary(50002, "[1,2,-0.5]") == std::string("\x00\x03\x00\x00\x3c\x00\x40\x00\xb8\x00", 10));
    CHECK(*TextToBinary(50003, "{1:1,3:2}/5") ==
          std::string("\x00\x00\x00\x05\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"
                      "\x00\x00\x00\x02\x3f\x80\x00\x00\x40\x00\x00\x00", 28));
    CHECK(TextToBinary(50001, "[1,2").error().sqlstate == "22P02");
    CHECK(TextToBinary(50003, "{1:1}").error().sqlstate == "22P02");
    ForgetVectorTypes();
    CHECK_FALSE(CanEncodeBinary(50001));
}

TEST_CASE("parameter count comes from the lexer", "[executor]") {
    CHECK(CountParams("SELECT 1") == 0);
    CHECK(CountParams("INSERT INTO t VALUES ($1, $2)") == 2);
    CHECK(CountParams("SELECT $3::int, $1") == 3);
    CHECK(CountParams("SELECT '$5', $1 -- $9\n") == 1);
    CHECK(CountParams("SELECT $$ $7 $$, $2") == 2);
}
