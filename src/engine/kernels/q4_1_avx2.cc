// Q4_1 × Q8_1 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Per block: unsigned nibbles (0..15) times q_a in exact int32 lanes, scaled by d_w·d_a; the min
// term m_w·s_a (f16-rounded s, formats.md §3.3) is summed separately in f32.
float DotQ4_1Q8_1Avx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_1*>(w);
  const auto* ab = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float min_sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const __m256i sum = DotU8I8(Nibbles32(wb[b].qs), Load256(ab[b].qs));
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
    min_sum += F16(wb[b].m) * F16(ab[b].s);
  }
  return HsumF32(acc) + min_sum;
}

}  // namespace foundry::engine::kernels
