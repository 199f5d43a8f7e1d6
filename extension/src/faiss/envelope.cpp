// faiss/envelope.cpp — the serialization envelope (envelope.h).
#include "faiss/envelope.h"

#include <cstring>

#include "common/error.h"

namespace jade::ext::engine {

namespace {
// Longest canonical factory string we ever write (ours are short; bounds a damaged length).
constexpr uint32_t kMaxCanonicalLen = 256;
}  // namespace

size_t SpanSource::Read(void* dst, size_t n) {
    // Copies what is left, up to n.
    size_t m = n < left_ ? n : left_;
    std::memcpy(dst, p_, m);
    p_ += m;
    left_ -= m;
    return m;
}

uint32_t ByteReader::U32() {
    // Reads a native-order u32.
    uint32_t v;
    Raw(&v, sizeof(v));
    return v;
}

uint64_t ByteReader::U64() {
    // Reads a native-order u64.
    uint64_t v;
    Raw(&v, sizeof(v));
    return v;
}

void ByteReader::Raw(void* dst, size_t n) {
    // Exactly n bytes or a damage report.
    if (n > remaining() || source_->Read(dst, n) != n) Corrupt("it is truncated");
}

void ByteReader::Corrupt(const std::string& why) const {
    // Index data we cannot trust: the only cure is a rebuild.
    throw JadeError(sqlstate::kIndexCorrupted, std::string("stored ") + what_ + " is damaged: " + why, "",
                    "Rebuild the index with REINDEX.");
}

void WriteEnvelopeHeader(ByteWriter* w, uint32_t magic, const FactorySpec& spec, int ef_construction) {
    // Header fields in the order documented in envelope.h.
    w->U32(magic);
    w->U32(kEnvelopeVersion);
    w->U32(static_cast<uint32_t>(spec.metric));
    w->U32(static_cast<uint32_t>(spec.dim));
    w->U32(static_cast<uint32_t>(ef_construction));
    w->U32(static_cast<uint32_t>(spec.canonical.size()));
    w->Raw(spec.canonical.data(), spec.canonical.size());
}

FactorySpec ReadEnvelopeHeader(ByteReader* r, uint32_t magic, int* ef_construction) {
    // Validates every field before trusting it; the spec is re-derived by our own parser.
    if (r->U32() != magic) r->Corrupt("wrong magic number");
    uint32_t version = r->U32();
    if (version != kEnvelopeVersion)
        r->Corrupt("format version " + std::to_string(version) + " is not " + std::to_string(kEnvelopeVersion));
    uint32_t metric = r->U32();
    if (!IsValidMetric(metric)) r->Corrupt("unknown metric " + std::to_string(metric));
    uint32_t dim = r->U32();
    uint32_t max_dim = IsBitMetric(static_cast<Metric>(metric)) ? kMaxBitDim : kMaxDim;
    if (dim < 1 || dim > max_dim) r->Corrupt("bad dimension " + std::to_string(dim));
    uint32_t ef = r->U32();
    if (ef > static_cast<uint32_t>(kMaxEfConstruction)) r->Corrupt("bad ef_construction");
    uint32_t len = r->U32();
    if (len == 0 || len > kMaxCanonicalLen) r->Corrupt("bad factory length");
    std::string canonical(len, '\0');
    r->Raw(canonical.data(), len);
    try {
        *ef_construction = static_cast<int>(ef);
        return ParseFactory(canonical, static_cast<int>(dim), static_cast<Metric>(metric));
    } catch (const JadeError& e) {
        r->Corrupt(std::string("its factory no longer validates (") + e.what() + ")");
    }
}

}  // namespace jade::ext::engine
