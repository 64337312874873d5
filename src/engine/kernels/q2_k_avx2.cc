// Q2_K × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Per block the integer sums of DotQ2_KQ8_KRef, exactly, then the same f32 combination.
// Chunk (h, j) = elements 128h + 32j + t: bit pair j of the 32 bytes qs[32h..]; its bytes 0..15
// are group 8h + 2j and bytes 16..31 group 8h + 2j + 1, matching the halves of SplitScale16.
// Ranges: maddubs 2·3·127 < 2^15; madd 2·762·15 per lane.
float DotQ2_KQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ2_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i mask2 = _mm256_set1_epi8(3);
  const __m128i mask4 = _mm_set1_epi8(0x0F);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ2_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    // Σ_k hi(s_k)·bsums[k]
    const __m128i s8 = Load128(x.scales);
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s8, 4), mask4));
    const int32_t min_sum = HsumI32(_mm256_madd_epi16(mins, Load256(y.bsums)));
    // Σ_k lo(s_k)·Σ_{i∈k} q_w·q_a
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q2 = Load256(x.qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const __m256i qw = _mm256_and_si256(ShiftRight16(q2, 2 * j), mask2);
        const __m256i p16 = MulU8I8(qw, Load256(y.qs + 128 * h + 32 * j));
        const int k = 8 * h + 2 * j;
        const __m256i scale = SplitScale16(x.scales[k] & 0x0F, x.scales[k + 1] & 0x0F);
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, scale));
      }
    }
    sum += y.d * F16(x.d) * float(HsumI32(isum)) - y.d * F16(x.dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
