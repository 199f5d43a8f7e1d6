// row_data.h — RowDescription ('T') and DataRow ('D').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jade::coord::wire {

/** One RowDescription field, exactly as PostgreSQL sends it. */
struct FieldDesc {
    std::string name;
    uint32_t table_oid = 0;
    int16_t column = 0;
    uint32_t type_oid = 25;
    int16_t type_len = -1;
    int32_t typmod = -1;
    int16_t format = 0;
};

void WriteRowDescription(std::string* out, const std::vector<FieldDesc>& fields);

/** Incremental DataRow writer: Begin(n) then n cells, then End(). */
class DataRowWriter {
public:
    explicit DataRowWriter(std::string* out) : out_(out) {}
    void Begin(int16_t ncols);
    void Cell(std::string_view value);
    void Null();
    void End();

private:
    std::string* out_;
    size_t start_ = 0;
};

// Writes a whole DataRow of optional text cells.
void WriteDataRow(std::string* out, const std::vector<std::optional<std::string>>& cells);

}  // namespace jade::coord::wire
