// Q5_0: 32 elements, one f16 scale and 5-bit codes offset by 16 (layout in blocks.h). Takes Q8_0
// activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeQ5_0Ref(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_0*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    const uint32_t qh = LoadQh(blocks[b].qh);
    for (int e = 0; e < kSmallBlock; ++e) {
      dst[b * kSmallBlock + e] = d * float(Q5Code(blocks[b].qs, qh, e) - 16);
    }
  }
}

// Per block (d_w·d_a)·Σ (q_w − 16)·q_a, inner sum in int32 (formats.md §3.3).
float DotQ5_0Q8_0Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const uint32_t qh = LoadQh(wb[b].qh);
    int32_t isum = 0;
    for (int e = 0; e < kSmallBlock; ++e) isum += (Q5Code(wb[b].qs, qh, e) - 16) * ab[b].qs[e];
    sum += F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
