// distance/half.h — IEEE 754 binary16 ("half") values, the elements of `halfvec`: conversion to and
// from float, bit-exact with the x86 F16C instructions (round to nearest, ties to even).
//
// C++ regime: no PostgreSQL header, no exceptions. A half is kept as its 16-bit pattern
// (`Half`), so the layout is the same whatever the compiler's _Float16 support. The scalar
// conversions below are portable; the array conversions dispatch to F16C when the CPU has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace jade::ext {

// The bit pattern of a binary16 value: sign (1), exponent (5, bias 15), mantissa (10).
using Half = uint16_t;

// Largest finite half, and the smallest float magnitude that rounds to infinity: values in
// [65504, 65520) round down to 65504, 65520 is a tie that rounds to the even neighbour, 2^16.
inline constexpr float kHalfMax = 65504.0f;
inline constexpr float kHalfOverflowAt = 65520.0f;

inline bool HalfIsNan(Half h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0; }
inline bool HalfIsInf(Half h) { return (h & 0x7FFF) == 0x7C00; }
inline bool HalfIsZero(Half h) { return (h & 0x7FFF) == 0; }

// Returns the float equal to h (every half is exactly representable as a float).
inline float HalfToFloat(Half h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x03FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);  // infinity or NaN (payload kept)
    } else if (exponent != 0) {
        bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;  // ±0
    } else {
        // Subnormal: mantissa × 2^-24, exact in float.
        float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
        std::memcpy(&bits, &magnitude, sizeof(bits));
        bits |= sign;
    }
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

// Returns the half nearest to f (ties to even); magnitudes from kHalfOverflowAt up become ±∞,
// NaN stays a quiet NaN. The caller decides whether an overflow is an error.
inline Half FloatToHalf(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof(x));
    Half sign = static_cast<Half>((x >> 16) & 0x8000);
    uint32_t magnitude = x & 0x7FFFFFFFu;
    if (magnitude >= 0x7F800000u) {
        if (magnitude == 0x7F800000u) return sign | 0x7C00;
        return static_cast<Half>(sign | 0x7E00 | ((magnitude >> 13) & 0x03FF));
    }
    if (magnitude >= 0x38800000u) {  // normal half range, 2^-14 and up
        uint32_t h = (((magnitude >> 23) - (127 - 15)) << 10) | ((magnitude >> 13) & 0x03FF);
        uint32_t rest = magnitude & 0x1FFF;
        // A carry out of the mantissa correctly bumps the exponent (up to infinity, 0x7C00).
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
        if (h >= 0x7C00) h = 0x7C00;
        return static_cast<Half>(sign | h);
    }
    if (magnitude < 0x33000000u) return sign;  // below 2^-25 (2^-25 itself ties to 0)
    // Subnormal half: round magnitude / 2^-24 to an integer, ties to even.
    uint32_t exponent = magnitude >> 23;  // 102..112
    uint32_t mantissa = (magnitude & 0x007FFFFFu) | 0x00800000u;
    uint32_t shift = 126 - exponent;  // 14..24
    uint32_t h = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (h & 1))) h++;
    return static_cast<Half>(sign | h);
}

// Converts n halves to floats (F16C when available).
void HalfToFloatArray(const Half* in, float* out, size_t n);

// Converts n floats to halves with FloatToHalf's rounding (F16C when available).
void FloatToHalfArray(const float* in, Half* out, size_t n);

}  // namespace jade::ext
