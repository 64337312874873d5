// Q8_K activations (from_float), AVX2.

#include <cstring>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// Bit for bit QuantizeQ8_KRef (formats.md §3.2): amax is found with a vector max, then xm as the
// first element whose |x| equals it (the reference's strict `>` keeps the first occurrence);
// q = min(127, round_half_even(iscale·x)) with the same f32 product.
void QuantizeQ8_KAvx2(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(dst);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* x = src + b * kSuperBlock;
    BlockQ8_K& out = blocks[b];
    __m256 vmax = _mm256_setzero_ps();
    for (int i = 0; i < kSuperBlock; i += 8) {
      vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
    }
    const float amax = HmaxF32(vmax);
    if (amax == 0.0f) {
      std::memset(&out, 0, sizeof(out));
      continue;
    }
    float xm = 0.0f;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int i = 0; i < kSuperBlock; i += 8) {
      const __m256 abs = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i));
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(abs, vamax, _CMP_EQ_OQ));
      if (mask != 0) {
        xm = x[i + __builtin_ctz(unsigned(mask))];
        break;
      }
    }
    const float iscale = -127.0f / xm;
    const __m256 mul = _mm256_set1_ps(iscale);
    const __m256 limit = _mm256_set1_ps(127.0f);
    for (int i = 0; i < kSuperBlock; i += 32) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), mul);
        const __m256 r = _mm256_round_ps(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[k] = _mm256_cvtps_epi32(_mm256_min_ps(r, limit));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.qs + i),
                          PackI32ToI8(q[0], q[1], q[2], q[3]));
      out.bsums[i / 16] = int16_t(HsumI32(_mm256_add_epi32(q[0], q[1])));
      out.bsums[i / 16 + 1] = int16_t(HsumI32(_mm256_add_epi32(q[2], q[3])));
    }
    out.d = 1.0f / iscale;
  }
}

}  // namespace foundry::engine::kernels
