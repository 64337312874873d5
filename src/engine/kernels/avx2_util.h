#pragma once
// Small AVX2 building blocks shared by the *_avx2.cc and *_avx512.cc kernels. Include only from
// translation units compiled with at least -mavx2 -mfma -mf16c. Everything has internal linkage
// (unnamed namespace): see the note in blocks.h on inline functions across -m flags.

// GCC 12 reports its own _mm512_undefined_* placeholders (self-initialized on purpose) as
// uninitialized once they are inlined into our code; the pragma covers the intrinsic headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // a GCC-only warning group (clang rejects unknown ones under -Werror)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>

namespace foundry::engine::kernels {
namespace {

// f16 bits → f32, exact (F16C): F16ToF32's value for every finite, infinite and quiet-NaN input
// (signalling NaNs come back quiet, irrelevant for scales).
inline float F16(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i Load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Sum of the 8 lanes.
inline float HsumF32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t HsumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// Largest lane.
inline float HmaxF32(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// Unsigned bytes u times signed bytes s, pairs summed into 16 i16 lanes (lane i = bytes 2i, 2i+1).
// Exact when |u_i·s_i + u_j·s_j| < 2^15, which every caller's value ranges guarantee.
inline __m256i MulU8I8(__m256i u, __m256i s) { return _mm256_maddubs_epi16(u, s); }

// Signed x times signed y, 4 neighbouring products summed into each of 8 i32 lanes. |x| moves to
// the unsigned operand and x's sign onto y (0 where x = 0). x = −128 works (|x| = 128 unsigned);
// REQUIRES y ≠ −128 (activations have |q| ≤ 127) so that flipping y's sign cannot overflow.
inline __m256i DotI8(__m256i x, __m256i y) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Unsigned u (≤ 127 per byte) times signed y into 8 i32 lanes, as DotI8.
inline __m256i DotU8I8(__m256i u, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), _mm256_set1_epi16(1));
}

// 16 packed bytes → 32 codes: byte j's low nibble at j, high nibble at j + 16 (the Q4_0 order).
inline __m256i Nibbles32(const uint8_t* p) {
  const __m128i x = Load128(p);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0F));
}

// Bit e of h → byte e: 0xFF where set, 0 where clear. Byte e takes byte e/8 of h (shuffle) and
// tests bit e%8 of it.
inline __m256i SpreadBits32(uint32_t h) {
  const __m256i bytes = _mm256_shuffle_epi8(
      _mm256_set1_epi32(int(h)), _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                                    0x0202020202020202, 0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
}

// Each 16-bit lane shifted right by `count` (runtime count; the immediate form needs a constant).
inline __m256i ShiftRight16(__m256i v, int count) {
  return _mm256_srl_epi16(v, _mm_cvtsi32_si128(count));
}

// 16 i16 lanes: the low 128-bit half all lo, the high half all hi. Pairs with MulU8I8 on 32
// bytes, whose low half covers bytes 0..15 and high half bytes 16..31.
inline __m256i SplitScale16(int lo, int hi) {
  return _mm256_set_m128i(_mm_set1_epi16(int16_t(hi)), _mm_set1_epi16(int16_t(lo)));
}

// Eight 8-lane i32 vectors of rounded integers (32 values in order) → 32 saturated i8 in order.
// packs works within 128-bit halves, so the 32-bit groups come out as 0 2 4 6 1 3 5 7 … fixed
// by one cross-lane permute.
inline __m256i PackI32ToI8(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b);
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_packs_epi16(ab, cd);
  return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// One block of 32 activations by the Q8_0/Q8_1 rule (formats.md §3.2): writes q to qs and returns
// the unrounded d = amax/127 and Σq. Bit-identical to QuantizeQ8_0Ref: max is exact in any order,
// x·id is one f32 product, and _MM_FROUND_TO_NEAREST_INT rounds half to even like nearbyint.
struct Block32Quant {
  float d;
  int32_t sum;
};
inline Block32Quant QuantizeBlock32(const float* x, int8_t* qs) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps();
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_loadu_ps(x + 8 * i);
    amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[i]));
  }
  const float max_abs = HmaxF32(amax);
  const float d = max_abs / 127.0f;
  const __m256 id = _mm256_set1_ps(max_abs != 0.0f ? 127.0f / max_abs : 0.0f);
  __m256i q[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 r =
        _mm256_round_ps(_mm256_mul_ps(v[i], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q[i] = _mm256_cvtps_epi32(r);  // exact: r is integral and |r| ≤ 127
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), PackI32ToI8(q[0], q[1], q[2], q[3]));
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
  return {d, HsumI32(sum)};
}

}  // namespace
}  // namespace foundry::engine::kernels
