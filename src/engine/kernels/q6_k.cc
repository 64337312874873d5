// Q6_K: 256 elements, 6-bit signed codes with a signed 8-bit scale per 16 elements (layout in
// blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// Low 4 bits from ql, high 2 bits from qh, offset by 32: q ∈ [−32, 31].
int Q6Code(const BlockQ6_K& b, int e) {
  const int h = e >> 7, j = (e >> 5) & 3, t = e & 31;
  const uint8_t c = b.ql[64 * h + 32 * (j & 1) + t];
  const int low = j < 2 ? (c & 0x0F) : (c >> 4);
  const int high = (b.qh[32 * h + t] >> (2 * j)) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace

void DequantizeQ6_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ6_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockQ6_K& x = blocks[b];
    const float d = F16ToF32(x.d);
    for (int e = 0; e < kSuperBlock; ++e) {
      dst[b * kSuperBlock + e] = d * float(x.scales[e >> 4]) * float(Q6Code(x, e));
    }
  }
}

// Per block d_a·d_w·Σ_k scales[k]·Σ_{i∈k} q_w·q_a over 16 groups of 16, in int32
// (formats.md §3.3).
float DotQ6_KQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    int32_t isum = 0;
    for (int k = 0; k < 16; ++k) {
      int32_t group = 0;
      for (int e = 16 * k; e < 16 * k + 16; ++e) group += Q6Code(wb[b], e) * ab[b].qs[e];
      isum += wb[b].scales[k] * group;
    }
    sum += ab[b].d * F16ToF32(wb[b].d) * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
