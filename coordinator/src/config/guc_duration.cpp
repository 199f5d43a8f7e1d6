// guc_duration.cpp — time-valued settings with PostgreSQL's units (see guc_duration.h).
#include "config/guc_duration.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace jade::coord {

bool IsCoordinatorTimeout(const std::string& n) {
    return n == "idle_in_transaction_session_timeout" || n == "idle_session_timeout" || n == "statement_timeout";
}

bool IsCoordinatorOnlySetting(const std::string& n) {
    return n == "idle_in_transaction_session_timeout" || n == "idle_session_timeout";
}

Expected<int64_t> ParseMillisecondsSetting(const std::string& name, const std::string& value) {
    auto invalid = [&](const std::string& hint) {
        return MakeError(sqlstate::kInvalidParameterValue,
                         "invalid value for parameter \"" + name + "\": \"" + value + "\"", {}, hint);
    };
    std::string s = value;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) b++;
    s = s.substr(b);
    if (s.empty()) return invalid({});
    const char* start = s.c_str();
    char* end = nullptr;
    errno = 0;
    double number = std::strtod(start, &end);
    if (end == start || errno == ERANGE || !std::isfinite(number)) return invalid({});
    std::string unit(end);
    while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.erase(0, 1);
    double ms = 0;
    if (unit.empty() || unit == "ms") {
        ms = number;
    } else if (unit == "us") {
        ms = number / 1000.0;
    } else if (unit == "s") {
        ms = number * 1000.0;
    } else if (unit == "min") {
        ms = number * 60000.0;
    } else if (unit == "h") {
        ms = number * 3600000.0;
    } else if (unit == "d") {
        ms = number * 86400000.0;
    } else {
        return invalid("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".");
    }
    ms = std::rint(ms);
    if (ms < 0 || ms > 2147483647.0) {
        return MakeError(sqlstate::kInvalidParameterValue,
                         std::to_string(static_cast<long long>(ms)) + " ms is outside the valid range for parameter \"" +
                             name + "\" (0 .. 2147483647)");
    }
    return static_cast<int64_t>(ms);
}

}  // namespace jade::coord
