// Q4_0 × Q8_0 dot product, AVX-512 + VNNI.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {
namespace {

// 16 packed bytes → 32 nibbles in element order, in one 256-bit half.
inline __m256i Nibbles(const uint8_t* qs) {
  const __m128i x = Load128(qs);
  return _mm256_set_m128i(_mm_srli_epi16(x, 4), x);
}

}  // namespace

// Two blocks per 512-bit step. The nibbles n ∈ [0, 15] stay unsigned for dpbusd and the −8
// offset is a second dpbusd of the constant 8 with the activations:
//   Σ (n − 8)·a = Σ n·a − Σ 8·a,
// both exact in i32. Lanes 0..7 belong to the first block, 8..15 to the second.
float DotQ4_0Q8_0Avx512(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const auto* ab = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kSmallBlock;
  const __m512i mask4 = _mm512_set1_epi8(0x0F);
  const __m512i eight = _mm512_set1_epi8(8);
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const __m512i qw = _mm512_and_si512(
        _mm512_inserti64x4(_mm512_castsi256_si512(Nibbles(wb[b].qs)), Nibbles(wb[b + 1].qs), 1),
        mask4);
    const __m512i qa =
        _mm512_inserti64x4(_mm512_castsi256_si512(Load256(ab[b].qs)), Load256(ab[b + 1].qs), 1);
    const __m512i sum =
        _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, qw, qa), _mm512_dpbusd_epi32(zero, eight, qa));
    const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(F16(wb[b].d) * F16(ab[b].d)),
                                        _mm256_set1_ps(F16(wb[b + 1].d) * F16(ab[b + 1].d)), 1);
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (b < nb) {
    const __m256i qw = _mm256_and_si256(Nibbles(wb[b].qs), _mm256_set1_epi8(0x0F));
    const __m256i qa = Load256(ab[b].qs);
    const __m256i zero256 = _mm256_setzero_si256();
    const __m256i isum = _mm256_sub_epi32(_mm256_dpbusd_epi32(zero256, qw, qa),
                                          _mm256_dpbusd_epi32(zero256, _mm256_set1_epi8(8), qa));
    sum += F16(wb[b].d) * F16(ab[b].d) * float(HsumI32(isum));
  }
  return sum;
}

}  // namespace foundry::engine::kernels
