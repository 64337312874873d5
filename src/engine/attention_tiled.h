#pragma once
// The tiled online-softmax attention loop, written once in plain C++ with GCC vector extensions
// and compiled per ISA by attention.cc (baseline SSE2), attention_avx2.cc and attention_avx512.cc,
// each defining FOUNDRY_ATTENTION_LANES (4, 8, 16) first: a Vec is one native register of that
// many floats, and a key tile is one Vec of scores. Everything
// here has internal linkage on purpose: each ISA's translation unit must keep its own copy (an
// inline function with external linkage could be merged across units built with different -m
// flags).
//
// Per task: key tiles of kTile = kLanes keys (aligned to kTile, so inside one KV block) are
// transposed once into scratch (kt[d][key]) and serve
// every query row of the task. Rows go in blocks of kRowBlock: the block's scores for a tile are
// kRowBlock independent Vec accumulators fed by broadcast-FMA over head_dim (independent chains
// keep the FMA units busy; one chain per row would wait on FMA latency). Then per row: mask,
// online softmax (running max m and sum l, rescaling the accumulated output when the max grows),
// and o += Σ p·v over the tile with the output held in registers 64 floats at a time.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/vec_exp.h"
#include "foundry/engine/attention.h"

// Vec values are passed between functions of this header only (internal linkage, inlined), so
// GCC's note that their calling convention differs between -m flags does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace foundry::engine::attention {
namespace {

#ifndef FOUNDRY_ATTENTION_LANES
#error "define FOUNDRY_ATTENTION_LANES (floats per vector register) before including this header"
#endif
constexpr int kLanes = FOUNDRY_ATTENTION_LANES;
constexpr int kTile = kLanes;   // keys per tile: one Vec of scores (at most kMaxTile)
constexpr int kRowBlock = 8;    // query rows whose scores are computed together
static_assert(kTile <= kMaxTile);

typedef float Vec __attribute__((vector_size(4 * kLanes)));
typedef int32_t IVec __attribute__((vector_size(4 * kLanes)));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline Vec Splat(float x) { return Vec{} + x; }

// exp(x) for x <= 0 (scores minus the running max), lane-wise and branch-free; x < -87 gives 0.
inline Vec ExpNonPositive(Vec x) { return VecExpNonPositive<Vec, IVec>(x); }
inline float ExpNonPositive(float x) { return ExpNonPositive(Splat(x))[0]; }

inline float HorizontalMax(Vec v) {
  float m = v[0];
  for (int i = 1; i < kTile; ++i) m = v[i] > m ? v[i] : m;
  return m;
}
inline float HorizontalSum(Vec v) {
  float s = 0.0f;
  for (int i = 0; i < kTile; ++i) s += v[i];
  return s;
}

// scores[r] = Σ_d q_r[d]·kt[d] for the kRowBlock rows of a block (q rows past the task's end
// point at a zero row).
inline void BlockScores(const float* const* q, const float* kt, int hd, Vec* scores) {
  Vec acc[kRowBlock];
  for (int r = 0; r < kRowBlock; ++r) acc[r] = Vec{};
  for (int d = 0; d < hd; ++d) {
    const Vec k = Load(kt + d * kTile);
    for (int r = 0; r < kRowBlock; ++r) acc[r] += q[r][d] * k;
  }
  for (int r = 0; r < kRowBlock; ++r) scores[r] = acc[r];
}

// o[0..hd) += Σ_kk p[kk]·v_kk[0..hd) over the nk keys of a tile.
inline void AccumulateValues(float* o, const float* p, const float* v, size_t stride, int nk,
                             int hd) {
  constexpr int L = kLanes;
  int d0 = 0;
  for (; d0 + 4 * L <= hd; d0 += 4 * L) {  // four output registers per pass
    Vec a0 = Load(o + d0), a1 = Load(o + d0 + L), a2 = Load(o + d0 + 2 * L),
        a3 = Load(o + d0 + 3 * L);
    for (int kk = 0; kk < nk; ++kk) {
      const float* vk = v + size_t(kk) * stride + d0;
      const float pk = p[kk];
      a0 += pk * Load(vk);
      a1 += pk * Load(vk + L);
      a2 += pk * Load(vk + 2 * L);
      a3 += pk * Load(vk + 3 * L);
    }
    Store(o + d0, a0), Store(o + d0 + L, a1), Store(o + d0 + 2 * L, a2),
        Store(o + d0 + 3 * L, a3);
  }
  for (; d0 + L <= hd; d0 += L) {
    Vec a = Load(o + d0);
    for (int kk = 0; kk < nk; ++kk) a += p[kk] * Load(v + size_t(kk) * stride + d0);
    Store(o + d0, a);
  }
  for (; d0 < hd; ++d0)
    for (int kk = 0; kk < nk; ++kk) o[d0] += p[kk] * v[size_t(kk) * stride + size_t(d0)];
}

void AttentionTiled(const Task& t) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const int hd = t.head_dim, nr = t.n_rows;
  // Scratch: running max and sum per row, output accumulators, one transposed key tile, a zero
  // query row for partial blocks.
  float* m = t.scratch;                  // [nr]
  float* l = m + nr;                     // [nr]
  float* acc = l + nr;                   // [nr][hd]
  float* kt = acc + size_t(nr) * hd;     // [hd][kTile]
  float* zero_q = kt + size_t(hd) * kTile;  // [hd]
  int32_t lo = INT32_MAX, hi = -1;
  for (int r = 0; r < nr; ++r) {
    m[r] = kNegInf;
    l[r] = 0.0f;
    lo = t.lo[r] < lo ? t.lo[r] : lo;
    hi = t.hi[r] > hi ? t.hi[r] : hi;
  }
  std::memset(acc, 0, sizeof(float) * size_t(nr) * size_t(hd));
  std::memset(zero_q, 0, sizeof(float) * size_t(hd));

  // Tiles start at multiples of kTile (keys before a row's lo are masked), so each lies inside
  // one block of the block table (block_size is a multiple of kMaxTile).
  for (int32_t j0 = lo - lo % kTile; j0 <= hi; j0 += kTile) {
    const int nk = hi + 1 - j0 < kTile ? hi + 1 - j0 : kTile;
    const float* ktile = Key(t, j0);
    // Transpose the key tile: kt[d][kk] = K[j0 + kk][d] (zero beyond the last key).
    for (int kk = 0; kk < kTile; ++kk) {
      if (kk < nk) {
        const float* key = ktile + size_t(kk) * t.kv_stride;
        for (int d = 0; d < hd; ++d) kt[d * kTile + kk] = key[d];
      } else {
        for (int d = 0; d < hd; ++d) kt[d * kTile + kk] = 0.0f;
      }
    }
    const float* vtile = Value(t, j0);
    for (int r0 = 0; r0 < nr; r0 += kRowBlock) {
      const int nb = nr - r0 < kRowBlock ? nr - r0 : kRowBlock;
      bool any = false;
      for (int b = 0; b < nb; ++b) any |= t.hi[r0 + b] >= j0 && t.lo[r0 + b] < j0 + nk;
      if (!any) continue;  // no row of the block sees a key of this tile
      const float* q[kRowBlock];
      for (int b = 0; b < kRowBlock; ++b) q[b] = b < nb ? t.q[r0 + b] : zero_q;
      Vec scores[kRowBlock];
      BlockScores(q, kt, hd, scores);
      for (int b = 0; b < nb; ++b) {
        const int r = r0 + b;
        if (t.hi[r] < j0 || t.lo[r] >= j0 + nk) continue;  // no visible key for this row
        Vec s = scores[b] * t.scale;
        if (nk < kTile || t.lo[r] > j0 || t.hi[r] < j0 + kTile - 1) {
          for (int kk = 0; kk < kTile; ++kk) {
            const int32_t j = j0 + kk;
            if (kk >= nk || j < t.lo[r] || j > t.hi[r]) s[kk] = kNegInf;
          }
        }
        // Online softmax: rescale what was accumulated under the old max.
        const float mx = HorizontalMax(s);
        const float m_new = mx > m[r] ? mx : m[r];
        float* o = acc + size_t(r) * hd;
        if (m[r] != kNegInf && m_new != m[r]) {
          const float c = ExpNonPositive(m[r] - m_new);
          l[r] *= c;
          for (int d = 0; d < hd; ++d) o[d] *= c;
        }
        m[r] = m_new;
        // Masked lanes are -inf: exp clamps them to -87 and returns 0.
        const Vec p = ExpNonPositive(s - m_new);
        l[r] += HorizontalSum(p);
        float pk[kTile];
        Store(pk, p);
        AccumulateValues(o, pk, vtile, t.kv_stride, nk, hd);
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
