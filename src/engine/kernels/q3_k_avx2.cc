// Q3_K × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// The code q ∈ [−4, 3] is handled as the unsigned q + 4 = low2 | hbit << 2 ∈ [0, 7] (maddubs
// needs one unsigned operand); the offset comes back once per block through the bsums:
//   Σ_k sc_k·Σ_{i∈k} q·a = Σ_k sc_k·Σ_{i∈k} (q + 4)·a − 4·Σ_k sc_k·bsums[k].
// Chunks and groups as Q2_K; the hmask bit of chunk (h, j) is bit 4h + j.
float DotQ3_KQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ3_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i mask2 = _mm256_set1_epi8(3);
  const __m256i one = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ3_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    alignas(16) int8_t sc[16];
    UnpackQ3KScalesSwar(x.scales, sc);
    const __m256i sc16 = _mm256_cvtepi8_epi16(Load128(sc));
    const int32_t offset_sum = HsumI32(_mm256_madd_epi16(sc16, Load256(y.bsums)));
    const __m256i hmask = Load256(x.hmask);
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q2 = Load256(x.qs + 32 * h);
      for (int j = 0; j < 4; ++j) {
        const __m256i low = _mm256_and_si256(ShiftRight16(q2, 2 * j), mask2);
        const __m256i hbit = _mm256_and_si256(ShiftRight16(hmask, 4 * h + j), one);
        const __m256i qw = _mm256_or_si256(low, _mm256_slli_epi16(hbit, 2));
        const __m256i p16 = MulU8I8(qw, Load256(y.qs + 128 * h + 32 * j));
        const int k = 8 * h + 2 * j;
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, SplitScale16(sc[k], sc[k + 1])));
      }
    }
    sum += y.d * F16(x.d) * float(HsumI32(isum) - 4 * offset_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
