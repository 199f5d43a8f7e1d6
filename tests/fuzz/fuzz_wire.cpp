// fuzz_wire.cpp — libFuzzer target: the client wire protocol front end, sans IO.
//
// The input is one client byte stream (seeds: real drivers' traffic, corpus/wire/). It is cut
// into reads of fuzzer-chosen sizes and fed to wire::Session, the startup/authentication state
// machine and message framer, under trust or SCRAM authentication (with a real user and a mock
// one), with and without TLS offered and a required database name. Every message it hands out
// is decoded with the decoder the coordinator would use for its type. Any crash, sanitizer
// report, or a broken invariant below (a state machine that neither advances nor asks for
// input, output after close) is a finding.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "auth/scram.h"
#include "wire/messages/copy.h"
#include "wire/messages/extended.h"
#include "wire/messages/query.h"
#include "wire/messages/startup.h"
#include "wire/session.h"

using namespace jade::coord;

namespace {

// Users of the SCRAM variant: a verifier made once (PBKDF2 is slow; 4096 rounds as PostgreSQL).
const std::map<std::string, auth::ScramSecret>& Users() {
    static const std::map<std::string, auth::ScramSecret> users = {
        {"postgres", auth::MakeScramSecret("s3cret", "0123456789abcdef", 4096)},
        {"alice", auth::MakeScramSecret("wonderland", "fedcba9876543210", 4096)},
    };
    return users;
}

// Decodes a ready session's message with the decoder its type selects.
void DecodeMessage(char type, std::string_view payload) {
    switch (type) {
        case 'Q':
            (void)wire::DecodeQuery(payload);
            break;
        case 'P':
            (void)wire::DecodeParse(payload);
            break;
        case 'B': {
            auto b = wire::DecodeBind(payload);
            if (b) {
                for (size_t i = 0; i < b->params.size() + 2; i++) (void)b->ParamFormat(i);
                for (size_t i = 0; i < b->result_formats.size() + 2; i++) (void)b->ResultFormat(i);
            }
            break;
        }
        case 'D':
            (void)wire::DecodeDescribe(payload);
            break;
        case 'E':
            (void)wire::DecodeExecute(payload);
            break;
        case 'C':
            (void)wire::DecodeClose(payload);
            break;
        case 'f':
            (void)wire::DecodeCopyFail(payload);
            break;
        default:
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    uint8_t mode = in.ConsumeIntegral<uint8_t>();
    wire::SessionOptions options;
    options.auth = (mode & 1) ? wire::AuthMode::kScramSha256 : wire::AuthMode::kTrust;
    options.users = &Users();
    options.database = (mode & 2) ? "postgres" : "";
    options.max_message = (mode & 4) ? 1024 : wire::kDefaultMaxMessage;
    options.tls_available = (mode & 8) != 0;
    options.server_params = {{"server_version", "15.20"}, {"client_encoding", "UTF8"}};
    options.backend_pid = 7;
    options.backend_key = 1234;
    wire::Session session(options);

    // Reads of fuzzer-chosen sizes; the stream is the rest of the input.
    for (int reads = 0; reads < 4096 && in.remaining_bytes() > 0; reads++) {
        size_t n = in.ConsumeIntegralInRange<size_t>(1, 4096);
        std::string chunk = in.ConsumeBytesAsString(n);
        session.Feed(chunk);
        for (int steps = 0; steps < 100000; steps++) {
            wire::SessionEvent ev = session.Poll();
            if (ev == wire::SessionEvent::kNeedMore) break;
            if (ev == wire::SessionEvent::kMessage) DecodeMessage(session.message_type(), session.message_payload());
            if (ev == wire::SessionEvent::kStartTls) session.TlsStarted();
            if (ev == wire::SessionEvent::kClose || ev == wire::SessionEvent::kCancel) {
                session.output().clear();
                // A closed session stays closed and says nothing more.
                if (session.Poll() != wire::SessionEvent::kClose || !session.output().empty()) std::abort();
                return 0;
            }
        }
        session.output().clear();
    }
    return 0;
}
