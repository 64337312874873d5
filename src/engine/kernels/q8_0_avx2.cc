// Q8_0 activations (from_float) and Q8_0 × Q8_0 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

void QuantizeQ8_0Avx2(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const Block32Quant q = QuantizeBlock32(src + b * kSmallBlock, blocks[b].qs);
    blocks[b].d = _cvtss_sh(q.d, _MM_FROUND_TO_NEAREST_INT);
  }
}

// Per block: exact int32 lane sums of q_w·q_a, scaled by d_w·d_a into 8 f32 lanes.
float DotQ8_0Q8_0Avx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const __m256i sum = DotI8(Load256(wb[b].qs), Load256(ab[b].qs));
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
  }
  return HsumF32(acc);
}

}  // namespace foundry::engine::kernels
