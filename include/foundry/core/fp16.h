#pragma once
// IEEE binary16 and bfloat16 conversions, bit-exact and portable (no ISA requirement).
// F16 -> F32 is exact; F32 -> F16 rounds to nearest even (as F16C's _mm_cvtps_ph with
// _MM_FROUND_TO_NEAREST_INT), with overflow to inf and NaN preserved.

#include <bit>
#include <cstdint>

namespace foundry {

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      float f = float(mant) * 0x1p-24f;
      bits = sign | std::bit_cast<uint32_t>(f);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

inline uint16_t F32ToF16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) {  // inf or NaN
    return uint16_t(sign | 0x7C00 | (ax > 0x7F800000u ? (0x200 | ((ax >> 13) & 0x3FF)) : 0));
  }
  if (ax >= 0x477FF000u) return uint16_t(sign | 0x7C00);  // rounds to >= 65520 -> inf
  if (ax < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // Scale so that one half-subnormal ulp (2^-24) becomes 1.0, then round to nearest even
    // using the float adder (exact for these magnitudes).
    float a = std::bit_cast<float>(ax);
    float r = a * 0x1p24f;  // in [0, 1024)
    // round half to even via the magic-number trick
    float rounded = (r + 0x1p23f) - 0x1p23f;
    return uint16_t(sign | uint16_t(rounded));
  }
  // Normal: rebias exponent, round mantissa from 23 to 10 bits (nearest even).
  uint32_t m = ax + 0xC8000000u;  // exponent -= 112
  uint32_t round = 0xFFFu + ((m >> 13) & 1u);
  m += round;
  return uint16_t(sign | uint16_t(m >> 13));
}

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

// Round to nearest even; NaN stays a quiet NaN (matches ggml's ggml_compute_fp32_to_bf16).
inline uint16_t F32ToBf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace foundry
