// rpc_frame.cpp — cluster-port framing (see rpc_frame.h).
#include "raft/rpc_frame.h"

#include "metadata/byte_codec.h"

namespace jade::coord::raft {

std::string EncodeFrame(uint8_t type, uint64_t id, std::string_view payload) {
    ByteWriter w;
    w.U32(static_cast<uint32_t>(1 + 8 + payload.size()));
    w.U8(type);
    w.U64(id);
    w.bytes().append(payload.data(), payload.size());
    return std::move(w.bytes());
}

// Appends bytes and splits off every complete frame.
bool FrameDecoder::Feed(const char* data, size_t n) {
    if (failed_) return false;
    buf_.append(data, n);
    for (;;) {
        size_t left = buf_.size() - pos_;
        if (left < 4) break;
        ByteReader h(std::string_view(buf_).substr(pos_, 4));
        uint32_t len = h.U32();
        if (len < 9 || len > kMaxFrameBytes) {
            failed_ = true;
            return false;
        }
        if (left < 4 + static_cast<size_t>(len)) break;
        ByteReader r(std::string_view(buf_).substr(pos_ + 4, len));
        Frame f;
        f.type = r.U8();
        f.id = r.U64();
        f.payload = buf_.substr(pos_ + 4 + 9, len - 9);
        ready_.push_back(std::move(f));
        pos_ += 4 + len;
    }
    if (pos_ > 0 && pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
    } else if (pos_ > (1u << 20)) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    return true;
}

bool FrameDecoder::Next(Frame* out) {
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
}

}  // namespace jade::coord::raft
