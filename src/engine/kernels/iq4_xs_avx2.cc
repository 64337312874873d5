// IQ4_XS × Q8_K dot product, AVX2.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Sub-block ib's 16 bytes hold its 32 indices in the Q4_0 order, so Nibbles32 + a level shuffle
// (as IQ4_NL) gives the signed levels; the signed scale ls − 32 multiplies in the i16 → i32 madd.
// Ranges: maddubs 2·127·127 < 2^15; madd 2·32258·32 per lane.
float DotIQ4_XSQ8_KAvx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockIQ4_XS*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  const __m256i levels = _mm256_broadcastsi128_si256(Load128(kIq4nlValues));
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockIQ4_XS& x = wb[b];
    const BlockQ8_K& y = ab[b];
    __m256i isum = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) {
      const __m256i qw = _mm256_shuffle_epi8(levels, Nibbles32(x.qs + 16 * ib));
      const __m256i qa = Load256(y.qs + 32 * ib);
      const __m256i p16 = _mm256_maddubs_epi16(_mm256_abs_epi8(qw), _mm256_sign_epi8(qa, qw));
      const __m256i scale = _mm256_set1_epi16(int16_t(Iq4XsScale(x, ib)));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, scale));
    }
    sum += F16(x.d) * y.d * float(HsumI32(isum));
  }
  return sum;
}

}  // namespace foundry::engine::kernels
