// F32: plain IEEE binary32 values; the identity "format" (formats.md §3.1: F32 weights take F32
// activations without conversion).

#include <cstring>

#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

void DequantizeF32Ref(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, size_t(n) * sizeof(float));
}

void QuantizeF32Ref(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, size_t(n) * sizeof(float));
}

// Σ w_i·a_i, each product rounded to f32 and accumulated in order.
float DotF32F32Ref(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

}  // namespace foundry::engine::kernels
