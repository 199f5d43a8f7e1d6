// server_secret.cpp — load or create DATA_DIR/auth_secret (see server_secret.h).
#include "auth/server_secret.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "wire/io_sqlstate.h"

namespace jade::coord::auth {
namespace {

Error FileError(const std::string& what, const std::string& path) {
    return MakeError(sqlstate::kIoError, "could not " + what + " \"" + path + "\": " + std::strerror(errno));
}

// Writes all of `data` to fd.
bool WriteAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

Expected<std::string> LoadOrCreateServerSecret(const std::string& data_dir) {
    const std::string path = data_dir + "/auth_secret";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        std::string secret(kServerSecretBytes + 1, '\0');
        ssize_t n = ::read(fd, secret.data(), secret.size());
        ::close(fd);
        if (n != static_cast<ssize_t>(kServerSecretBytes)) {
            return MakeError(sqlstate::kIoError, "corrupt server secret \"" + path + "\"",
                             "The file must hold exactly " + std::to_string(kServerSecretBytes) + " bytes.");
        }
        secret.resize(kServerSecretBytes);
        return secret;
    }
    if (errno != ENOENT) return FileError("open", path);
    std::string secret(kServerSecretBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
        return MakeError(sqlstate::kInternalError, "could not generate the server secret");
    }
    const std::string tmp = path + ".tmp";
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return FileError("create", tmp);
    bool ok = WriteAll(fd, secret) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return FileError("write", tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return FileError("rename", tmp);
    int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return secret;
}

}  // namespace jade::coord::auth
