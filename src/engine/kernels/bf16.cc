// BF16: the upper 16 bits of an f32, 2 bytes per element. Weights of this type take BF16
// activations: round to nearest even, NaN kept quiet (formats.md §3.2).

#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeBF16Ref(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToF32(h[i]);
}

void QuantizeBF16Ref(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = F32ToBf16(src[i]);
}

// Products of two bf16 values are exact in f32 (8 + 8 significant bits); accumulation in f32.
float DotBF16BF16Ref(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += Bf16ToF32(x[i]) * Bf16ToF32(y[i]);
  return sum;
}

}  // namespace foundry::engine::kernels
