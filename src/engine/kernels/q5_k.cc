// Q5_K: Q4_K with a fifth code bit per element in qh (layout in blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// The Q4_K nibble of e plus bit (e>>5) of qh[e&31] as bit 4: q ∈ [0, 31].
int Q5KCode(const BlockQ5_K& b, int e) {
  const int g = e >> 6, r = e & 63;
  const uint8_t c = b.qs[32 * g + (r & 31)];
  const int nibble = r < 32 ? (c & 0x0F) : (c >> 4);
  return nibble + 16 * ((b.qh[e & 31] >> (e >> 5)) & 1);
}

}  // namespace

void DequantizeQ5_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ5_K& x = blocks[b];
    const float d = F16ToF32(x.d);
    const float dmin = F16ToF32(x.dmin);
    uint8_t sc[8], m[8];
    UnpackQ4KScales(x.scales, sc, m);
    for (int e = 0; e < kSuperBlock; ++e) {
      const int k = e >> 5;
      dst[b * kSuperBlock + e] = d * float(sc[k]) * float(Q5KCode(x, e)) - dmin * float(m[k]);
    }
  }
}

// As Q4_K (formats.md §3.3).
float DotQ5_KQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ5_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    uint8_t sc[8], m[8];
    UnpackQ4KScales(wb[b].scales, sc, m);
    int32_t isum = 0;
    int32_t min_sum = 0;
    for (int k = 0; k < 8; ++k) {
      int32_t sub = 0;
      for (int e = 32 * k; e < 32 * k + 32; ++e) sub += Q5KCode(wb[b], e) * ab[b].qs[e];
      isum += sc[k] * sub;
      min_sum += m[k] * (ab[b].bsums[2 * k] + ab[b].bsums[2 * k + 1]);
    }
    sum +=
        ab[b].d * F16ToF32(wb[b].d) * float(isum) - ab[b].d * F16ToF32(wb[b].dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
