// Q4_K × Q8_K dot product, AVX-512 + VNNI.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Per block the integer sums of DotQ4_KQ8_KRef, exactly, then the same f32 combination. A 64-
// element group g is one 512-bit step: its 32 bytes are broadcast to both halves and shifted by
// 0 (lower half: low nibbles = sub-block 2g) or 4 (upper half: high nibbles = sub-block 2g + 1),
// which lines them up with the 64 activations in order. maddubs forms 16-bit pair sums
// (2·15·127 < 2^15); the scale of each half comes from a 16-bit permute of the eight scales, and
// VNNI's dpwssd multiplies by it and accumulates into i32 in one step.
float DotQ4_KQ8_KAvx512(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m512i mask4 = _mm512_set1_epi8(0x0F);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i nibble_shift = _mm512_inserti64x4(zero, _mm256_set1_epi16(4), 1);
  // 16-bit lane → sub-block 2g (lower half) or 2g + 1 (upper half), before adding 2g.
  const __m512i half_index = _mm512_inserti64x4(zero, _mm256_set1_epi16(1), 1);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ4_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    alignas(8) uint8_t sc[8], m[8];
    UnpackQ4KScalesSwar(x.scales, sc, m);
    // Σ_k m_k·(bsums[2k] + bsums[2k+1]), each min repeated for its two bsums.
    const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m)));
    const __m256i m_pairs =
        _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
    const int32_t min_sum = HsumI32(_mm256_madd_epi16(m_pairs, Load256(y.bsums)));

    // The eight scales as i16 in lanes 0..7 (lanes ≥ 8 are never selected).
    const __m512i sc16 = _mm512_castsi128_si512(
        _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
    __m512i isum = _mm512_setzero_si512();
    for (int g = 0; g < 4; ++g) {
      const __m512i q4 = _mm512_broadcast_i64x4(Load256(x.qs + 32 * g));
      const __m512i qw = _mm512_and_si512(_mm512_srlv_epi16(q4, nibble_shift), mask4);
      const __m512i p16 = _mm512_maddubs_epi16(qw, _mm512_loadu_si512(y.qs + 64 * g));
      const __m512i index = _mm512_add_epi16(half_index, _mm512_set1_epi16(int16_t(2 * g)));
      isum = _mm512_dpwssd_epi32(isum, p16, _mm512_permutexvar_epi16(index, sc16));
    }
    sum +=
        y.d * F16(x.d) * float(_mm512_reduce_add_epi32(isum)) - y.d * F16(x.dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
