// BF16 × BF16 dot product, AVX2 + FMA.

#include <cstring>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {
namespace {

// 8 bf16 values → f32: zero-extend to 32 bits and shift into the upper half.
__m256 LoadBf16x8(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(Load128(p)), 16));
}

float Bf16(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace

// bf16 products are exact in f32; four 8-lane accumulators (order differs from the reference).
float DotBF16BF16Avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(LoadBf16x8(x + i + 8 * k), LoadBf16x8(y + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(LoadBf16x8(x + i), LoadBf16x8(y + i), acc[0]);
  float sum = HsumF32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += Bf16(x[i]) * Bf16(y[i]);
  return sum;
}

}  // namespace foundry::engine::kernels
