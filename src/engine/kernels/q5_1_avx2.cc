// Q5_1 × Q8_1 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Unsigned 5-bit codes (nibble | 0x10 where the qh bit is set) times q_a, as Q4_1.
float DotQ5_1Q8_1Avx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_1*>(w);
  const auto* ab = static_cast<const BlockQ8_1*>(a);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  __m256 acc = _mm256_setzero_ps();
  float min_sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const __m256i bits = SpreadBits32(LoadQh(wb[b].qh));
    const __m256i qw = _mm256_or_si256(Nibbles32(wb[b].qs), _mm256_and_si256(bits, bit4));
    const __m256i sum = DotU8I8(qw, Load256(ab[b].qs));
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
    min_sum += F16(wb[b].m) * F16(ab[b].s);
  }
  return HsumF32(acc) + min_sum;
}

}  // namespace foundry::engine::kernels
