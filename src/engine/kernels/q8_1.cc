// Q8_1: Q8_0 plus s = fp16(d·Σq) (layout in blocks.h). Only an activation format (for Q4_1 and
// Q5_1 weights): there is no dot product with Q8_1 weights.

#include <algorithm>
#include <cmath>

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

// x(e) = d·qs[e]; s is a cache for the dot product and plays no part here.
void DequantizeQ8_1Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_1*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    for (int e = 0; e < kSmallBlock; ++e) dst[b * kSmallBlock + e] = d * float(blocks[b].qs[e]);
  }
}

// formats.md §3.2: d and q exactly as Q8_0, and s = fp16(d·Σq) with the *unrounded* f32 d.
void QuantizeQ8_1Ref(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float* x = src + b * kSmallBlock;
    float amax = 0.0f;
    for (int e = 0; e < kSmallBlock; ++e) amax = std::max(amax, std::fabs(x[e]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t qsum = 0;
    for (int e = 0; e < kSmallBlock; ++e) {
      blocks[b].qs[e] = int8_t(RoundHalfEven(x[e] * id));
      qsum += blocks[b].qs[e];
    }
    blocks[b].d = F32ToF16(d);
    blocks[b].s = F32ToF16(d * float(qsum));
  }
}

}  // namespace foundry::engine::kernels
