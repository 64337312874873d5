// Q5_1: 32 elements, f16 scale and min, 5-bit codes (layout in blocks.h). Takes Q8_1 activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeQ5_1Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_1*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    const float m = F16ToF32(blocks[b].m);
    const uint32_t qh = LoadQh(blocks[b].qh);
    for (int e = 0; e < kSmallBlock; ++e) {
      dst[b * kSmallBlock + e] = d * float(Q5Code(blocks[b].qs, qh, e)) + m;
    }
  }
}

// Per block (d_w·d_a)·Σ q_w·q_a + m_w·s_a with the f16-rounded s (as Q4_1, formats.md §3.3).
float DotQ5_1Q8_1Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_1*>(w);
  const auto* ab = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const uint32_t qh = LoadQh(wb[b].qh);
    int32_t isum = 0;
    for (int e = 0; e < kSmallBlock; ++e) isum += Q5Code(wb[b].qs, qh, e) * ab[b].qs[e];
    sum +=
        F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum) + F16ToF32(wb[b].m) * F16ToF32(ab[b].s);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
