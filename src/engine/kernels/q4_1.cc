// Q4_1: 32 elements, f16 scale and min, 4-bit codes (layout in blocks.h). Takes Q8_1 activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeQ4_1Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_1*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    const float m = F16ToF32(blocks[b].m);
    float* y = dst + b * kSmallBlock;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * float(blocks[b].qs[j] & 0x0F) + m;
      y[j + 16] = d * float(blocks[b].qs[j] >> 4) + m;
    }
  }
}

// Per block (d_w·d_a)·Σ q_w·q_a + m_w·s_a (formats.md §3.3). The min term uses the activation's
// f16-rounded s, not d_a·Σq_a: that is what the reference computes (~1e-3 relative difference).
float DotQ4_1Q8_1Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_1*>(w);
  const auto* ab = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += (wb[b].qs[j] & 0x0F) * ab[b].qs[j];
      isum += (wb[b].qs[j] >> 4) * ab[b].qs[j + 16];
    }
    sum +=
        F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum) + F16ToF32(wb[b].m) * F16ToF32(ab[b].s);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
