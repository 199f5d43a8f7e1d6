// type/dense_text.cpp — pgvector's errors for malformed `[...]` literals (dense_text.h).
#include "type/dense_text.h"

void ReportDenseParseError(const char* type_name, int max_dim, const char* literal,
                           const jade::ext::text::ParseResult& r) {
    using jade::ext::text::ParseStatus;
    switch (r.status) {
        case ParseStatus::kOk:
            return;
        case ParseStatus::kMissingOpenBracket:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type %s: \"%s\"", type_name, literal),
                            errdetail("Vector contents must start with \"[\".")));
            break;
        case ParseStatus::kNoDimensions:
            ereport(ERROR,
                    (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s must have at least 1 dimension", type_name)));
            break;
        case ParseStatus::kSyntax:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type %s: \"%s\"", type_name, literal)));
            break;
        case ParseStatus::kJunkAfterBracket:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type %s: \"%s\"", type_name, literal),
                            errdetail("Junk after closing right brace.")));
            break;
        case ParseStatus::kTooManyDimensions:
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("%s cannot have more than %d dimensions", type_name, max_dim)));
            break;
        case ParseStatus::kOutOfRange:
            ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                            errmsg("\"%s\" is out of range for type %s",
                                   pnstrdup(literal + r.token_offset, r.token_length), type_name)));
            break;
        case ParseStatus::kNaN:
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in %s", type_name)));
            break;
        case ParseStatus::kInfinite:
            ereport(ERROR,
                    (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in %s", type_name)));
            break;
    }
    elog(ERROR, "unexpected %s parse status %d", type_name, (int)r.status);
}
