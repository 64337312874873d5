// IQ4_NL × Q8_0 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// The 16 levels fit one 128-bit register, so a byte shuffle maps the nibbles to signed levels
// (|K| ≤ 127); then as Q4_0.
float DotIQ4_NLQ8_0Avx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockIQ4_NL*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  const __m256i levels = _mm256_broadcastsi128_si256(Load128(kIq4nlValues));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const __m256i qw = _mm256_shuffle_epi8(levels, Nibbles32(wb[b].qs));
    const __m256i sum = DotI8(qw, Load256(ab[b].qs));
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
  }
  return HsumF32(acc);
}

}  // namespace foundry::engine::kernels
