// result_relay.cpp — worker results to client messages (see result_relay.h).
#include "executor/result_relay.h"

#include "executor/binary_format.h"
#include "executor/vector_binary.h"
#include "wire/messages/query.h"
#include "wire/messages/extended.h"

namespace jade::coord::exec {

// All-binary → ask binary; all-text → text; a mix → text plus local encoding.
FormatChoice ChooseFormats(const std::vector<int16_t>& f) {
    FormatChoice c;
    if (f.empty()) return c;
    bool any_binary = false, any_text = false;
    for (int16_t x : f) (x == 1 ? any_binary : any_text) = true;
    if (any_binary && !any_text) {
        c.worker_format = 1;
    } else if (any_binary) {
        c.convert = true;
    }
    return c;
}

int16_t FormatFor(const std::vector<int16_t>& f, size_t i) {
    if (f.empty()) return 0;
    if (f.size() == 1) return f[0];
    return i < f.size() ? f[i] : 0;
}

// Copies the ErrorResponse fields libpq keeps (PG_DIAG_*), skipping absent ones.
wire::ErrorFields ErrorFieldsOf(const PGresult* res) {
    static const int kFields[] = {PG_DIAG_SEVERITY,           PG_DIAG_SEVERITY_NONLOCALIZED,
                                  PG_DIAG_SQLSTATE,           PG_DIAG_MESSAGE_PRIMARY,
                                  PG_DIAG_MESSAGE_DETAIL,     PG_DIAG_MESSAGE_HINT,
                                  PG_DIAG_STATEMENT_POSITION, PG_DIAG_INTERNAL_POSITION,
                                  PG_DIAG_INTERNAL_QUERY,     PG_DIAG_CONTEXT,
                                  PG_DIAG_SCHEMA_NAME,        PG_DIAG_TABLE_NAME,
                                  PG_DIAG_COLUMN_NAME,        PG_DIAG_DATATYPE_NAME,
                                  PG_DIAG_CONSTRAINT_NAME,    PG_DIAG_SOURCE_FILE,
                                  PG_DIAG_SOURCE_LINE,        PG_DIAG_SOURCE_FUNCTION};
    wire::ErrorFields f;
    for (int code : kFields) {
        const char* v = PQresultErrorField(res, code);
        if (v != nullptr) f.emplace_back(static_cast<char>(code), v);
    }
    if (PQresultErrorField(res, PG_DIAG_SQLSTATE) == nullptr) {
        // libpq-generated errors (lost connection) carry only a message.
        std::string msg = PQresultErrorMessage(res);
        while (!msg.empty() && msg.back() == '\n') msg.pop_back();
        f = {{'S', "ERROR"}, {'V', "ERROR"}, {'C', "08006"}, {'M', msg.empty() ? "worker query failed" : msg}};
    }
    return f;
}

// Removes the statement position field.
void DropPosition(wire::ErrorFields* fields) {
    for (auto it = fields->begin(); it != fields->end();) {
        it = it->first == PG_DIAG_STATEMENT_POSITION ? fields->erase(it) : it + 1;
    }
}

// Extracts SQLSTATE, message, detail, hint, position.
Error ErrorOf(const PGresult* res) {
    Error e;
    auto field = [&](int code) {
        const char* v = PQresultErrorField(res, code);
        return v ? std::string(v) : std::string();
    };
    e.sqlstate = field(PG_DIAG_SQLSTATE);
    if (e.sqlstate.empty()) e.sqlstate = "08006";
    e.message = field(PG_DIAG_MESSAGE_PRIMARY);
    if (e.message.empty()) {
        e.message = PQresultErrorMessage(res);
        while (!e.message.empty() && e.message.back() == '\n') e.message.pop_back();
    }
    e.detail = field(PG_DIAG_MESSAGE_DETAIL);
    e.hint = field(PG_DIAG_MESSAGE_HINT);
    std::string pos = field(PG_DIAG_STATEMENT_POSITION);
    e.position = pos.empty() ? 0 : std::atoi(pos.c_str());
    return e;
}

// Rebuilds RowDescription from the result's attribute metadata.
std::vector<wire::FieldDesc> FieldsOf(const PGresult* res, const std::vector<int16_t>& result_formats,
                                      bool shard_relation) {
    int n = PQnfields(res);
    std::vector<wire::FieldDesc> fields(n);
    for (int i = 0; i < n; ++i) {
        auto& f = fields[i];
        f.name = PQfname(res, i);
        f.table_oid = shard_relation ? 0 : PQftable(res, i);
        f.column = shard_relation ? 0 : static_cast<int16_t>(PQftablecol(res, i));
        f.type_oid = PQftype(res, i);
        f.type_len = static_cast<int16_t>(PQfsize(res, i));
        f.typmod = PQfmod(res, i);
        f.format = FormatFor(result_formats, i);
    }
    return fields;
}

ResultRelay::ResultRelay(std::string* out, std::vector<int16_t> result_formats, bool describe, bool extended)
    : out_(out),
      formats_(std::move(result_formats)),
      choice_(ChooseFormats(formats_)),
      describe_(describe),
      extended_(extended) {}

// Maps one PGresult to messages.
bool ResultRelay::OnResult(const PGresult* res) {
    if (failed_) return false;
    switch (PQresultStatus(res)) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK: {
            if (describe_ && !described_) {
                wire::WriteRowDescription(out_, FieldsOf(res, formats_, shard_relation_));
                described_ = true;
            }
            int n = PQntuples(res);
            for (int r = 0; r < n; ++r) {
                if (!WriteRow(res, r)) return false;
            }
            if (PQresultStatus(res) == PGRES_TUPLES_OK) {
                wire::WriteCommandComplete(out_, PQcmdStatus(const_cast<PGresult*>(res)));
                if (!extended_) described_ = false;  // next statement of a multi-statement string
            }
            return true;
        }
        case PGRES_COMMAND_OK:
            if (extended_ && describe_ && !described_) {
                wire::WriteNoData(out_);
                described_ = true;
            }
            wire::WriteCommandComplete(out_, PQcmdStatus(const_cast<PGresult*>(res)));
            return true;
        case PGRES_EMPTY_QUERY:
            if (extended_ && describe_ && !described_) wire::WriteNoData(out_);
            wire::WriteEmptyQueryResponse(out_);
            return true;
        case PGRES_NONFATAL_ERROR:
            wire::WriteErrorFields(out_, 'N', ErrorFieldsOf(res));
            return true;
        default: {
            wire::ErrorFields f = ErrorFieldsOf(res);
            // A position into the rewritten shard SQL would point at the wrong place in the client's text.
            if (shard_relation_) DropPosition(&f);
            wire::WriteErrorFields(out_, 'E', f);
            error_ = ErrorOf(res);
            failed_ = true;
            return false;
        }
    }
}

// Writes one DataRow, encoding binary columns locally when the worker sent text.
bool ResultRelay::WriteRow(const PGresult* res, int row) {
    int n = PQnfields(res);
    wire::DataRowWriter w(out_);
    size_t mark = out_->size();
    w.Begin(static_cast<int16_t>(n));
    for (int c = 0; c < n; ++c) {
        if (PQgetisnull(res, row, c)) {
            w.Null();
            continue;
        }
        std::string_view v(PQgetvalue(res, row, c), static_cast<size_t>(PQgetlength(res, row, c)));
        if (choice_.convert && FormatFor(formats_, c) == 1) {
            auto bin = TextToBinary(PQftype(res, c), v);
            if (!bin) {
                // An extension type OID not seen before: the types were re-created, look again.
                if (PQftype(res, c) >= kFirstNormalObjectId) ForgetVectorTypes();
                out_->resize(mark);
                wire::WriteError(out_, bin.error());
                error_ = bin.error();
                failed_ = true;
                return false;
            }
            w.Cell(*bin);
        } else {
            w.Cell(v);
        }
    }
    w.End();
    ++rows_;
    return true;
}

}  // namespace jade::coord::exec
