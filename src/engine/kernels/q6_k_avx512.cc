// Q6_K × Q8_K dot product, AVX-512 + VNNI.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// As DotQ6_KQ8_KAvx2 (codes as unsigned q + 32, offset through the bsums), 64 elements per
// 512-bit step. Half h: the 64 bytes ql[64h..] hold chunks j = 0, 1 in their low nibbles and
// j = 2, 3 in their high nibbles; the high bits of chunk j are (qh >> 2j) & 3. Each 128-bit lane
// of the maddubs result covers one 16-element group, so the scale vector holds four group scales
// (a 16-bit permute of all 16 scales), and dpwssd multiplies and accumulates into i32.
float DotQ6_KQ8_KAvx512(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m512i mask4 = _mm512_set1_epi8(0x0F);
  const __m512i mask2 = _mm512_set1_epi8(3);
  // 16-bit lane i → group (i >> 3) + 4·step, for the permute below.
  const __m512i group_of_lane =
      _mm512_set_epi64(0x0003000300030003, 0x0003000300030003, 0x0002000200020002,
                       0x0002000200020002, 0x0001000100010001, 0x0001000100010001, 0, 0);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ6_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    const __m256i sc16 = _mm256_cvtepi8_epi16(Load128(x.scales));  // the 16 group scales
    const int32_t offset_sum = HsumI32(_mm256_madd_epi16(sc16, Load256(y.bsums)));
    const __m512i sc16_512 = _mm512_castsi256_si512(sc16);  // lanes ≥ 16 are never selected

    __m512i isum = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(x.ql + 64 * h);
      const __m256i qh = Load256(x.qh + 32 * h);
      // High bits of chunks 0, 1 (unmasked); chunks 2, 3 are the same shifted right by 4.
      const __m512i qh01 =
          _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
      for (int step = 0; step < 2; ++step) {  // step 0: chunks 0, 1; step 1: chunks 2, 3
        const __m512i low = _mm512_and_si512(step == 0 ? ql : _mm512_srli_epi16(ql, 4), mask4);
        const __m512i high = _mm512_and_si512(step == 0 ? qh01 : _mm512_srli_epi16(qh01, 4), mask2);
        const __m512i qw = _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
        const __m512i qa = _mm512_loadu_si512(y.qs + 128 * h + 64 * step);
        const __m512i p16 = _mm512_maddubs_epi16(qw, qa);
        const __m512i first_group = _mm512_set1_epi16(int16_t(8 * h + 4 * step));
        const __m512i scale =
            _mm512_permutexvar_epi16(_mm512_add_epi16(group_of_lane, first_group), sc16_512);
        isum = _mm512_dpwssd_epi32(isum, p16, scale);
      }
    }
    sum += y.d * F16(x.d) * float(_mm512_reduce_add_epi32(isum) - 32 * offset_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
