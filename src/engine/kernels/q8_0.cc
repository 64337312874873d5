// Q8_0: 32 elements, one f16 scale and 32 signed bytes (layout in blocks.h). Both a weight type
// and the activation format of Q4_0, Q5_0, Q8_0 and IQ4_NL weights.

#include <algorithm>
#include <cmath>

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeQ8_0Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    for (int e = 0; e < kSmallBlock; ++e) dst[b * kSmallBlock + e] = d * float(blocks[b].qs[e]);
  }
}

// formats.md §3.2, the rule of the SIMD build (not ggml's portable quantize_row_q8_0_ref):
// amax = max|x|, d = amax/127, stored fp16(d); id = 127/amax (0 for an all-zero block);
// q = round_half_even(x·id) with the product in f32.
void QuantizeQ8_0Ref(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float* x = src + b * kSmallBlock;
    float amax = 0.0f;
    for (int e = 0; e < kSmallBlock; ++e) amax = std::max(amax, std::fabs(x[e]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    blocks[b].d = F32ToF16(d);
    for (int e = 0; e < kSmallBlock; ++e) blocks[b].qs[e] = int8_t(RoundHalfEven(x[e] * id));
  }
}

// Per block (d_w·d_a)·Σ q_w·q_a with the inner sum in int32 (formats.md §3.3).
float DotQ8_0Q8_0Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    int32_t isum = 0;
    for (int e = 0; e < kSmallBlock; ++e) isum += wb[b].qs[e] * ab[b].qs[e];
    sum += F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
