// result_relay.h — turns a worker's PGresults into the client's protocol messages.
//
// Used for every plan whose rows go to the client unchanged (passthrough, single shard, one
// node per statement of a multi-statement string): RowDescription is rebuilt field by field from
// the PGresult (name, table OID, column number, type OID, length, typmod, format), DataRows carry
// the worker's bytes, CommandComplete carries the worker's tag, and errors keep every field the
// worker sent. Rows arrive one PGresult per row (single-row mode), so memory stays bounded.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"
#include "wire/messages/error_response.h"
#include "wire/messages/row_data.h"

namespace jade::coord::exec {

/** How the worker should be asked for results, given the client's format codes. */
struct FormatChoice {
    int worker_format = 0;  ///< 0 text, 1 binary (libpq allows one for all columns)
    bool convert = false;   ///< worker sends text; some columns need TextToBinary
};
FormatChoice ChooseFormats(const std::vector<int16_t>& result_formats);
/** Format code for column i under the protocol's 0/1/n rule. */
int16_t FormatFor(const std::vector<int16_t>& result_formats, size_t i);

// Copies every error/notice field libpq exposes, in PostgreSQL's order.
wire::ErrorFields ErrorFieldsOf(const PGresult* res);
// Removes the 'P' (statement position) field: used when the worker ran rewritten SQL.
void DropPosition(wire::ErrorFields* fields);
// The primary fields of a worker error as an Error (for coordinator-side decisions).
Error ErrorOf(const PGresult* res);
// RowDescription fields of a result with the client's formats.
// `shard_relation`: the columns come from a shard table, whose OID means nothing to the client,
// so table OID and column number are sent as 0 (as for a computed column).
std::vector<wire::FieldDesc> FieldsOf(const PGresult* res, const std::vector<int16_t>& result_formats,
                                      bool shard_relation = false);

class ResultRelay {
public:
    /** `describe`: send RowDescription (simple protocol, or extended after Describe). */
    ResultRelay(std::string* out, std::vector<int16_t> result_formats, bool describe, bool extended);
    /** Rows come from shard tables: hide their table OIDs (see FieldsOf). */
    void SetShardRelation(bool v) { shard_relation_ = v; }

    /** Handles one result; returns false when the statement failed (error already written). */
    bool OnResult(const PGresult* res);

    bool failed() const { return failed_; }
    const Error& error() const { return error_; }
    uint64_t rows() const { return rows_; }

private:
    bool WriteRow(const PGresult* res, int row);

    std::string* out_;
    std::vector<int16_t> formats_;
    FormatChoice choice_;
    bool describe_;
    bool extended_;
    bool described_ = false;
    bool shard_relation_ = false;
    bool failed_ = false;
    Error error_;
    uint64_t rows_ = 0;
};

}  // namespace jade::coord::exec
