// config.h — the coordinator's command line and configuration file.
//
// Command line (kept stable: scripts and tests depend on it):
//   jade-coordinator --listen 127.0.0.1 --port 6432 --data-dir DIR [--config FILE]
//
// Config file: one setting per line, '#' starts a comment, blank lines ignored.
//   auth = trust | scram-sha-256        client authentication (default trust)
//   user <name> password <pw>           a user allowed to log in; <pw> is a plaintext password or a
//                                        PostgreSQL verifier "SCRAM-SHA-256$4096:salt$stored:server"
//   worker_user = postgres              role the coordinator uses on every worker
//   worker_database = postgres          database on the workers; clients must name this database
//   worker_password = ...               password for worker connections (empty: none)
//   pool_size = 64                      max connections per worker node
//   max_clients = 1000                  concurrent client connections
//   max_message_bytes = 67108864        largest protocol message a client may send (08P01 above)
//   client_buffer_bytes = 1048576       output bytes queued for a client before workers are paused
//   connect_timeout_ms = 5000           worker connection establishment timeout
//   coordinator_id = 1                  used in 2PC transaction names (jade_<id>_<txid>_<n>)
// With auth = trust every user name is accepted; with scram-sha-256 only the listed users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "auth/scram.h"
#include "util/expected.h"

namespace jade::coord {

enum class AuthMethod { kTrust, kScramSha256 };

struct Config {
    std::string listen = "127.0.0.1";
    uint16_t port = 6432;
    std::string data_dir;
    std::string config_file;

    AuthMethod auth = AuthMethod::kTrust;
    std::map<std::string, auth::ScramSecret> users;

    std::string worker_user = "postgres";
    std::string worker_database = "postgres";
    std::string worker_password;
    int pool_size = 64;
    int max_clients = 1000;
    size_t max_message_bytes = 64u << 20;
    size_t client_buffer_bytes = 1u << 20;
    int connect_timeout_ms = 5000;
    std::string coordinator_id = "1";
};

// Parses argv; on --help returns an Error whose message is the usage text and sqlstate "00000".
Expected<Config> ParseCommandLine(int argc, char** argv);
// Applies the settings of a config file's text (see the format above). `where` names it in errors.
Status ApplyConfigText(const std::string& text, const std::string& where, Config* config);
// Reads and applies a config file.
Status LoadConfigFile(const std::string& path, Config* config);
// Usage text for --help and errors.
std::string UsageText();

}  // namespace jade::coord
