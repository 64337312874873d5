// Q4_K: 256 elements, 4-bit codes with a 6-bit scale and 6-bit min per 32 elements (layout in
// blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// 64-element group g = e>>6 shares 32 bytes: low nibbles hold its first 32 elements.
int Q4KCode(const BlockQ4_K& b, int e) {
  const int g = e >> 6, r = e & 63;
  const uint8_t c = b.qs[32 * g + (r & 31)];
  return r < 32 ? (c & 0x0F) : (c >> 4);
}

}  // namespace

void DequantizeQ4_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ4_K& x = blocks[b];
    const float d = F16ToF32(x.d);
    const float dmin = F16ToF32(x.dmin);
    uint8_t sc[8], m[8];
    UnpackQ4KScales(x.scales, sc, m);
    for (int e = 0; e < kSuperBlock; ++e) {
      const int k = e >> 5;
      dst[b * kSuperBlock + e] = d * float(sc[k]) * float(Q4KCode(x, e)) - dmin * float(m[k]);
    }
  }
}

// Per block d_a·d_w·Σ_k sc_k·Σ_{i∈k} q_w·q_a − d_a·dmin_w·Σ_k m_k·(bsums[2k] + bsums[2k+1]) over
// 8 sub-blocks of 32, both sums in int32 (formats.md §3.3).
float DotQ4_KQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    uint8_t sc[8], m[8];
    UnpackQ4KScales(wb[b].scales, sc, m);
    int32_t isum = 0;
    int32_t min_sum = 0;
    for (int k = 0; k < 8; ++k) {
      int32_t sub = 0;
      for (int e = 32 * k; e < 32 * k + 32; ++e) sub += Q4KCode(wb[b], e) * ab[b].qs[e];
      isum += sc[k] * sub;
      min_sum += m[k] * (ab[b].bsums[2 * k] + ab[b].bsums[2 * k + 1]);
    }
    sum +=
        ab[b].d * F16ToF32(wb[b].d) * float(isum) - ab[b].d * F16ToF32(wb[b].dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
