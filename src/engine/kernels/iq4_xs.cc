// IQ4_XS: 256 elements, 4-bit indices into kIq4nlValues with a 6-bit scale per 32 elements
// (layout in blocks.h). Takes Q8_K activations.

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

// Sub-block ib = e>>5 owns 16 bytes: low nibbles hold its first 16 elements.
int Iq4XsIndex(const BlockIQ4_XS& b, int e) {
  const int ib = e >> 5, r = e & 31;
  const uint8_t c = b.qs[16 * ib + (r & 15)];
  return r < 16 ? (c & 0x0F) : (c >> 4);
}

}  // namespace

void DequantizeIQ4_XSRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const BlockIQ4_XS& x = blocks[b];
    const float d = F16ToF32(x.d);
    for (int e = 0; e < kSuperBlock; ++e) {
      const float scale = d * float(Iq4XsScale(x, e >> 5));
      dst[b * kSuperBlock + e] = scale * float(kIq4nlValues[Iq4XsIndex(x, e)]);
    }
  }
}

// Per block (d_w·d_a)·Σ_ib (ls_ib − 32)·Σ_{i∈ib} K[n_i]·q_a (formats.md §3.3). The block's whole
// integer sum is formed first (exact: |sum| ≤ 8·32·32·127·127 < 2^31), then one f32 product;
// applying d_w·d_a per sub-block as §3.3 writes it differs only by f32 rounding.
float DotIQ4_XSQ8_KRef(int64_t n, const void* w, const void* a) {
  const auto* wb = static_cast<const BlockIQ4_XS*>(w);
  const auto* ab = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    int32_t isum = 0;
    for (int ib = 0; ib < 8; ++ib) {
      int32_t sub = 0;
      for (int e = 32 * ib; e < 32 * ib + 32; ++e) {
        sub += kIq4nlValues[Iq4XsIndex(wb[b], e)] * ab[b].qs[e];
      }
      isum += Iq4XsScale(wb[b], ib) * sub;
    }
    sum += F16ToF32(wb[b].d) * ab[b].d * float(isum);
  }
  return sum;
}

}  // namespace foundry::engine::kernels
