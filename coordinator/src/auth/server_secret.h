// server_secret.h — the coordinator's own secret, kept in its data directory.
//
// 32 random bytes in DATA_DIR/auth_secret (mode 0600), made at first start and reused after, so
// what is derived from it is stable across restarts: the SCRAM salts of unknown users' mock
// exchanges and of users configured with plaintext passwords (scram.h). It never leaves the
// process; a client that cannot read the data directory cannot compute those salts.
#pragma once

#include <string>

#include "util/expected.h"

namespace jade::coord::auth {

constexpr size_t kServerSecretBytes = 32;

// Reads DATA_DIR/auth_secret, or creates it (written to a temp file, fsync'd, renamed).
Expected<std::string> LoadOrCreateServerSecret(const std::string& data_dir);

}  // namespace jade::coord::auth
