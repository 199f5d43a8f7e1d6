// error_response.cpp — ErrorResponse / NoticeResponse encoding (see error_response.h).
#include "wire/messages/error_response.h"

#include "wire/message_buffer.h"

namespace jade::coord::wire {

// Maps an Error onto the S/V/C/M/D/H/P fields PostgreSQL sends.
ErrorFields ErrorFieldsOf(const Error& error, bool fatal) {
    ErrorFields f;
    const char* severity = fatal ? "FATAL" : "ERROR";
    f.emplace_back('S', severity);
    f.emplace_back('V', severity);
    f.emplace_back('C', error.sqlstate.empty() ? std::string("XX000") : error.sqlstate);
    f.emplace_back('M', error.message);
    if (!error.detail.empty()) f.emplace_back('D', error.detail);
    if (!error.hint.empty()) f.emplace_back('H', error.hint);
    if (error.position > 0) f.emplace_back('P', std::to_string(error.position));
    return f;
}

void WriteError(std::string* out, const Error& error, bool fatal) {
    WriteErrorFields(out, 'E', ErrorFieldsOf(error, fatal));
}

// Writes the fields, each as code byte + string, then the terminating zero byte.
void WriteErrorFields(std::string* out, char type, const ErrorFields& fields) {
    MessageWriter w(out);
    w.Begin(type);
    for (const auto& [code, value] : fields) {
        if (code == 0) continue;
        w.Int8(static_cast<uint8_t>(code));
        // A NUL inside a value would end the field early; PostgreSQL never sends one.
        w.CString(std::string_view(value.c_str()));
    }
    w.Int8(0);
    w.End();
}

// Writes a coordinator-generated notice.
void WriteNotice(std::string* out, const std::string& severity, const std::string& sqlstate,
                 const std::string& message) {
    WriteErrorFields(out, 'N', {{'S', severity}, {'V', severity}, {'C', sqlstate}, {'M', message}});
}

}  // namespace jade::coord::wire
