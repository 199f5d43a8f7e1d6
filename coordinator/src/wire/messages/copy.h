// copy.h — COPY sub-protocol: CopyInResponse ('G'), CopyOutResponse ('H'), CopyData ('d'),
// CopyDone ('c') and CopyFail ('f').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace jade::coord::wire {

// Writes CopyInResponse / CopyOutResponse: overall format, column count, per-column formats.
void WriteCopyInResponse(std::string* out, bool binary, int16_t ncols);
void WriteCopyOutResponse(std::string* out, bool binary, int16_t ncols);
void WriteCopyData(std::string* out, std::string_view data);
void WriteCopyDone(std::string* out);
// Returns the client's CopyFail reason.
Expected<std::string> DecodeCopyFail(std::string_view payload);

}  // namespace jade::coord::wire
