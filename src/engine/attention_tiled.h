#pragma once
// The tiled online-softmax attention loop, written once in plain C++ and compiled per ISA by
// attention.cc (baseline), attention_avx2.cc and attention_avx512.cc: the fixed-width inner loops
// (kTile keys, broadcast q[d]) are what the compiler vectorises for each target. Everything here
// has internal linkage on purpose: each ISA's translation unit must keep its own copy (an inline
// function with external linkage could be merged across units built with different -m flags).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "foundry/engine/attention.h"

namespace foundry::engine::attention {
namespace {

constexpr int kTile = 16;  // keys per tile: one AVX-512 register of scores

// exp(x) for x <= 0 (scores minus the running max), branch-free so loops over it vectorise.
// Range reduction x = n·ln2 + r with |r| <= ln2/2, then a degree-6 polynomial for e^r
// (relative error ~2e-7) and 2^n built in the exponent bits. x < -87 gives 0.
inline float ExpNonPositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  // Round to nearest with the 1.5·2^23 trick (vectorises without SSE4.1's roundps).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return x <= -87.0f ? 0.0f : p * scale;
}

void AttentionTiled(const Task& t) {
  const int hd = t.head_dim, nr = t.n_rows;
  // Scratch: running max and sum per row, output accumulators, one transposed key tile, scores.
  float* m = t.scratch;                  // [nr]
  float* l = m + nr;                     // [nr]
  float* acc = l + nr;                   // [nr][hd]
  float* kt = acc + size_t(nr) * hd;     // [hd][kTile]
  float* s = kt + size_t(hd) * kTile;    // [kTile]
  int32_t lo = INT32_MAX, hi = -1;
  for (int r = 0; r < nr; ++r) {
    m[r] = -std::numeric_limits<float>::infinity();
    l[r] = 0.0f;
    lo = t.lo[r] < lo ? t.lo[r] : lo;
    hi = t.hi[r] > hi ? t.hi[r] : hi;
  }
  std::memset(acc, 0, sizeof(float) * size_t(nr) * size_t(hd));

  for (int32_t j0 = lo; j0 <= hi; j0 += kTile) {
    const int nk = hi + 1 - j0 < kTile ? hi + 1 - j0 : kTile;
    // Transpose the key tile: kt[d][kk] = K[j0 + kk][d] (zero beyond the last key).
    for (int kk = 0; kk < kTile; ++kk) {
      const float* key = kk < nk ? t.k + size_t(j0 + kk) * t.kv_stride : nullptr;
      for (int d = 0; d < hd; ++d) kt[d * kTile + kk] = key ? key[d] : 0.0f;
    }
    for (int r = 0; r < nr; ++r) {
      if (t.hi[r] < j0 || t.lo[r] >= j0 + nk) continue;  // no visible key in this tile
      // Scores of the tile: s[kk] = scale · Σ_d q[d]·k_kk[d].
      const float* q = t.q[r];
      for (int kk = 0; kk < kTile; ++kk) s[kk] = 0.0f;
      for (int d = 0; d < hd; ++d) {
        const float qd = q[d];
        const float* row = kt + d * kTile;
        for (int kk = 0; kk < kTile; ++kk) s[kk] += qd * row[kk];
      }
      float mx = -std::numeric_limits<float>::infinity();
      for (int kk = 0; kk < kTile; ++kk) {
        const int32_t j = j0 + kk;
        const bool visible = kk < nk && j >= t.lo[r] && j <= t.hi[r];
        s[kk] = visible ? s[kk] * t.scale : -std::numeric_limits<float>::infinity();
        mx = s[kk] > mx ? s[kk] : mx;
      }
      // Online softmax: rescale what was accumulated under the old max.
      const float m_new = mx > m[r] ? mx : m[r];
      const float c = m[r] == -std::numeric_limits<float>::infinity() ? 0.0f : ExpNonPositive(m[r] - m_new);
      float* o = acc + size_t(r) * hd;
      if (c != 1.0f) {
        l[r] *= c;
        for (int d = 0; d < hd; ++d) o[d] *= c;
      }
      float sum = 0.0f;
      for (int kk = 0; kk < kTile; ++kk) {
        s[kk] = s[kk] == -std::numeric_limits<float>::infinity() ? 0.0f : ExpNonPositive(s[kk] - m_new);
        sum += s[kk];
      }
      l[r] += sum;
      m[r] = m_new;
      // Weighted values: o += Σ_kk p_kk · v_kk.
      for (int kk = 0; kk < nk; ++kk) {
        const float p = s[kk];
        if (p == 0.0f) continue;
        const float* v = t.v + size_t(j0 + kk) * t.kv_stride;
        for (int d = 0; d < hd; ++d) o[d] += p * v[d];
      }
    }
  }
  for (int r = 0; r < nr; ++r) {
    const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
    const float* o = acc + size_t(r) * hd;
    for (int d = 0; d < hd; ++d) t.out[r][d] = o[d] * inv;
  }
}

}  // namespace
}  // namespace foundry::engine::attention
