// startup.h — startup-phase messages: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest,
// the Authentication* family, ParameterStatus, BackendKeyData and ReadyForQuery.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.h"

namespace jade::coord::wire {

constexpr int32_t kProtocolV3 = 196608;  // 3 << 16
constexpr int32_t kCancelRequestCode = 80877102;
constexpr int32_t kSslRequestCode = 80877103;
constexpr int32_t kGssEncRequestCode = 80877104;

/** What a startup-phase packet asked for. */
struct StartupPacket {
    enum class Kind { kStartup, kSsl, kGssEnc, kCancel };
    Kind kind = Kind::kStartup;
    std::vector<std::pair<std::string, std::string>> params;  ///< kStartup: user, database, ...
    int32_t cancel_pid = 0;                                   ///< kCancel
    int32_t cancel_key = 0;                                   ///< kCancel

    /** Value of startup parameter `name`, or "" when absent. */
    std::string Param(std::string_view name) const;
};

// Decodes a startup packet payload; 08P01 for malformed packets, 0A000 for other protocol versions.
Expected<StartupPacket> DecodeStartupPacket(std::string_view payload);

/** SASLInitialResponse ('p' during SASL): mechanism name and the client-first-message. */
struct SaslInitialResponse {
    std::string mechanism;
    std::string data;
};
Expected<SaslInitialResponse> DecodeSaslInitialResponse(std::string_view payload);

// Authentication request codes (message 'R').
constexpr int32_t kAuthOk = 0;
constexpr int32_t kAuthSasl = 10;
constexpr int32_t kAuthSaslContinue = 11;
constexpr int32_t kAuthSaslFinal = 12;

void WriteAuthOk(std::string* out);
void WriteAuthSasl(std::string* out, const std::vector<std::string>& mechanisms);
void WriteAuthSaslData(std::string* out, int32_t code, std::string_view data);
void WriteParameterStatus(std::string* out, std::string_view name, std::string_view value);
void WriteBackendKeyData(std::string* out, int32_t pid, int32_t key);
// status: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
void WriteReadyForQuery(std::string* out, char status);

}  // namespace jade::coord::wire
