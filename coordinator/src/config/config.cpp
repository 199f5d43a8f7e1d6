// config.cpp — command-line and config-file parsing (see config.h).
#include "config/config.h"

#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace jade::coord {
namespace {

// Builds a config error (22023) naming the file and line.
Error ConfigError(const std::string& where, int line, const std::string& msg) {
    return MakeError(sqlstate::kInvalidParameterValue, where + ":" + std::to_string(line) + ": " + msg);
}

// Trims spaces and tabs on both ends.
std::string Trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// Parses a non-negative integer within [lo, hi].
bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) return false;
    int64_t v = std::stoll(s);
    if (v < lo || v > hi) return false;
    *out = v;
    return true;
}

// Parses on/off/true/false/1/0.
bool ParseBool(const std::string& s, bool* out) {
    if (s == "on" || s == "true" || s == "1") {
        *out = true;
        return true;
    }
    if (s == "off" || s == "false" || s == "0") {
        *out = false;
        return true;
    }
    return false;
}

/** An integer setting: its field and allowed range. */
struct IntRange {
    const char* name;
    int Config::*field;
    int64_t lo, hi;
};

// The integer limits and timeouts (milliseconds unless the name says otherwise).
const IntRange* IntSetting(const std::string& key) {
    static const IntRange kSettings[] = {
        {"max_unauthenticated_clients", &Config::max_unauthenticated_clients, 1, 100000},
        {"authentication_timeout_ms", &Config::authentication_timeout_ms, 100, 600000},
        {"pool_wait_timeout_ms", &Config::pool_wait_timeout_ms, 1, 3600000},
        {"idle_in_transaction_session_timeout_ms", &Config::idle_in_transaction_session_timeout_ms, 0, 2147483647},
        {"idle_session_timeout_ms", &Config::idle_session_timeout_ms, 0, 2147483647},
        {"statement_timeout_ms", &Config::statement_timeout_ms, 0, 2147483647},
        {"cancel_timeout_ms", &Config::cancel_timeout_ms, 100, 600000},
        {"tcp_keepalives_idle", &Config::tcp_keepalives_idle, 0, 32767},
        {"tcp_keepalives_interval", &Config::tcp_keepalives_interval, 0, 32767},
        {"tcp_keepalives_count", &Config::tcp_keepalives_count, 0, 127},
        {"tcp_user_timeout_ms", &Config::tcp_user_timeout_ms, 0, 2147483647},
    };
    for (const auto& s : kSettings) {
        if (key == s.name) return &s;
    }
    return nullptr;
}

// Turns a configured password (plaintext or verifier) into a SCRAM secret.
std::optional<auth::ScramSecret> SecretFor(const std::string& pw) {
    if (pw.rfind("SCRAM-SHA-256$", 0) == 0) return auth::ParseScramSecret(pw);
    unsigned char salt[16];
    if (RAND_bytes(salt, sizeof salt) != 1) return std::nullopt;
    return auth::MakeScramSecret(pw, std::string(reinterpret_cast<char*>(salt), sizeof salt),
                                 auth::kDefaultScramIterations);
}

// Applies one "key = value" setting.
Status ApplySetting(const std::string& key, const std::string& value, const std::string& where, int line, Config* c) {
    int64_t n = 0;
    if (key == "auth") {
        if (value == "trust") {
            c->auth = AuthMethod::kTrust;
        } else if (value == "scram-sha-256") {
            c->auth = AuthMethod::kScramSha256;
        } else {
            return ConfigError(where, line, "auth must be trust or scram-sha-256, not \"" + value + "\"");
        }
    } else if (key == "worker_user") {
        c->worker_user = value;
    } else if (key == "worker_database") {
        c->worker_database = value;
    } else if (key == "worker_password") {
        c->worker_password = value;
    } else if (key == "coordinator_id") {
        if (!ParseInt(value, 0, 1000000, &n)) return ConfigError(where, line, "coordinator_id must be an integer");
        c->coordinator_id = value;
    } else if (key == "pool_size") {
        if (!ParseInt(value, 1, 10000, &n)) return ConfigError(where, line, "pool_size must be in 1..10000");
        c->pool_size = static_cast<int>(n);
    } else if (key == "max_clients") {
        if (!ParseInt(value, 1, 100000, &n)) return ConfigError(where, line, "max_clients must be in 1..100000");
        c->max_clients = static_cast<int>(n);
    } else if (key == "max_message_bytes") {
        if (!ParseInt(value, 1024, int64_t{1} << 30, &n))
            return ConfigError(where, line, "max_message_bytes must be in 1024..1073741824");
        c->max_message_bytes = static_cast<size_t>(n);
    } else if (key == "client_buffer_bytes") {
        if (!ParseInt(value, 8192, int64_t{1} << 30, &n))
            return ConfigError(where, line, "client_buffer_bytes must be in 8192..1073741824");
        c->client_buffer_bytes = static_cast<size_t>(n);
    } else if (key == "connect_timeout_ms") {
        if (!ParseInt(value, 1, 600000, &n)) return ConfigError(where, line, "connect_timeout_ms must be in 1..600000");
        c->connect_timeout_ms = static_cast<int>(n);
    } else if (IntSetting(key) != nullptr) {
        const IntRange* r = IntSetting(key);
        if (!ParseInt(value, r->lo, r->hi, &n)) {
            return ConfigError(where, line,
                               key + " must be in " + std::to_string(r->lo) + ".." + std::to_string(r->hi));
        }
        c->*(r->field) = static_cast<int>(n);
    } else if (key == "ssl") {
        if (!ParseBool(value, &c->ssl)) return ConfigError(where, line, "ssl must be on or off");
    } else if (key == "ssl_cert_file") {
        c->ssl_cert_file = value;
    } else if (key == "ssl_key_file") {
        c->ssl_key_file = value;
    } else if (key == "ssl_min_protocol_version") {
        if (value != "TLSv1.2" && value != "TLSv1.3")
            return ConfigError(where, line, "ssl_min_protocol_version must be TLSv1.2 or TLSv1.3");
        c->ssl_min_protocol_version = value;
    } else if (key == "ssl_ciphers") {
        c->ssl_ciphers = value;
    } else if (key == "require_ssl") {
        if (value == "off") {
            c->require_ssl = RequireSsl::kOff;
        } else if (value == "remote") {
            c->require_ssl = RequireSsl::kRemote;
        } else if (value == "all") {
            c->require_ssl = RequireSsl::kAll;
        } else {
            return ConfigError(where, line, "require_ssl must be off, remote or all");
        }
    } else if (key == "worker_sslmode") {
        static const char* kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
        bool known = false;
        for (const char* m : kModes) known = known || value == m;
        if (!known) {
            return ConfigError(where, line,
                               "worker_sslmode must be disable, allow, prefer, require, verify-ca or verify-full");
        }
        c->worker_sslmode = value;
    } else if (key == "worker_sslrootcert") {
        c->worker_sslrootcert = value;
    } else if (key == "worker_sslcert") {
        c->worker_sslcert = value;
    } else if (key == "worker_sslkey") {
        c->worker_sslkey = value;
    } else if (key == "worker_role") {
        if (value == "shared") {
            c->worker_role = WorkerRole::kShared;
        } else if (value == "client") {
            c->worker_role = WorkerRole::kClient;
        } else {
            return ConfigError(where, line, "worker_role must be shared or client");
        }
    } else if (key == "worker_passfile") {
        c->worker_passfile = value;
    } else {
        return ConfigError(where, line, "unknown setting \"" + key + "\"");
    }
    return {};
}

}  // namespace

// Parses "key = value" and "user NAME password PW" lines.
Status ApplyConfigText(const std::string& text, const std::string& where, Config* config) {
    std::istringstream in(text);
    std::string raw;
    int line = 0;
    while (std::getline(in, raw)) {
        ++line;
        size_t hash = raw.find('#');
        std::string s = Trim(hash == std::string::npos ? raw : raw.substr(0, hash));
        if (s.empty()) continue;
        size_t eq = s.find('=');
        if (s.rfind("user ", 0) == 0 && (eq == std::string::npos || s.find(" password ") < eq)) {
            std::istringstream words(s);
            std::string kw, name, pwkw, pw;
            words >> kw >> name >> pwkw;
            std::getline(words, pw);
            pw = Trim(pw);
            if (name.empty() || pwkw != "password" || pw.empty()) {
                return ConfigError(where, line, "expected: user <name> password <password>");
            }
            auto secret = SecretFor(pw);
            if (!secret) return ConfigError(where, line, "malformed SCRAM-SHA-256 verifier for user \"" + name + "\"");
            config->users[name] = *secret;
            if (pw.rfind("SCRAM-SHA-256$", 0) == 0) {
                config->user_passwords.erase(name);
            } else {
                config->user_passwords[name] = pw;
            }
            continue;
        }
        if (eq == std::string::npos) return ConfigError(where, line, "expected key = value");
        std::string key = Trim(s.substr(0, eq));
        std::string value = Trim(s.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
            value = value.substr(1, value.size() - 2);
        JADE_TRY_STATUS(ApplySetting(key, value, where, line, config));
    }
    return {};
}

Status ValidateConfig(const Config& c) {
    if (c.ssl && (c.ssl_cert_file.empty() || c.ssl_key_file.empty())) {
        return MakeError(sqlstate::kInvalidParameterValue, "ssl = on needs ssl_cert_file and ssl_key_file");
    }
    if (!c.ssl && c.require_ssl != RequireSsl::kOff) {
        return MakeError(sqlstate::kInvalidParameterValue, "require_ssl needs ssl = on");
    }
    return {};
}

// Reads the whole file, then applies it.
Status LoadConfigFile(const std::string& path, Config* config) {
    std::ifstream f(path);
    if (!f) return MakeError(sqlstate::kIoError, "could not open config file \"" + path + "\"");
    std::stringstream ss;
    ss << f.rdbuf();
    return ApplyConfigText(ss.str(), path, config);
}

// Returns the usage text.
std::string UsageText() {
    return "usage: jade-coordinator --listen ADDR --port PORT --data-dir DIR [--config FILE]\n"
           "  --listen ADDR    IPv4 address to listen on (default 127.0.0.1)\n"
           "  --port PORT      TCP port (default 6432)\n"
           "  --data-dir DIR   metadata and 2PC decision log directory (required)\n"
           "  --config FILE    settings file (auth, users, worker credentials); see coordinator/README.md\n";
}

// Parses the flags (both "--flag value" and "--flag=value").
Expected<Config> ParseCommandLine(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        size_t eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline = true;
        }
        if (arg == "--help" || arg == "-h") return MakeError("00000", UsageText());
        auto next = [&](std::string* out) -> bool {
            if (has_inline) {
                *out = value;
                return true;
            }
            if (i + 1 >= argc) return false;
            *out = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "--listen") {
            if (!next(&v)) return MakeError(sqlstate::kInvalidParameterValue, "--listen needs a value\n" + UsageText());
            c.listen = v;
        } else if (arg == "--port") {
            int64_t n = 0;
            if (!next(&v) || !ParseInt(v, 1, 65535, &n)) {
                return MakeError(sqlstate::kInvalidParameterValue,
                                 "--port needs a port number 1..65535\n" + UsageText());
            }
            c.port = static_cast<uint16_t>(n);
        } else if (arg == "--data-dir") {
            if (!next(&v) || v.empty())
                return MakeError(sqlstate::kInvalidParameterValue, "--data-dir needs a value\n" + UsageText());
            c.data_dir = v;
        } else if (arg == "--config") {
            if (!next(&v)) return MakeError(sqlstate::kInvalidParameterValue, "--config needs a value\n" + UsageText());
            c.config_file = v;
        } else {
            return MakeError(sqlstate::kInvalidParameterValue, "unknown argument \"" + arg + "\"\n" + UsageText());
        }
    }
    if (c.data_dir.empty())
        return MakeError(sqlstate::kInvalidParameterValue, "--data-dir is required\n" + UsageText());
    if (!c.config_file.empty()) JADE_TRY_STATUS(LoadConfigFile(c.config_file, &c));
    JADE_TRY_STATUS(ValidateConfig(c));
    return c;
}

}  // namespace jade::coord
