// store.cpp — the durable command log and snapshot (format in store.h).
#include "metadata/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "metadata/byte_codec.h"
#include "metadata/state_machine.h"

namespace jade::coord {
namespace {

constexpr const char* kLogName = "metadata.log";
constexpr const char* kSnapshotName = "metadata.snapshot";
constexpr size_t kHeaderBytes = 8;
constexpr uint32_t kMaxRecordBytes = 64u << 20;  // metadata records are tiny; bigger means garbage

// Builds the CRC-32C table (reflected polynomial 0x82F63B78) once.
const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

Error IoError(const std::string& what, const std::string& path) {
  return MakeError(sqlstate::kIoError, "could not " + what + " file \"" + path + "\": " + std::strerror(errno));
}

// Frames a payload as one record: u32 length, u32 crc32c, payload.
std::string Frame(const std::string& payload) {
  ByteWriter w;
  w.U32(static_cast<uint32_t>(payload.size()));
  w.U32(Crc32c(payload.data(), payload.size()));
  w.bytes().append(payload);
  return std::move(w.bytes());
}

// Writes all of `data` to fd (retrying short writes and EINTR).
bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads a whole file into *out; false if it does not exist or cannot be read.
bool ReadFile(const std::string& path, std::string* out, bool* missing) {
  *missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *missing = errno == ENOENT;
    return false;
  }
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

// fsyncs a directory so that a rename or file creation in it is durable.
bool SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t len) {
  const auto& t = CrcTable();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) c = t[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Expected<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(sqlstate::kIoError, "could not create directory \"" + dir + "\": " + ec.message());
  }
  std::unique_ptr<MetadataStore> store(new MetadataStore(dir));
  JADE_TRY_STATUS(store->Load());
  return store;
}

MetadataStore::~MetadataStore() {
  if (log_fd_ >= 0) ::close(log_fd_);
}

// Loads the snapshot, replays the log, and cuts off a torn tail.
Status MetadataStore::Load() {
  const std::string snap_path = dir_ + "/" + kSnapshotName;
  const std::string log_path = dir_ + "/" + kLogName;
  std::string bytes;
  bool missing = false;
  if (ReadFile(snap_path, &bytes, &missing)) {
    ByteReader r(bytes);
    uint32_t len = r.U32();
    uint32_t crc = r.U32();
    if (r.failed() || len != bytes.size() - kHeaderBytes || Crc32c(bytes.data() + kHeaderBytes, len) != crc) {
      return MakeError(sqlstate::kDataCorrupted, "corrupt metadata snapshot \"" + snap_path + "\"");
    }
    auto cat = DecodeCatalog(std::string_view(bytes).substr(kHeaderBytes));
    if (!cat) return std::move(cat).error();
    catalog_ = std::move(*cat);
  } else if (!missing) {
    return IoError("read", snap_path);
  }

  if (!ReadFile(log_path, &bytes, &missing)) {
    if (!missing) return IoError("read", log_path);
    bytes.clear();
  }
  size_t pos = 0;
  size_t valid_end = 0;
  while (pos < bytes.size()) {
    size_t left = bytes.size() - pos;
    if (left < kHeaderBytes) break;  // torn header
    ByteReader h(std::string_view(bytes).substr(pos, kHeaderBytes));
    uint32_t len = h.U32();
    uint32_t crc = h.U32();
    bool runs_to_eof = len > left - kHeaderBytes || pos + kHeaderBytes + len == bytes.size();
    bool crc_ok = len <= kMaxRecordBytes && len <= left - kHeaderBytes &&
                  Crc32c(bytes.data() + pos + kHeaderBytes, len) == crc;
    if (!crc_ok) {
      if (runs_to_eof) break;  // the last record was being written when we crashed
      return MakeError(sqlstate::kDataCorrupted,
                       "corrupt metadata log record at offset " + std::to_string(pos) + " of \"" + log_path + "\"");
    }
    ByteReader rec(std::string_view(bytes).substr(pos + kHeaderBytes, len));
    uint64_t index = rec.U64();
    if (rec.failed()) return MakeError(sqlstate::kDataCorrupted, "metadata log record without index");
    pos += kHeaderBytes + len;
    if (index <= catalog_.applied_index()) {
      valid_end = pos;  // already in the snapshot (crash between snapshot and log truncation)
      continue;
    }
    if (index != catalog_.applied_index() + 1) {
      return MakeError(sqlstate::kDataCorrupted, "metadata log skips from index " +
                                                     std::to_string(catalog_.applied_index()) + " to " +
                                                     std::to_string(index));
    }
    auto cmd = DecodeCommand(std::string_view(bytes).substr(pos - len + 8, len - 8));
    if (!cmd) return std::move(cmd).error();
    Status st = ApplyCommand(catalog_, *cmd);
    if (!st.ok()) {
      Error e = std::move(st).error();
      return MakeError(sqlstate::kDataCorrupted, "metadata log command " + std::to_string(index) +
                                                     " does not apply: " + e.message);
    }
    log_records_++;
    valid_end = pos;
  }

  log_fd_ = ::open(log_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd_ < 0) return IoError("open", log_path);
  if (valid_end < bytes.size()) {
    truncated_tail_ = true;
    if (::ftruncate(log_fd_, static_cast<off_t>(valid_end)) != 0 || ::fsync(log_fd_) != 0) {
      return IoError("truncate", log_path);
    }
  }
  if (::lseek(log_fd_, static_cast<off_t>(valid_end), SEEK_SET) < 0) return IoError("seek", log_path);
  if (missing && !SyncDir(dir_)) return IoError("sync directory of", log_path);
  return {};
}

Status MetadataStore::Append(const Command& cmd) {
  Catalog next = catalog_;
  JADE_TRY_STATUS(ApplyCommand(next, cmd));
  ByteWriter payload;
  payload.U64(next.applied_index());
  payload.bytes().append(EncodeCommand(cmd));
  std::string record = Frame(payload.bytes());
  off_t start = ::lseek(log_fd_, 0, SEEK_CUR);
  const std::string log_path = dir_ + "/" + kLogName;
  if (start < 0) return IoError("seek", log_path);
  if (!WriteAll(log_fd_, record) || ::fdatasync(log_fd_) != 0) {
    Error e = IoError("write", log_path);
    // Take the partial record back so the next append does not follow garbage.
    if (::ftruncate(log_fd_, start) == 0) ::lseek(log_fd_, start, SEEK_SET);
    return e;
  }
  catalog_ = std::move(next);
  log_records_++;
  return {};
}

Status MetadataStore::Compact() {
  const std::string snap_path = dir_ + "/" + kSnapshotName;
  const std::string tmp_path = snap_path + ".tmp";
  const std::string log_path = dir_ + "/" + kLogName;
  std::string record = Frame(EncodeCatalog(catalog_));
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create", tmp_path);
  bool ok = WriteAll(fd, record) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IoError("write", tmp_path);
  if (::rename(tmp_path.c_str(), snap_path.c_str()) != 0) return IoError("rename", tmp_path);
  if (!SyncDir(dir_)) return IoError("sync directory of", snap_path);
  // The snapshot now covers every logged command; records left by a crash here are skipped on load.
  if (::ftruncate(log_fd_, 0) != 0 || ::fsync(log_fd_) != 0) return IoError("truncate", log_path);
  if (::lseek(log_fd_, 0, SEEK_SET) < 0) return IoError("seek", log_path);
  log_records_ = 0;
  return {};
}

}  // namespace jade::coord
