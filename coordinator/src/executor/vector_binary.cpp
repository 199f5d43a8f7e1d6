// vector_binary.cpp — binary encoding of vector, halfvec, sparsevec and bit values (vector_binary.h).
#include "executor/vector_binary.h"

#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "distance/half.h"
#include "text/sparsevec_text.h"
#include "text/vector_text.h"

namespace jade::coord::exec {
namespace {

enum class VectorType { kVector, kHalfvec, kSparsevec };

// 16,000 elements: the largest vector and halfvec, and the most non-zeros of a sparsevec.
constexpr int kMaxElements = 16000;

std::mutex registry_mutex;
std::unordered_map<uint32_t, VectorType> registry;

void PutU16(std::string* out, uint16_t v) {
    out->push_back(static_cast<char>(v >> 8));
    out->push_back(static_cast<char>(v & 0xff));
}

void PutU32(std::string* out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutFloat(std::string* out, float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof(bits));
    PutU32(out, bits);
}

Error Malformed(std::string_view text, const char* type) {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     std::string("invalid input syntax for type ") + type + ": \"" + std::string(text) + "\"");
}

// vector / halfvec: int16 dim, int16 0, dim big-endian float4 (vector) or binary16 (halfvec).
Expected<std::string> DenseToBinary(std::string_view text, bool half) {
    std::string s(text);
    std::vector<float> x(kMaxElements);
    float bound = half ? jade::ext::kHalfOverflowAt : std::numeric_limits<float>::infinity();
    auto r = jade::ext::text::ParseVectorText(s.c_str(), x.data(), kMaxElements, bound);
    if (r.status != jade::ext::text::ParseStatus::kOk || r.dim < 1) return Malformed(text, half ? "halfvec" : "vector");
    std::string out;
    out.reserve(4 + static_cast<size_t>(r.dim) * (half ? 2 : 4));
    PutU16(&out, static_cast<uint16_t>(r.dim));
    PutU16(&out, 0);
    for (int i = 0; i < r.dim; i++) {
        if (half)
            PutU16(&out, jade::ext::FloatToHalf(x[i]));
        else
            PutFloat(&out, x[i]);
    }
    return out;
}

// sparsevec: int32 dim, int32 nnz, int32 0, nnz 0-based indices, nnz float4 values.
Expected<std::string> SparseToBinary(std::string_view text) {
    std::string s(text);
    int cap = jade::ext::text::CountSparseElements(s.c_str());
    if (cap > kMaxElements) return Malformed(text, "sparsevec");
    std::vector<int32_t> idx(static_cast<size_t>(cap));
    std::vector<float> val(static_cast<size_t>(cap));
    auto r = jade::ext::text::ParseSparseVectorText(s.c_str(), idx.data(), val.data());
    if (r.status != jade::ext::text::SparseParseStatus::kOk || r.dim < 1) return Malformed(text, "sparsevec");
    std::string out;
    PutU32(&out, static_cast<uint32_t>(r.dim));
    PutU32(&out, static_cast<uint32_t>(r.nnz));
    PutU32(&out, 0);
    for (int i = 0; i < r.nnz; i++) PutU32(&out, static_cast<uint32_t>(idx[i]));
    for (int i = 0; i < r.nnz; i++) PutFloat(&out, val[i]);
    return out;
}

// bit / varbit (varbit_send): int32 bit length, then the bits packed most significant first.
Expected<std::string> BitsToBinary(std::string_view text) {
    std::string out;
    PutU32(&out, static_cast<uint32_t>(text.size()));
    std::string bytes((text.size() + 7) / 8, '\0');
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] == '1')
            bytes[i / 8] = static_cast<char>(bytes[i / 8] | (0x80 >> (i % 8)));
        else if (text[i] != '0')
            return MakeError(sqlstate::kInvalidTextRepresentation,
                             std::string("\"") + text[i] + "\" is not a valid binary digit");
    }
    return out + bytes;
}

}  // namespace

void RegisterVectorType(uint32_t oid, std::string_view typname) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    if (typname == "vector") registry[oid] = VectorType::kVector;
    if (typname == "halfvec") registry[oid] = VectorType::kHalfvec;
    if (typname == "sparsevec") registry[oid] = VectorType::kSparsevec;
}

bool VectorTypesKnown() {
    std::lock_guard<std::mutex> lock(registry_mutex);
    return !registry.empty();
}

void ForgetVectorTypes() {
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry.clear();
}

bool IsVectorFamilyType(uint32_t oid) {
    if (oid == kBitOid || oid == kVarbitOid) return true;
    std::lock_guard<std::mutex> lock(registry_mutex);
    return registry.count(oid) != 0;
}

Expected<std::string> VectorTextToBinary(uint32_t oid, std::string_view text) {
    if (oid == kBitOid || oid == kVarbitOid) return BitsToBinary(text);
    VectorType type;
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        auto it = registry.find(oid);
        if (it == registry.end())
            return MakeError(sqlstate::kFeatureNotSupported,
                             "binary result format for type oid " + std::to_string(oid) +
                                 " is not supported through the coordinator",
                             "", "Request text format for this column.");
        type = it->second;
    }
    switch (type) {
        case VectorType::kVector:
            return DenseToBinary(text, false);
        case VectorType::kHalfvec:
            return DenseToBinary(text, true);
        case VectorType::kSparsevec:
            return SparseToBinary(text);
    }
    return Malformed(text, "vector");
}

}  // namespace jade::coord::exec
