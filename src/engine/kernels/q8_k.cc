// Q8_K: 256 elements with an f32 scale, 256 signed bytes and 16 group sums (layout in blocks.h).
// Only an activation format (for the K-quants and IQ4_XS).

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

void DequantizeQ8_KRef(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_K*>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    for (int e = 0; e < kSuperBlock; ++e)
      dst[b * kSuperBlock + e] = blocks[b].d * float(blocks[b].qs[e]);
  }
}

// formats.md §3.2: xm = the signed value of largest |x| (first occurrence); iscale = −127/xm;
// q = min(127, round_half_even(iscale·x)); d = 1/iscale, so d < 0 when xm > 0 and xm itself maps
// to −127. An all-zero block gets d = 0, q = 0 (and bsums = 0).
void QuantizeQ8_KRef(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(dst);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* x = src + b * kSuperBlock;
    BlockQ8_K& out = blocks[b];
    float amax = 0.0f;
    float xm = 0.0f;
    for (int e = 0; e < kSuperBlock; ++e) {
      if (std::fabs(x[e]) > amax) {
        amax = std::fabs(x[e]);
        xm = x[e];
      }
    }
    if (amax == 0.0f) {
      std::memset(&out, 0, sizeof(out));
      continue;
    }
    const float iscale = -127.0f / xm;
    for (int e = 0; e < kSuperBlock; ++e) {
      out.qs[e] = int8_t(std::min(127.0f, RoundHalfEven(iscale * x[e])));
    }
    for (int k = 0; k < kSuperBlock / 16; ++k) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += out.qs[16 * k + i];
      out.bsums[k] = int16_t(sum);
    }
    out.d = 1.0f / iscale;
  }
}

}  // namespace foundry::engine::kernels
