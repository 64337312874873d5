// Q6_K × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// The code q ∈ [−32, 31] is handled as the unsigned q + 32 = low | high << 4 ∈ [0, 63]; the
// offset comes back once per block through the bsums:
//   Σ_k sc_k·Σ_{i∈k} q·a = Σ_k sc_k·Σ_{i∈k} (q + 32)·a − 32·Σ_k sc_k·bsums[k].
// Chunk (h, j) = elements 128h + 32j + t: low bits from ql[64h + 32(j&1) + t] (low nibble for
// j < 2), high bits (qh[32h + t] >> 2j) & 3; groups as Q2_K.
// Ranges: maddubs 2·63·127 < 2^15; madd 2·16002·128 per lane.
float DotQ6_KQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i mask4 = _mm256_set1_epi8(0x0F);
  const __m256i mask2 = _mm256_set1_epi8(3);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ6_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    const __m256i sc16 = _mm256_cvtepi8_epi16(Load128(x.scales));
    const int32_t offset_sum = HsumI32(_mm256_madd_epi16(sc16, Load256(y.bsums)));
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql[2] = {Load256(x.ql + 64 * h), Load256(x.ql + 64 * h + 32)};
      const __m256i qh = Load256(x.qh + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const __m256i low = _mm256_and_si256(ShiftRight16(ql[j & 1], j < 2 ? 0 : 4), mask4);
        const __m256i high = _mm256_and_si256(ShiftRight16(qh, 2 * j), mask2);
        const __m256i qw = _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
        const __m256i p16 = MulU8I8(qw, Load256(y.qs + 128 * h + 32 * j));
        const int k = 8 * h + 2 * j;
        isum = _mm256_add_epi32(isum,
                                _mm256_madd_epi16(p16, SplitScale16(x.scales[k], x.scales[k + 1])));
      }
    }
    sum += y.d * F16(x.d) * float(HsumI32(isum) - 32 * offset_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
