// Q5_0 × Q8_0 dot product, AVX2 + FMA + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// q − 16 without arithmetic: where the 5th bit is set the code is the nibble itself; where it is
// clear it is nibble − 16, i.e. the nibble with the top four bits set (0xF0 | n as int8).
float DotQ5_0Q8_0Avx2(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  const __m256i high = _mm256_set1_epi8(int8_t(0xF0));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const __m256i bits = SpreadBits32(LoadQh(wb[b].qh));
    const __m256i qw = _mm256_or_si256(Nibbles32(wb[b].qs), _mm256_andnot_si256(bits, high));
    const __m256i sum = DotI8(qw, Load256(ab[b].qs));
    const __m256 d = _mm256_set1_ps(F16(wb[b].d) * F16(ab[b].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sum), acc);
  }
  return HsumF32(acc);
}

}  // namespace foundry::engine::kernels
