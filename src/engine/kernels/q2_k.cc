// Q2_K: 256 elements, 2-bit codes with a 4-bit scale and 4-bit min per 16 elements (layout in
// blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// h = e>>7 picks a 32-byte half of qs, j = (e>>5)&3 the bit pair, t = e&31 the byte.
int Q2Code(const BlockQ2_K& b, int e) {
  const int h = e >> 7, j = (e >> 5) & 3, t = e & 31;
  return (b.qs[32 * h + t] >> (2 * j)) & 3;
}

}  // namespace

void DequantizeQ2_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ2_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ2_K& x = blocks[b];
    const float d = F16ToF32(x.d);
    const float dmin = F16ToF32(x.dmin);
    for (int e = 0; e < kSuperBlock; ++e) {
      const uint8_t s = x.scales[e >> 4];
      dst[b * kSuperBlock + e] = d * float(s & 0x0F) * float(Q2Code(x, e)) - dmin * float(s >> 4);
    }
  }
}

// Per block d_a·d_w·Σ_k lo(s_k)·Σ_{i∈k} q_w·q_a − d_a·dmin_w·Σ_k hi(s_k)·bsums[k] over the 16
// groups of 16, both sums in int32 (formats.md §3.3).
float DotQ2_KQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ2_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    int32_t isum = 0;
    int32_t min_sum = 0;
    for (int k = 0; k < 16; ++k) {
      int32_t group = 0;
      for (int e = 16 * k; e < 16 * k + 16; ++e) group += Q2Code(wb[b], e) * ab[b].qs[e];
      isum += (wb[b].scales[k] & 0x0F) * group;
      min_sum += (wb[b].scales[k] >> 4) * ab[b].bsums[k];
    }
    sum +=
        ab[b].d * F16ToF32(wb[b].d) * float(isum) - ab[b].d * F16ToF32(wb[b].dmin) * float(min_sum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
