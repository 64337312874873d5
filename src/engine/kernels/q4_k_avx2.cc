// Q4_K × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {
namespace {

// Σ_k m_k·(bsums[2k] + bsums[2k+1]): each min repeated for its two 16-element bsums.
inline int32_t MinSum(const uint8_t* m, const int16_t* bsums) {
  const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(m)));
  const __m256i pairs =
      _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
  return HsumI32(_mm256_madd_epi16(pairs, Load256(bsums)));
}

}  // namespace

// Per block the integer sums of DotQ4_KQ8_KRef, exactly, then the same f32 combination. Group g
// of 64 elements: low nibbles of qs[32g..] are sub-block 2g, high nibbles sub-block 2g + 1.
// Ranges: maddubs 2·15·127 < 2^15; madd 2·3810·63 per lane.
float DotQ4_KQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i mask4 = _mm256_set1_epi8(0x0F);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ4_K& x = wb[b];
    const BlockQ8_K& y = ab[b];
    alignas(8) uint8_t sc[8], m[8];
    UnpackQ4KScalesSwar(x.scales, sc, m);
    const int32_t min_sum = MinSum(m, y.bsums);
    __m256i isum = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const __m256i q4 = Load256(x.qs + 32 * g);
      const __m256i lo = _mm256_and_si256(q4, mask4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), mask4);
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
