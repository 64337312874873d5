// Q8_0 × Q8_0 dot product, AVX-512 VL + VNNI.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {
namespace {

// Σ w·a of one block into 8 i32 lanes: VNNI's dpbusd multiplies unsigned by signed bytes and sums
// four products per lane exactly (no 16-bit saturation step as with maddubs + madd); |w| is the
// unsigned operand and w's sign moves onto a (|w| = 128 included; a ≠ −128).
inline __m256i BlockDot(const BlockQ8_0& w, const BlockQ8_0& a) {
  const __m256i qw = Load256(w.qs);
  const __m256i qa = _mm256_sign_epi8(Load256(a.qs), qw);
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(qw), qa);
}

}  // namespace

// One 32-byte block per 256-bit VNNI step, two blocks per iteration into two accumulators. (A
// two-blocks-per-zmm form needs cross-lane inserts for the 34-byte-strided blocks and measured
// slower on an AVX-512 Zen 4 host; this form is faster than the AVX2 kernel there.)
float DotQ8_0Q8_0Avx512(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kSmallBlock;
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    for (int k = 0; k < 2; ++k) {
      const __m256 d = _mm256_set1_ps(F16(wb[b + k].d) * F16(ab[b + k].d));
      acc[k] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(BlockDot(wb[b + k], ab[b + k])), acc[k]);
    }
  }
  if (b < nb) {
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc[0] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(BlockDot(wb[b], ab[b])), acc[0]);
  }
  return HsumF32(_mm256_add_ps(acc[0], acc[1]));
}

}  // namespace foundry::engine::kernels
