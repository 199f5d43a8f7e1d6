// binary_format.cpp — text → binary encoding of common types (see binary_format.h).
#include "executor/binary_format.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "executor/vector_binary.h"
#include "merge/row.h"

namespace jade::coord::exec {
namespace {

constexpr uint32_t kBytea = 17;

// Appends a big-endian integer of `bytes` bytes.
std::string BigEndian(uint64_t v, int bytes) {
    std::string s(bytes, '\0');
    for (int i = bytes - 1; i >= 0; --i) {
        s[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return s;
}

// Builds the error for a value that is not valid text for its type.
Error BadValue(std::string_view text, const char* type) {
    return MakeError(sqlstate::kInvalidTextRepresentation,
                     std::string("invalid input syntax for type ") + type + ": \"" + std::string(text) + "\"");
}

// Parses a hex digit, -1 if invalid.
int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool CanEncodeBinary(uint32_t oid) {
    switch (oid) {
        case oid::kBool:
        case oid::kInt2:
        case oid::kInt4:
        case oid::kInt8:
        case oid::kOid:
        case oid::kFloat4:
        case oid::kFloat8:
        case oid::kText:
        case oid::kVarchar:
        case oid::kBpchar:
        case oid::kName:
        case kBytea:
            return true;
        default:
            return IsVectorFamilyType(oid);
    }
}

// Encodes per type, mirroring PostgreSQL's *send functions.
Expected<std::string> TextToBinary(uint32_t type, std::string_view text) {
    std::string s(text);
    char* end = nullptr;
    errno = 0;
    switch (type) {
        case oid::kBool:
            if (s == "t") return std::string(1, '\1');
            if (s == "f") return std::string(1, '\0');
            return BadValue(text, "boolean");
        case oid::kInt2:
        case oid::kInt4:
        case oid::kInt8:
        case oid::kOid: {
            long long v = std::strtoll(s.c_str(), &end, 10);
            if (s.empty() || *end != '\0' || errno != 0) return BadValue(text, "integer");
            int bytes = type == oid::kInt2 ? 2 : (type == oid::kInt8 ? 8 : 4);
            return BigEndian(static_cast<uint64_t>(v), bytes);
        }
        case oid::kFloat4:
        case oid::kFloat8: {
            double v = 0;
            if (s == "NaN") {
                v = std::nan("");
            } else if (s == "Infinity") {
                v = HUGE_VAL;
            } else if (s == "-Infinity") {
                v = -HUGE_VAL;
            } else {
                v = std::strtod(s.c_str(), &end);
                if (s.empty() || *end != '\0') return BadValue(text, "double precision");
            }
            if (type == oid::kFloat4) {
                float f = static_cast<float>(v);
                uint32_t bits;
                std::memcpy(&bits, &f, 4);
                return BigEndian(bits, 4);
            }
            uint64_t bits;
            std::memcpy(&bits, &v, 8);
            return BigEndian(bits, 8);
        }
        case oid::kText:
        case oid::kVarchar:
        case oid::kBpchar:
        case oid::kName:
            return s;
        case kBytea: {
            if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2 != 0) return BadValue(text, "bytea");
            std::string out;
            out.reserve((s.size() - 2) / 2);
            for (size_t i = 2; i < s.size(); i += 2) {
                int hi = Hex(s[i]), lo = Hex(s[i + 1]);
                if (hi < 0 || lo < 0) return BadValue(text, "bytea");
                out.push_back(static_cast<char>(hi * 16 + lo));
            }
            return out;
        }
        default:
            // bit, varbit and the vector types once their OIDs are known; 0A000 for the rest.
            return VectorTextToBinary(type, text);
    }
}

}  // namespace jade::coord::exec
