// F16: IEEE binary16 (1 sign, 5 exponent bits biased by 15, 10 mantissa bits; subnormals, ±inf,
// NaN), 2 bytes per element. Weights of this type take F16 activations: fp16(x), round to nearest
// even (formats.md §3.2).

#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {

void DequantizeF16Ref(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = F16ToF32(h[i]);
}

void QuantizeF16Ref(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = F32ToF16(src[i]);
}

// The product of two f16 values is exact in f32 (11 + 11 significant bits ≤ 24), so only the
// f32 accumulation rounds (formats.md §3.3).
float DotF16F16Ref(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += F16ToF32(x[i]) * F16ToF32(y[i]);
  return sum;
}

}  // namespace foundry::engine::kernels
