#include "foundry/engine/attention.h"

#include <algorithm>
#include <vector>

#define FOUNDRY_ATTENTION_LANES 4
#include "engine/attention_tiled.h"

namespace foundry::engine::attention {

void AttentionAvx2(const Task& task);    // attention_avx2.cc
void AttentionAvx512(const Task& task);  // attention_avx512.cc

size_t ScratchFloats(int n_rows, int head_dim) {
  return size_t(n_rows) * (2 + size_t(head_dim)) + size_t(head_dim) * (kMaxTile + 1);
}

void AttentionRef(const Task& t) {
  std::vector<double> w;
  for (int r = 0; r < t.n_rows; ++r) {
    const int32_t lo = t.lo[r], hi = t.hi[r];
    const float* q = t.q[r];
    // Scores.
    std::vector<float> s(size_t(hi - lo + 1));
    float mx = -std::numeric_limits<float>::infinity();
    for (int32_t j = lo; j <= hi; ++j) {
      const float* k = Key(t, j);
      float dot = 0.0f;
      for (int d = 0; d < t.head_dim; ++d) dot += q[d] * k[d];
      s[size_t(j - lo)] = dot * t.scale;
      mx = std::max(mx, s[size_t(j - lo)]);
    }
    // Softmax, summed in double as the reference backend does.
    double sum = 0.0;
    for (float& x : s) {
      x = std::exp(x - mx);
      sum += x;
    }
    const float inv = float(1.0 / sum);
    // Weighted values.
    float* out = t.out[r];
    std::fill(out, out + t.head_dim, 0.0f);
    for (int32_t j = lo; j <= hi; ++j) {
      const float p = s[size_t(j - lo)] * inv;
      const float* v = Value(t, j);
      for (int d = 0; d < t.head_dim; ++d) out[d] += p * v[d];
    }
  }
}

Fn Select(kernels::Isa isa) {
  if (isa >= kernels::Isa::kAvx512) return AttentionAvx512;
  if (isa >= kernels::Isa::kAvx2) return AttentionAvx2;
  return AttentionTiled;
}

}  // namespace foundry::engine::attention
