// Q4_0: 32 elements, one f16 scale and 4-bit codes offset by 8 (layout in blocks.h). Takes Q8_0
// activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeQ4_0Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    float* y = dst + b * kSmallBlock;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * float((blocks[b].qs[j] & 0x0F) - 8);
      y[j + 16] = d * float((blocks[b].qs[j] >> 4) - 8);
    }
  }
}

// Per block (d_w·d_a)·Σ (q_w − 8)·q_a, inner sum in int32 (formats.md §3.3).
float DotQ4_0Q8_0Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += ((wb[b].qs[j] & 0x0F) - 8) * ab[b].qs[j];
      isum += ((wb[b].qs[j] >> 4) - 8) * ab[b].qs[j + 16];
    }
    sum += F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
