// Q5_K × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// As Q4_K, with bit k of qh[t] added as bit 4 of sub-block k's codes (q ∈ [0, 31]); the bit is
// isolated before it is shifted up, so no bit crosses into the neighbouring byte.
// Ranges: maddubs 2·31·127 < 2^15; madd 2·7874·63 per lane.
float DotQ5_KQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i mask4 = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ5_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    uint8_t sc[8], m[8];
    UnpackQ4KScalesSwar(x.scales, sc, m);
    int32_t min_sum = 0;
    for (int k = 0; k < 8; ++k) min_sum += m[k] * (y.bsums[2 * k] + y.bsums[2 * k + 1]);
    const __m256i qh = Load256(x.qh);
    __m256i isum = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const __m256i q4 = Load256(x.qs + 32 * g);
      const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(ShiftRight16(qh, 2 * g), one), 4);
      const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(ShiftRight16(qh, 2 * g + 1), one), 4);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q4, mask4), h_lo);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4, 4), mask4), h_hi);
      const __m256i p_lo = MulU8I8(lo, Load256(y.qs + 64 * g));
      const __m256i p_hi = MulU8I8(hi, Load256(y.qs + 64 * g + 32));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(sc[2 * g])));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(sc[2 * g + 1])));
    }
    sum += y.d * F16(x.d) * float(HsumI32(isum)) - y.d * F16(x.dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
