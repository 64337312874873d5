// F16 × F16 dot product, AVX-512F/BW/VL.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {
namespace {

__m512 LoadF16x16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

}  // namespace

// f16·f16 products are exact in f32; four 16-lane accumulators and a masked tail.
float DotF16F16Avx512(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_fmadd_ps(LoadF16x16(x + i + 16 * k), LoadF16x16(y + i + 16 * k), acc[k]);
    }
  }
  for (; i + 16 <= n; i += 16)
    acc[0] = _mm512_fmadd_ps(LoadF16x16(x + i), LoadF16x16(y + i), acc[0]);
  if (i < n) {
    const __mmask16 mask = __mmask16((1u << (n - i)) - 1);
    const __m512 xf = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, x + i));
    const __m512 yf = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, y + i));
    acc[1] = _mm512_fmadd_ps(xf, yf, acc[1]);
  }
  return _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

}  // namespace foundry::engine::kernels
