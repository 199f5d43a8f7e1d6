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
// Limits and timeouts (docs/operations.md "Timeouts and limits"):
//   max_unauthenticated_clients = 64    connections still in startup/authentication at once
//   authentication_timeout_ms = 60000   time a client has to finish startup and authentication
//   pool_wait_timeout_ms = 30000        longest wait for a worker connection when the pool is full
//   idle_in_transaction_session_timeout_ms = 0, idle_session_timeout_ms = 0, statement_timeout_ms = 0
//                                       defaults for clients (they may SET their own; 0 = off)
//   cancel_timeout_ms = 5000            a cancel request a worker does not answer in time: the
//                                       connection is closed instead of reused
//   tcp_keepalives_idle = 60, tcp_keepalives_interval = 10, tcp_keepalives_count = 6 (seconds, count)
//   tcp_user_timeout_ms = 0             unacknowledged data limit (0 = the kernel's)
// TLS (docs/operations.md "TLS"):
//   ssl = off | on, ssl_cert_file, ssl_key_file, ssl_min_protocol_version = TLSv1.2 | TLSv1.3,
//   ssl_ciphers = HIGH:MEDIUM:+3DES:!aNULL,
//   require_ssl = off | remote | all    refuse clients in the clear (remote: not from a loopback address)
//   worker_sslmode = prefer, worker_sslrootcert, worker_sslcert, worker_sslkey  (libpq's meanings)
// Roles (docs/operations.md "Roles"):
//   worker_role = shared | client       shared: statements run on the workers as worker_user;
//                                       client: as the client's own user name (PostgreSQL's
//                                       privileges apply), with its own pooled connections
//   worker_passfile = PATH              libpq password file for client-role worker logins
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
enum class RequireSsl { kOff, kRemote, kAll };
enum class WorkerRole { kShared, kClient };

struct Config {
    std::string listen = "127.0.0.1";
    uint16_t port = 6432;
    std::string data_dir;
    std::string config_file;

    AuthMethod auth = AuthMethod::kTrust;
    std::map<std::string, auth::ScramSecret> users;
    /** Users given a plaintext password: their salt is re-derived from the server secret at start. */
    std::map<std::string, std::string> user_passwords;

    std::string worker_user = "postgres";
    std::string worker_database = "postgres";
    std::string worker_password;
    int pool_size = 64;
    int max_clients = 1000;
    size_t max_message_bytes = 64u << 20;
    size_t client_buffer_bytes = 1u << 20;
    int connect_timeout_ms = 5000;
    std::string coordinator_id = "1";

    // Limits and timeouts
    int max_unauthenticated_clients = 64;
    int authentication_timeout_ms = 60000;
    int pool_wait_timeout_ms = 30000;
    int idle_in_transaction_session_timeout_ms = 0;
    int idle_session_timeout_ms = 0;
    int statement_timeout_ms = 0;
    int cancel_timeout_ms = 5000;
    int tcp_keepalives_idle = 60;
    int tcp_keepalives_interval = 10;
    int tcp_keepalives_count = 6;
    int tcp_user_timeout_ms = 0;

    // TLS
    bool ssl = false;
    std::string ssl_cert_file;
    std::string ssl_key_file;
    std::string ssl_min_protocol_version = "TLSv1.2";
    std::string ssl_ciphers = "HIGH:MEDIUM:+3DES:!aNULL";
    RequireSsl require_ssl = RequireSsl::kOff;
    std::string worker_sslmode = "prefer";
    std::string worker_sslrootcert;
    std::string worker_sslcert;
    std::string worker_sslkey;

    // Roles
    WorkerRole worker_role = WorkerRole::kShared;
    std::string worker_passfile;
};

// Parses argv; on --help returns an Error whose message is the usage text and sqlstate "00000".
Expected<Config> ParseCommandLine(int argc, char** argv);
// Applies the settings of a config file's text (see the format above). `where` names it in errors.
Status ApplyConfigText(const std::string& text, const std::string& where, Config* config);
// Checks settings that depend on each other (ssl needs a certificate and key, ...).
Status ValidateConfig(const Config& config);
// Reads and applies a config file.
Status LoadConfigFile(const std::string& path, Config* config);
// Usage text for --help and errors.
std::string UsageText();

}  // namespace jade::coord
