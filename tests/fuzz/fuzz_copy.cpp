// fuzz_copy.cpp — libFuzzer target: the COPY FROM STDIN splitter (text, CSV, binary).
//
// The first bytes choose the format and its options (delimiter, quote, escape, HEADER), the
// shard-key position and type and the shard count; the rest is the client's COPY data. It is fed
// twice: whole, and cut into fuzzer-chosen chunks. Findings: a crash or sanitizer report, a
// shard index out of range, rows that are not the client's bytes in order (text/CSV rows are
// never re-encoded), or a chunked run that routes differently from the whole one (the scan
// state carried across CopyData messages must not change the result).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "copy/copy_split.h"

using namespace jade::coord;

namespace {

struct Outcome {
    std::vector<std::pair<uint32_t, std::string>> rows;
    bool ok = true;
    std::string error_state;
};

// Runs one splitter over `chunks`.
Outcome Split(const CopyFormat& format, int key_field, KeyType key_type, uint32_t shards,
              const std::vector<std::string>& chunks) {
    Outcome out;
    CopySplitter splitter(format, key_field, key_type, shards);
    auto sink = [&](uint32_t shard, std::string_view row) {
        if (shard >= shards) std::abort();
        out.rows.emplace_back(shard, std::string(row));
    };
    for (const auto& c : chunks) {
        Status st = splitter.Feed(c, sink);
        if (!st) {
            out.ok = false;
            out.error_state = st.error().sqlstate;
            return out;
        }
    }
    Status st = splitter.Finish(sink);
    if (!st) {
        out.ok = false;
        out.error_state = st.error().sqlstate;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    uint8_t kind = in.ConsumeIntegral<uint8_t>();
    CopyFormat format = (kind % 3 == 0) ? CopyFormat::Text() : (kind % 3 == 1) ? CopyFormat::Csv() : CopyFormat::Binary();
    bool pg_valid = true;  // options PostgreSQL accepts (ProcessCopyOptions)
    if (!format.binary) {
        if (kind & 0x10) format.delimiter = static_cast<char>(in.ConsumeIntegralInRange<int>(1, 127));
        if (format.csv && (kind & 0x20)) format.quote = static_cast<char>(in.ConsumeIntegralInRange<int>(1, 127));
        if (format.csv && (kind & 0x40)) format.escape = static_cast<char>(in.ConsumeIntegralInRange<int>(1, 127));
        format.header = (kind & 0x80) != 0;
        // Options PostgreSQL refuses still must not crash the splitter, but its row rules assume valid ones.
        if (format.delimiter == '\n' || format.delimiter == '\r') pg_valid = false;
        if (!format.csv && std::string("\\.abcdefghijklmnopqrstuvwxyz0123456789").find(format.delimiter) != std::string::npos)
            pg_valid = false;
        if (format.csv && (format.quote == format.delimiter || format.quote == '\n' || format.quote == '\r')) pg_valid = false;
    }
    static const KeyType kTypes[] = {KeyType::kInt2, KeyType::kInt4, KeyType::kInt8, KeyType::kText, KeyType::kUuid};
    KeyType key_type = kTypes[in.ConsumeIntegralInRange<size_t>(0, 4)];
    int key_field = in.ConsumeIntegralInRange<int>(0, 3);
    uint32_t shards = in.ConsumeIntegralInRange<uint32_t>(1, 64);
    size_t cuts = in.ConsumeIntegralInRange<size_t>(0, 16);
    std::vector<size_t> cut_sizes;
    for (size_t i = 0; i < cuts; i++) cut_sizes.push_back(in.ConsumeIntegralInRange<size_t>(0, 64));
    std::string stream = in.ConsumeRemainingBytesAsString();

    Outcome whole = Split(format, key_field, key_type, shards, {stream});
    std::vector<std::string> chunks;
    size_t pos = 0;
    for (size_t c : cut_sizes) {
        if (pos >= stream.size()) break;
        chunks.push_back(stream.substr(pos, c));
        pos += std::min(c, stream.size() - pos);
    }
    if (pos < stream.size()) chunks.push_back(stream.substr(pos));
    Outcome chunked = Split(format, key_field, key_type, shards, chunks);

    if (!pg_valid) return 0;
    if (whole.ok != chunked.ok || whole.error_state != chunked.error_state) std::abort();
    if (whole.ok && whole.rows != chunked.rows) std::abort();
    if (!format.binary && whole.ok) {
        // Routed rows are the client's bytes, in order: each is found at or after the previous one.
        size_t at = 0;
        for (const auto& [shard, row] : whole.rows) {
            size_t found = stream.find(row, at);
            if (found == std::string::npos) std::abort();
            at = found + row.size();
        }
    }
    return 0;
}
