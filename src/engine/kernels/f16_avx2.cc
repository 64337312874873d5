// F16 activations (from_float) and F16 × F16 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// _mm256_cvtps_ph with _MM_FROUND_TO_NEAREST_INT is fp16() of formats.md §3.2, bit for bit with
// F32ToF16 (overflow to inf, subnormals, NaN kept quiet).
void QuantizeF16Avx2(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) h[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

// f16·f16 products are exact in f32, so an FMA rounds exactly like a multiply then add; only the
// accumulation order (four 8-lane accumulators) differs from DotF16F16Ref.
float DotF16F16Avx2(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      const __m256 xf = _mm256_cvtph_ps(Load128(x + i + 8 * k));
      const __m256 yf = _mm256_cvtph_ps(Load128(y + i + 8 * k));
      acc[k] = _mm256_fmadd_ps(xf, yf, acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    acc[0] =
        _mm256_fmadd_ps(_mm256_cvtph_ps(Load128(x + i)), _mm256_cvtph_ps(Load128(y + i)), acc[0]);
  }
  float sum = HsumF32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += F16(x[i]) * F16(y[i]);
  return sum;
}

}  // namespace foundry::engine::kernels
