// Q3_K: 256 elements, 3-bit signed codes with a 6-bit signed scale per 16 elements (layout in
// blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// Low two bits packed as Q2_K; the hmask bit set means "no −4 offset", so q ∈ [−4, 3].
int Q3Code(const BlockQ3_K& b, int e) {
  const int h = e >> 7, j = (e >> 5) & 3, t = e & 31;
  const int low = (b.qs[32 * h + t] >> (2 * j)) & 3;
  const int high = (b.hmask[e & 31] >> (e >> 5)) & 1;
  return low - (high ? 0 : 4);
}

}  // namespace

void DequantizeQ3_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ3_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ3_K& x = blocks[b];
    const float d = F16ToF32(x.d);
    int8_t sc[16];
    UnpackQ3KScales(x.scales, sc);
    for (int e = 0; e < kSuperBlock; ++e) {
      dst[b * kSuperBlock + e] = d * float(sc[e >> 4]) * float(Q3Code(x, e));
    }
  }
}

// Per block d_a·d_w·Σ_k sc_k·Σ_{i∈k} q_w·q_a over 16 groups of 16, in int32 (formats.md §3.3).
float DotQ3_KQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ3_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    int8_t sc[16];
    UnpackQ3KScales(wb[b].scales, sc);
    int32_t isum = 0;
    for (int k = 0; k < 16; ++k) {
      int32_t group = 0;
      for (int e = 16 * k; e < 16 * k + 16; ++e) group += Q3Code(wb[b], e) * ab[b].qs[e];
      isum += sc[k] * group;
    }
    sum += ab[b].d * F16ToF32(wb[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
