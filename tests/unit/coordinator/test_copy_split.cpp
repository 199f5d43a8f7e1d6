// COPY splitting: rows reach the shard their key hashes to, byte-exact, for any chunking.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "copy/copy_split.h"

using namespace jade::coord;

namespace {

struct Collected {
  std::map<uint32_t, std::string> streams;
  std::vector<std::pair<uint32_t, std::string>> rows;
};

// Feeds `data` in chunks of `chunk` bytes (0 = one piece) and collects the routed rows.
Expected<Collected> Split(const std::string& data, CopyFormat fmt, int key_field, KeyType type, uint32_t shards,
                          size_t chunk = 0) {
  CopySplitter sp(std::move(fmt), key_field, type, shards);
  Collected c;
  auto sink = [&](uint32_t s, std::string_view row) {
    c.streams[s].append(row);
    c.rows.emplace_back(s, std::string(row));
  };
  size_t step = chunk == 0 ? data.size() + 1 : chunk;
  for (size_t i = 0; i < data.size(); i += step) {
    Status st = sp.Feed(std::string_view(data).substr(i, step), sink);
    if (!st.ok()) return std::move(st).error();
  }
  Status st = sp.Finish(sink);
  if (!st.ok()) return std::move(st).error();
  return c;
}

uint32_t ShardOf(KeyType t, const std::string& key, uint32_t n) { return ShardIndexForKey(t, key, n).value(); }

}  // namespace

TEST_CASE("text COPY rows are routed by key and forwarded byte-exact under any chunking", "[copy]") {
  std::string data;
  std::vector<std::pair<std::string, std::string>> expect;  // key, row
  for (int i = 0; i < 200; i++) {
    std::string row = std::to_string(i) + "\tname\\t" + std::to_string(i) + "\t[1,2,3]\n";
    data += row;
    expect.emplace_back(std::to_string(i), row);
  }
  for (size_t chunk : {0, 1, 2, 3, 7, 64, 1000}) {
    INFO("chunk " << chunk);
    auto c = Split(data, CopyFormat::Text(), 0, KeyType::kInt8, 4, chunk);
    REQUIRE(c.ok());
    REQUIRE(c->rows.size() == expect.size());
    for (size_t i = 0; i < expect.size(); i++) {
      CHECK(c->rows[i].first == ShardOf(KeyType::kInt8, expect[i].first, 4));
      CHECK(c->rows[i].second == expect[i].second);
    }
  }
}

TEST_CASE("text COPY: escapes, key in a later field, CRLF, end marker", "[copy]") {
  // Key is field 1 (text); it contains an escaped tab and an escaped newline.
  std::string data = "1\ta\\tb\tx\r\n2\tline\\\nbreak\ty\r\n3\t\\101\\x42\tz\r\n\\.\r\nignored\tafter\tend\n";
  auto c = Split(data, CopyFormat::Text(), 1, KeyType::kText, 5, 3);
  REQUIRE(c.ok());
  REQUIRE(c->rows.size() == 3);
  CHECK(c->rows[0].first == ShardOf(KeyType::kText, "a\tb", 5));
  CHECK(c->rows[1].first == ShardOf(KeyType::kText, "line\nbreak", 5));
  CHECK(c->rows[1].second == "2\tline\\\nbreak\ty\r\n");
  CHECK(c->rows[2].first == ShardOf(KeyType::kText, "AB", 5));
}

TEST_CASE("text COPY: a NULL key goes to shard 0, a bad key is an error with the line number", "[copy]") {
  // As PostgreSQL's hash partitioning places NULL (a NOT NULL key refuses it on the shard).
  auto n = Split("1\tx\n\\N\ty\n", CopyFormat::Text(), 0, KeyType::kInt8, 4);
  REQUIRE(n.ok());
  REQUIRE(n->rows.size() == 2);
  CHECK(n->rows[1].first == 0);
  auto bad0 = Split("1\tx\n12x\ty\n", CopyFormat::Text(), 0, KeyType::kInt8, 4);
  REQUIRE_FALSE(bad0.ok());
  CHECK(bad0.error().detail == "COPY data line 2.");
  auto bad = Split("12x\tx\n", CopyFormat::Text(), 0, KeyType::kInt4, 4);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().sqlstate == "22P02");
  auto missing = Split("1\n", CopyFormat::Text(), 2, KeyType::kInt4, 4);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().sqlstate == "22P04");
}

TEST_CASE("CSV COPY: quotes, doubled quotes, embedded newlines, header, NULL vs empty string", "[copy]") {
  std::string data =
      "id,name,v\n"                       // header
      "\"1\",\"a, \"\"quoted\"\" name\",x\n"
      "2,\"multi\nline\",y\n"
      "3,,z\n"                            // unquoted empty = NULL (not the key here)
      "4,\"\",w";                         // no final newline
  CopyFormat f = CopyFormat::Csv();
  f.header = true;
  for (size_t chunk : {0, 1, 5}) {
    INFO("chunk " << chunk);
    // Routed on field 1: row "3,,z" has an unquoted empty name = NULL key → shard 0.
    auto c = Split(data, f, 1, KeyType::kText, 3, chunk);
    REQUIRE(c.ok());
    REQUIRE(c->rows.size() == 4);
    CHECK(c->rows[2].first == 0);
  }
  auto c = Split(data, f, 0, KeyType::kInt8, 3, 4);
  REQUIRE(c.ok());
  REQUIRE(c->rows.size() == 4);
  CHECK(c->rows[0].second == "\"1\",\"a, \"\"quoted\"\" name\",x\n");
  CHECK(c->rows[1].second == "2,\"multi\nline\",y\n");
  CHECK(c->rows[3].second == "4,\"\",w");
  for (int i = 0; i < 4; i++) CHECK(c->rows[static_cast<size_t>(i)].first == ShardOf(KeyType::kInt8, std::to_string(i + 1), 3));
  // Quoted key containing the delimiter, routed on its de-quoted value.
  auto q = Split("\"x,y\",1\n", CopyFormat::Csv(), 0, KeyType::kText, 7);
  REQUIRE(q.ok());
  CHECK(q->rows[0].first == ShardOf(KeyType::kText, "x,y", 7));
  // Quoted empty string is a value, not NULL.
  auto e = Split("\"\",1\n", CopyFormat::Csv(), 0, KeyType::kText, 7);
  REQUIRE(e.ok());
  CHECK(e->rows[0].first == ShardOf(KeyType::kText, "", 7));
}

TEST_CASE("CSV COPY: custom escape, unterminated quote, end marker", "[copy]") {
  CopyFormat f = CopyFormat::Csv();
  f.escape = '\\';
  auto c = Split("\"a\\\"b\",1\n\\.\n", f, 0, KeyType::kText, 4, 2);
  REQUIRE(c.ok());
  REQUIRE(c->rows.size() == 1);
  CHECK(c->rows[0].first == ShardOf(KeyType::kText, "a\"b", 4));
  auto open = Split("\"never closed,1\n2,3\n", CopyFormat::Csv(), 0, KeyType::kText, 4);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().sqlstate == "22P04");
}

TEST_CASE("COPY splitter buffers only the partial row", "[copy]") {
  CopySplitter sp(CopyFormat::Text(), 0, KeyType::kInt8, 8);
  size_t rows = 0;
  auto sink = [&](uint32_t, std::string_view) { rows++; };
  std::string big;
  for (int i = 0; i < 10000; i++) big += std::to_string(i) + "\tpayload\n";
  REQUIRE(sp.Feed(big + "12345\tpart", sink).ok());
  CHECK(rows == 10000);
  CHECK(sp.buffered_bytes() == std::string("12345\tpart").size());
  REQUIRE(sp.Feed("ial\n", sink).ok());
  CHECK(sp.buffered_bytes() == 0);
  CHECK(sp.rows() == 10001);
}

namespace {

// Binary COPY pieces (big-endian), as a client such as psycopg 3 sends them.
std::string Be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string BinHeader(const std::string& extension = "") {
  return std::string("PGCOPY\n\xff\r\n\0", 11) + Be(0, 4) + Be(extension.size(), 4) + extension;
}
// A tuple of fields; nullopt = NULL.
std::string BinTuple(const std::vector<std::optional<std::string>>& fields) {
  std::string out = Be(fields.size(), 2);
  for (const auto& f : fields) out += f ? Be(f->size(), 4) + *f : Be(0xffffffff, 4);
  return out;
}
const std::string kBinTrailer("\xff\xff", 2);

}  // namespace

TEST_CASE("binary COPY tuples are routed by their binary key, byte-exact, under any chunking", "[copy]") {
  std::string data = BinHeader("ext!");
  std::vector<std::pair<int64_t, std::string>> rows;
  for (int64_t id : std::vector<int64_t>{1, 2, 3, 42, -7, 100000, 4000000000}) {
    std::string tuple = BinTuple({Be(static_cast<uint64_t>(id), 8), std::string("\x00\x03", 2), std::nullopt});
    rows.emplace_back(id, tuple);
    data += tuple;
  }
  data += kBinTrailer + "ignored after the trailer";
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{5}, size_t{23}}) {
    CopySplitter sp(CopyFormat::Binary(), 0, KeyType::kInt8, 4);
    std::vector<std::pair<uint32_t, std::string>> got;
    auto sink = [&](uint32_t s, std::string_view row) { got.emplace_back(s, std::string(row)); };
    size_t step = chunk == 0 ? data.size() : chunk;
    for (size_t i = 0; i < data.size(); i += step) REQUIRE(sp.Feed(std::string_view(data).substr(i, step), sink).ok());
    REQUIRE(sp.Finish(sink).ok());
    CHECK(sp.ended());
    CHECK(sp.binary_header() == BinHeader("ext!"));
    REQUIRE(got.size() == rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      CHECK(got[i].first == ShardOf(KeyType::kInt8, std::to_string(rows[i].first), 4));
      CHECK(got[i].second == rows[i].second);
    }
  }
}

TEST_CASE("binary COPY keys of other types, and malformed streams", "[copy]") {
  // A text key in the second field, and a uuid key.
  auto text = Split(BinHeader() + BinTuple({Be(1, 4), std::string("tag-17")}), CopyFormat::Binary(), 1,
                    KeyType::kText, 5);
  REQUIRE(text.ok());
  CHECK(text->rows.size() == 1);
  CHECK(text->rows[0].first == ShardOf(KeyType::kText, "tag-17", 5));
  std::string uuid_bytes("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
  auto uuid = Split(BinHeader() + BinTuple({uuid_bytes}) + kBinTrailer, CopyFormat::Binary(), 0, KeyType::kUuid, 3);
  REQUIRE(uuid.ok());
  CHECK(uuid->rows[0].first == ShardOf(KeyType::kUuid, "12345678-9abc-def0-0123-456789abcdef", 3));
  // A NULL key goes to shard 0. Errors: wrong key size, bad signature, cut tuple, no data at all, OIDs flag.
  auto null_key = Split(BinHeader() + BinTuple({std::nullopt}), CopyFormat::Binary(), 0, KeyType::kInt8, 4);
  REQUIRE(null_key.ok());
  CHECK(null_key->rows[0].first == 0);
  CHECK(Split(BinHeader() + BinTuple({Be(1, 4)}), CopyFormat::Binary(), 0, KeyType::kInt8, 4).error().sqlstate ==
        "22P03");
  CHECK(Split("PGCOPX\n" + std::string(20, '\0'), CopyFormat::Binary(), 0, KeyType::kInt8, 4).error().sqlstate ==
        "22P04");
  std::string cut = BinHeader() + BinTuple({Be(1, 8), std::string("abc")});
  cut.resize(cut.size() - 1);
  CHECK(Split(cut, CopyFormat::Binary(), 0, KeyType::kInt8, 4).error().sqlstate == "22P04");
  CHECK(Split("", CopyFormat::Binary(), 0, KeyType::kInt8, 4).error().sqlstate == "22P04");
  std::string oids = std::string("PGCOPY\n\xff\r\n\0", 11) + Be(1u << 16, 4) + Be(0, 4);
  CHECK(Split(oids, CopyFormat::Binary(), 0, KeyType::kInt8, 4).error().sqlstate == "22P04");
  // The key beyond the tuple's fields.
  CHECK(Split(BinHeader() + BinTuple({Be(1, 8)}), CopyFormat::Binary(), 2, KeyType::kInt8, 4).error().sqlstate ==
        "22P04");
  // A stream without a trailer ends cleanly between tuples, as in PostgreSQL.
  CHECK(Split(BinHeader() + BinTuple({Be(9, 8)}), CopyFormat::Binary(), 0, KeyType::kInt8, 4)->rows.size() == 1);
}

TEST_CASE("a varchar(n) key is routed by the value its input stores", "[copy]") {
  // varchar(3) drops spaces beyond 3 characters: "abc   " is stored (and found) as "abc".
  CopySplitter split(CopyFormat::Text(), 0, KeyType::kVarchar, 7, 3);
  std::vector<uint32_t> shards;
  REQUIRE(split.Feed("abc   \t1\nabc\t2\nab \t3\n", [&](uint32_t s, std::string_view) { shards.push_back(s); }).ok());
  REQUIRE(shards.size() == 3);
  CHECK(shards[0] == ShardOf(KeyType::kVarchar, "abc", 7));
  CHECK(shards[1] == shards[0]);
  CHECK(shards[2] == ShardOf(KeyType::kVarchar, "ab ", 7));
  CHECK(VarcharStored("ünï  ", 3) == "ünï");
  CHECK(VarcharStored("abcd", 3) == "abcd");  // refused by the server, routed anywhere
  CHECK(VarcharStored("a  ", -1) == "a  ");
}
