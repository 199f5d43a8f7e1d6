// row_data.cpp — RowDescription and DataRow encoding (see row_data.h).
#include "wire/messages/row_data.h"

#include "wire/message_buffer.h"

namespace jade::coord::wire {

// Writes RowDescription: int16 count, then per field name/table/column/type/len/typmod/format.
void WriteRowDescription(std::string* out, const std::vector<FieldDesc>& fields) {
    MessageWriter w(out);
    w.Begin('T');
    w.Int16(static_cast<int16_t>(fields.size()));
    for (const auto& f : fields) {
        w.CString(f.name);
        w.Int32(static_cast<int32_t>(f.table_oid));
        w.Int16(f.column);
        w.Int32(static_cast<int32_t>(f.type_oid));
        w.Int16(f.type_len);
        w.Int32(f.typmod);
        w.Int16(f.format);
    }
    w.End();
}

// Starts a DataRow with ncols cells.
void DataRowWriter::Begin(int16_t ncols) {
    out_->push_back('D');
    start_ = out_->size();
    out_->append(4, '\0');
    MessageWriter(out_).Int16(ncols);
}

// Appends a non-NULL cell: int32 length then bytes.
void DataRowWriter::Cell(std::string_view value) {
    MessageWriter w(out_);
    w.Int32(static_cast<int32_t>(value.size()));
    w.Bytes(value);
}

// Appends a NULL cell (length -1).
void DataRowWriter::Null() {
    MessageWriter(out_).Int32(-1);
}

// Patches the DataRow length.
void DataRowWriter::End() {
    uint32_t len = static_cast<uint32_t>(out_->size() - start_);
    char* p = &(*out_)[start_];
    p[0] = static_cast<char>(len >> 24);
    p[1] = static_cast<char>(len >> 16);
    p[2] = static_cast<char>(len >> 8);
    p[3] = static_cast<char>(len);
}

// Writes a DataRow of text cells (NULL = nullopt).
void WriteDataRow(std::string* out, const std::vector<std::optional<std::string>>& cells) {
    DataRowWriter w(out);
    w.Begin(static_cast<int16_t>(cells.size()));
    for (const auto& c : cells) {
        if (c) {
            w.Cell(*c);
        } else {
            w.Null();
        }
    }
    w.End();
}

}  // namespace jade::coord::wire
