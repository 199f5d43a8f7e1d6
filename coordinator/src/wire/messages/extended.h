// extended.h — the extended query protocol: Parse, Bind, Describe, Execute, Close (client side)
// and ParseComplete, BindComplete, CloseComplete, NoData, ParameterDescription, PortalSuspended.
//
// Decoders validate counts against the payload length before allocating, so a lying count in
// a 20-byte message cannot make the coordinator reserve gigabytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace jade::coord::wire {

struct ParseMessage {
    std::string name;  ///< "" = unnamed statement
    std::string query;
    std::vector<uint32_t> param_types;  ///< 0 = unspecified
};

struct BindMessage {
    std::string portal;
    std::string statement;
    std::vector<int16_t> param_formats;  ///< 0, 1 or n codes (protocol rules)
    std::vector<std::optional<std::string>> params;
    std::vector<int16_t> result_formats;  ///< 0, 1 or n codes

    /** Format code of parameter i under the 0/1/n rule. */
    int16_t ParamFormat(size_t i) const;
    /** Format code of result column i under the 0/1/n rule. */
    int16_t ResultFormat(size_t i) const;
};

struct DescribeMessage {
    char kind = 'S';  ///< 'S' statement, 'P' portal
    std::string name;
};

struct ExecuteMessage {
    std::string portal;
    int32_t max_rows = 0;  ///< 0 = all
};

struct CloseMessage {
    char kind = 'S';
    std::string name;
};

Expected<ParseMessage> DecodeParse(std::string_view payload);
Expected<BindMessage> DecodeBind(std::string_view payload);
Expected<DescribeMessage> DecodeDescribe(std::string_view payload);
Expected<ExecuteMessage> DecodeExecute(std::string_view payload);
Expected<CloseMessage> DecodeClose(std::string_view payload);

void WriteParseComplete(std::string* out);
void WriteBindComplete(std::string* out);
void WriteCloseComplete(std::string* out);
void WriteNoData(std::string* out);
void WritePortalSuspended(std::string* out);
void WriteParameterDescription(std::string* out, const std::vector<uint32_t>& types);

}  // namespace jade::coord::wire
