// copy_split.cpp — incremental COPY row splitter (format rules in copy_split.h).
#include "copy/copy_split.h"

#include <cstring>

#include "copy/copy_binary.h"

namespace jade::coord {

CopyFormat CopyFormat::Text() { return CopyFormat{}; }

CopyFormat CopyFormat::Csv() {
  CopyFormat f;
  f.csv = true;
  f.delimiter = ',';
  f.quote = '"';
  f.escape = '"';
  f.null_string = "";
  return f;
}

CopyFormat CopyFormat::Binary() {
  CopyFormat f;
  f.binary = true;
  return f;
}

CopySplitter::CopySplitter(CopyFormat format, int key_field, KeyType key_type, uint32_t shard_count,
                           int32_t key_length)
    : format_(std::move(format)),
      key_field_(key_field),
      key_type_(key_type),
      key_length_(key_type == KeyType::kVarchar ? key_length : -1),
      shard_count_(shard_count == 0 ? 1 : shard_count),
      header_pending_(format_.header) {}

Status CopySplitter::Feed(std::string_view data, const CopyRowSink& sink) {
  if (ended_) return {};
  partial_.append(data.data(), data.size());
  if (format_.binary) return FeedBinary(sink);
  size_t start = 0;
  for (;;) {
    size_t end = FindRowEnd(partial_, std::max(start, scanned_));
    if (end == std::string::npos) break;
    Status st = ProcessRow(std::string_view(partial_).substr(start, end + 1 - start), sink);
    if (!st.ok()) {
      partial_.clear();
      scanned_ = 0;
      return st;
    }
    start = end + 1;
    scanned_ = start;
    if (ended_) {
      partial_.clear();
      scanned_ = 0;
      return {};
    }
  }
  partial_.erase(0, start);
  scanned_ = partial_.size();
  if (partial_.size() > kMaxCopyRowBytes) {
    return RowError(sqlstate::kProgramLimitExceeded,
                    "COPY row is longer than " + std::to_string(kMaxCopyRowBytes) + " bytes");
  }
  return {};
}

// Binary: the header once, then every complete tuple in partial_.
Status CopySplitter::FeedBinary(const CopyRowSink& sink) {
  size_t pos = 0;
  Status st;
  if (binary_header_.empty()) {
    auto len = copy_binary::HeaderLength(partial_);
    if (!len) return RowError(len.error().sqlstate.c_str(), len.error().message);
    if (*len == 0) return {};
    binary_header_ = partial_.substr(0, *len);
    pos = *len;
  }
  while (pos < partial_.size()) {
    std::string_view rest = std::string_view(partial_).substr(pos);
    auto t = copy_binary::ParseTuple(rest, key_field_);
    if (!t) {
      line_no_++;
      st = RowError(t.error().sqlstate.c_str(), t.error().message);
      break;
    }
    if (t->length == 0) break;
    line_no_++;
    if (t->trailer) {
      ended_ = true;
      partial_.clear();
      return {};
    }
    std::optional<std::string> key;
    if (t->key) {
      auto k = copy_binary::KeyText(key_type_, *t->key);
      if (!k) {
        st = RowError(k.error().sqlstate.c_str(), k.error().message);
        break;
      }
      key = std::move(*k);
    }
    st = Route(key, rest.substr(0, t->length), sink);
    if (!st.ok()) break;
    pos += t->length;
  }
  if (!st.ok()) {
    partial_.clear();
    return st;
  }
  partial_.erase(0, pos);
  if (partial_.size() > kMaxCopyRowBytes) {
    return RowError(sqlstate::kProgramLimitExceeded,
                    "COPY row is longer than " + std::to_string(kMaxCopyRowBytes) + " bytes");
  }
  return {};
}

Status CopySplitter::Finish(const CopyRowSink& sink) {
  if (format_.binary) {
    // A missing trailer is fine (PostgreSQL accepts end of data between tuples); a missing or
    // cut header or tuple is not.
    if (ended_) return {};
    if (binary_header_.empty()) return RowError(sqlstate::kBadCopyFileFormat, "COPY file signature not recognized");
    if (!partial_.empty()) return RowError(sqlstate::kBadCopyFileFormat, "unexpected EOF in COPY data");
    return {};
  }
  if (ended_ || partial_.empty()) return {};
  if (in_quote_) return RowError(sqlstate::kBadCopyFileFormat, "unterminated CSV quoted field");
  std::string last = std::move(partial_);
  partial_.clear();
  scanned_ = 0;
  return ProcessRow(last, sink);
}

// Finds the '\n' ending the row that starts before `from` (scan state persists across calls).
size_t CopySplitter::FindRowEnd(std::string_view data, size_t from) {
  size_t i = from;
  if (!format_.csv) {
    while (i < data.size()) {
      if (escape_pending_) {
        escape_pending_ = false;  // the escaped byte (even a newline) is data
        i++;
        continue;
      }
      const void* hit = std::memchr(data.data() + i, '\n', data.size() - i);
      size_t nl = hit ? static_cast<size_t>(static_cast<const char*>(hit) - data.data()) : data.size();
      const void* bs = std::memchr(data.data() + i, '\\', nl - i);
      if (bs) {
        i = static_cast<size_t>(static_cast<const char*>(bs) - data.data()) + 1;
        escape_pending_ = true;
        continue;
      }
      if (nl < data.size()) return nl;
      i = data.size();
    }
    return std::string::npos;
  }
  for (; i < data.size(); i++) {
    char ch = data[i];
    if (in_quote_) {
      if (escape_pending_) {
        escape_pending_ = false;
      } else if (format_.escape != format_.quote && ch == format_.escape) {
        escape_pending_ = true;
      } else if (ch == format_.quote) {
        in_quote_ = false;  // a doubled quote re-enters on the next byte
      }
    } else if (ch == format_.quote) {
      in_quote_ = true;
    } else if (ch == '\n') {
      return i;
    }
  }
  return std::string::npos;
}

Status CopySplitter::ProcessRow(std::string_view row, const CopyRowSink& sink) {
  line_no_++;
  std::string_view line = row;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line == "\\.") {
    ended_ = true;
    return {};
  }
  if (header_pending_) {
    header_pending_ = false;
    return {};
  }
  auto key = ExtractKey(line);
  if (!key) return std::move(key).error();
  return Route(*key, row, sink);
}

// Hashes a row's key and hands the row to its shard.
Status CopySplitter::Route(const std::optional<std::string>& key, std::string_view row, const CopyRowSink& sink) {
  if (!key) {
    rows_++;
    sink(0, row);
    return {};
  }
  auto idx = ShardIndexForKey(key_type_, key_length_ >= 0 ? VarcharStored(*key, key_length_) : *key, shard_count_);
  if (!idx) {
    Error e = std::move(idx).error();
    return RowError(e.sqlstate.c_str(), e.message);
  }
  rows_++;
  sink(*idx, row);
  return {};
}

// Extracts and de-escapes the key field of one line (without its terminator).
Expected<std::optional<std::string>> CopySplitter::ExtractKey(std::string_view line) const {
  int field = 0;
  size_t i = 0;
  if (!format_.csv) {
    // Text: skip to the key field; delimiters preceded by a backslash are data.
    while (field < key_field_) {
      if (i >= line.size()) return RowError(sqlstate::kBadCopyFileFormat, "missing data for the shard key column");
      if (line[i] == '\\') {
        i += 2;
        continue;
      }
      if (line[i] == format_.delimiter) field++;
      i++;
    }
    size_t start = i;
    while (i < line.size() && line[i] != format_.delimiter) i += line[i] == '\\' ? 2 : 1;
    std::string_view raw = line.substr(start, std::min(i, line.size()) - start);
    if (raw == format_.null_string) return std::optional<std::string>();
    std::string out;
    for (size_t k = 0; k < raw.size(); k++) {
      char ch = raw[k];
      if (ch != '\\' || k + 1 >= raw.size()) {
        out.push_back(ch);
        continue;
      }
      char e = raw[++k];
      switch (e) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x':
          if (k + 1 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[k + 1]))) {
            int v = 0, n = 0;
            while (n < 2 && k + 1 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[k + 1]))) {
              char h = raw[++k];
              v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
              n++;
            }
            out.push_back(static_cast<char>(v));
          } else {
            out.push_back('x');
          }
          break;
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0', n = 1;
            while (n < 3 && k + 1 < raw.size() && raw[k + 1] >= '0' && raw[k + 1] <= '7') {
              v = v * 8 + (raw[++k] - '0');
              n++;
            }
            out.push_back(static_cast<char>(v));
          } else {
            out.push_back(e);
          }
      }
    }
    return std::optional<std::string>(std::move(out));
  }
  // CSV: walk fields honouring quotes.
  for (;;) {
    std::string value;
    bool quoted = false;
    bool in_quote = false;
    size_t start = i;
    while (i < line.size()) {
      char ch = line[i];
      if (in_quote) {
        if (format_.escape != format_.quote && ch == format_.escape && i + 1 < line.size() &&
            (line[i + 1] == format_.quote || line[i + 1] == format_.escape)) {
          value.push_back(line[i + 1]);
          i += 2;
          continue;
        }
        if (ch == format_.quote) {
          if (format_.escape == format_.quote && i + 1 < line.size() && line[i + 1] == format_.quote) {
            value.push_back(ch);
            i += 2;
            continue;
          }
          in_quote = false;
          i++;
          continue;
        }
        value.push_back(ch);
        i++;
        continue;
      }
      if (ch == format_.delimiter) break;
      if (ch == format_.quote) {
        in_quote = quoted = true;
        i++;
        continue;
      }
      value.push_back(ch);
      i++;
    }
    if (in_quote) return RowError(sqlstate::kBadCopyFileFormat, "unterminated CSV quoted field");
    if (field == key_field_) {
      if (!quoted && line.substr(start, i - start) == format_.null_string) return std::optional<std::string>();
      return std::optional<std::string>(std::move(value));
    }
    if (i >= line.size()) return RowError(sqlstate::kBadCopyFileFormat, "missing data for the shard key column");
    i++;  // delimiter
    field++;
  }
}

Error CopySplitter::RowError(const char* state, const std::string& message) const {
  Error e = MakeError(state, message);
  e.detail = "COPY data line " + std::to_string(line_no_ == 0 ? 1 : line_no_) + ".";
  return e;
}

}  // namespace jade::coord
