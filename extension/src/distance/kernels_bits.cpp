// distance/kernels_bits.cpp — population counts over bit strings: Hamming distance (differing
// bits) and the counts of a Jaccard distance.
//
// Both walk the strings 8 bytes at a time (unaligned loads through memcpy) and finish byte by
// byte. The POPCNT variants are the same loops compiled with the instruction enabled (one
// POPCNT per word); without it GCC's __builtin_popcountll is a bit-twiddling sequence, still
// branch-free. PostgreSQL keeps the padding bits of a bit string's last byte zero, so whole
// bytes can be counted.
#include <cstring>

#include "distance/kernels.h"

#define JADE_POPCNT __attribute__((target("popcnt")))

namespace jade::ext::kernels {

namespace {

// Loads 8 bytes from an unaligned address.
inline uint64_t Load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

}  // namespace

// Each loop is written once and expanded into both target-specific functions (a macro rather
// than a shared inline helper: a helper compiled without POPCNT would not use the instruction).
#define JADE_HAMMING_BODY                                                                    \
    uint64_t distance = 0;                                                                   \
    size_t i = 0;                                                                            \
    for (; i + 8 <= nbytes; i += 8) distance += __builtin_popcountll(Load64(a + i) ^ Load64(b + i)); \
    for (; i < nbytes; i++) distance += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));    \
    return distance;

#define JADE_JACCARD_BODY                                                   \
    JaccardCounts c{0, 0, 0};                                               \
    size_t i = 0;                                                           \
    for (; i + 8 <= nbytes; i += 8) {                                       \
        uint64_t x = Load64(a + i), y = Load64(b + i);                      \
        c.both += __builtin_popcountll(x & y);                              \
        c.a += __builtin_popcountll(x);                                     \
        c.b += __builtin_popcountll(y);                                     \
    }                                                                       \
    for (; i < nbytes; i++) {                                               \
        c.both += __builtin_popcount(static_cast<unsigned>(a[i] & b[i]));   \
        c.a += __builtin_popcount(static_cast<unsigned>(a[i]));             \
        c.b += __builtin_popcount(static_cast<unsigned>(b[i]));             \
    }                                                                       \
    return c;

uint64_t HammingPortable(const uint8_t* a, const uint8_t* b, size_t nbytes) { JADE_HAMMING_BODY }

JaccardCounts JaccardCountsPortable(const uint8_t* a, const uint8_t* b, size_t nbytes) { JADE_JACCARD_BODY }

JADE_POPCNT uint64_t HammingPopcnt(const uint8_t* a, const uint8_t* b, size_t nbytes) { JADE_HAMMING_BODY }

JADE_POPCNT JaccardCounts JaccardCountsPopcnt(const uint8_t* a, const uint8_t* b, size_t nbytes) {
    JADE_JACCARD_BODY
}

}  // namespace jade::ext::kernels
