// IQ4_NL: 32 elements, one f16 scale and 4-bit indices into the non-linear kIq4nlValues (layout
// in blocks.h). Takes Q8_0 activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeIQ4_NLRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const float d = F16ToF32(blocks[b].d);
    float* y = dst + b * kSmallBlock;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * float(kIq4nlValues[blocks[b].qs[j] & 0x0F]);
      y[j + 16] = d * float(kIq4nlValues[blocks[b].qs[j] >> 4]);
    }
  }
}

// Per block (d_w·d_a)·Σ K[n]·q_a, inner sum in int32 (formats.md §3.3).
float DotIQ4_NLQ8_0Ref(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockIQ4_NL*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      isum += kIq4nlValues[wb[b].qs[j] & 0x0F] * ab[b].qs[j];
      isum += kIq4nlValues[wb[b].qs[j] >> 4] * ab[b].qs[j + 16];
    }
    sum += F16ToF32(wb[b].d) * F16ToF32(ab[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
