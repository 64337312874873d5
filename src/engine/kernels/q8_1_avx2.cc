// Q8_1 activations (from_float), AVX2 + F16C.

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"

namespace foundry::engine::kernels {

// As Q8_0, plus s = fp16(d·Σq) with the unrounded d (formats.md §3.2).
void QuantizeQ8_1Avx2(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kSmallBlock; ++b) {
    const Block32Quant q = QuantizeBlock32(src + b * kSmallBlock, blocks[b].qs);
    blocks[b].d = _cvtss_sh(q.d, _MM_FROUND_TO_NEAREST_INT);
    blocks[b].s = _cvtss_sh(q.d * float(q.sum), _MM_FROUND_TO_NEAREST_INT);
  }
}

}  // namespace foundry::engine::kernels
