// Packed GEMM/GEMV for the K-quants with Q8_K activations (Q4_K, Q6_K), AVX2. Layouts: packed.h;
// the scheme is that of packed_k_avx512.cc with 8 rows per register (each 64-byte vector is read
// as two halves, rows 0..7 and 8..15). Without VNNI (see packed_small_avx2.cc) a sub-block's
// code × activation products are summed in int16 by maddubs as far as that provably fits, and
// the per-row sub-block scale is applied by madd with (sc, sc) int16 pairs, which also widens to
// int32 exactly:
//   Q4_K codes ≤ 15: a pair ≤ 3810, a 32-element sub-block (8 chunks) ≤ 30480;
//   Q6_K codes ≤ 63 (stored + 32): a pair ≤ 16002, 2 chunks ≤ 32004, so two madds per 16-element
//        sub-block; its −32·bsums[k] start term is multiplied by sc_k with mullo.

#include <cstring>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/packed.h"
#include "engine/kernels/packed_tiles.h"

namespace foundry::engine::kernels {
namespace {

inline __m256i Broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i Load(const std::byte* p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}

// Byte j of every 32-bit lane as the int16 pair (x, x): unsigned, or sign-extended.
inline __m256i BytePairU(__m256i v, int j) {
  const __m256i x =
      _mm256_and_si256(_mm256_srl_epi32(v, _mm_cvtsi32_si128(8 * j)), _mm256_set1_epi32(0xFF));
  return _mm256_or_si256(x, _mm256_slli_epi32(x, 16));
}
inline __m256i ByteS(__m256i v, int j) {
  return _mm256_sra_epi32(_mm256_sll_epi32(v, _mm_cvtsi32_si128(24 - 8 * j)),
                          _mm_cvtsi32_si128(24));
}

// The 8 f16 of half h starting at p, as f32.
inline __m256 HalfScales(const std::byte* p, int h) {
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(p + 16 * h)));
}

inline void StoreRows(float* y, __m256 v, int n) {
  if (n == 8) {
    _mm256_storeu_ps(y, v);
  } else {
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, v);
    std::memcpy(y, tmp, size_t(n) * sizeof(float));
  }
}

struct Q4_KKernel {
  static constexpr int kMaxTokens = 3;

  template <int T>
  static void Half(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0, int h,
                   int rows) {
    const int64_t nb = a.n_blocks;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3f = _mm256_set1_epi8(0x3F),
                  m30 = _mm256_set1_epi8(0x30);
    const __m256i pair01 = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1));
    const __m256i pair23 = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(2, -1, 3, -1, 6, -1, 7, -1, 10, -1, 11, -1, 14, -1, 15, -1));
    const int8_t* act[T];
    __m256 acc[T];
    for (int t = 0; t < T; ++t) {
      act[t] = a.act_qs + (t0 + t) * a.n_cols;
      acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      using L = Q4_KLayout;
      const std::byte* sc_bytes = group + L::Scales(b) + 32 * h;
      const __m256i u0 = Load(sc_bytes), u1 = Load(sc_bytes + 64), u2 = Load(sc_bytes + 128);
      const __m256i sc_lo = _mm256_and_si256(u0, m3f);
      const __m256i sc_hi = _mm256_or_si256(_mm256_and_si256(u2, m4),
                                            _mm256_and_si256(_mm256_srli_epi32(u0, 2), m30));
      const __m256i m_lo = _mm256_and_si256(u1, m3f);
      const __m256i m_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(u2, 4), m4),
                                           _mm256_and_si256(_mm256_srli_epi32(u1, 2), m30));
      __m256i tot[T];
      for (int t = 0; t < T; ++t) tot[t] = _mm256_setzero_si256();
      for (int k = 0; k < 8; ++k) {
        const std::byte* v = group + L::Qs(b) + 64 * 8 * (k >> 1) + 32 * h;
        const __m128i shift = _mm_cvtsi32_si128(4 * (k & 1));
        __m256i part[T];
        for (int t = 0; t < T; ++t) part[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) {
          const __m256i q = _mm256_and_si256(_mm256_srl_epi16(Load(v + 64 * p), shift), m4);
          for (int t = 0; t < T; ++t)
            part[t] = _mm256_add_epi16(
                part[t], _mm256_maddubs_epi16(q, Broadcast4(act[t] + b * 256 + 32 * k + 4 * p)));
        }
        const __m256i sc = BytePairU(k < 4 ? sc_lo : sc_hi, k & 3);
        for (int t = 0; t < T; ++t)
          tot[t] = _mm256_add_epi32(tot[t], _mm256_madd_epi16(part[t], sc));
      }
      const __m256i m01 = _mm256_shuffle_epi8(m_lo, pair01),
                    m23 = _mm256_shuffle_epi8(m_lo, pair23);
      const __m256i m45 = _mm256_shuffle_epi8(m_hi, pair01),
                    m67 = _mm256_shuffle_epi8(m_hi, pair23);
      const __m256 d = HalfScales(group + L::D(b), h);
      const __m256 dmin = HalfScales(group + L::Dmin(b), h);
      for (int t = 0; t < T; ++t) {
        const int32_t* bp = a.act_aux + (t0 + t) * nb * 4 + b * 4;
        __m256i mins = _mm256_madd_epi16(m01, _mm256_set1_epi32(bp[0]));
        mins = _mm256_add_epi32(mins, _mm256_madd_epi16(m23, _mm256_set1_epi32(bp[1])));
        mins = _mm256_add_epi32(mins, _mm256_madd_epi16(m45, _mm256_set1_epi32(bp[2])));
        mins = _mm256_add_epi32(mins, _mm256_madd_epi16(m67, _mm256_set1_epi32(bp[3])));
        const __m256 da = _mm256_set1_ps(a.act_d[(t0 + t) * nb + b]);
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(tot[t]), _mm256_mul_ps(d, da), acc[t]);
        acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_mul_ps(dmin, da), acc[t]);
      }
    }
    const int n = rows - 8 * h < 8 ? rows - 8 * h : 8;
    for (int t = 0; t < T; ++t) StoreRows(a.y + (t0 + t) * a.n_rows + row0 + 8 * h, acc[t], n);
  }

  template <int T>
  static void Tile(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                   int rows) {
    Half<T>(a, group, t0, row0, 0, rows);
    if (rows > 8) Half<T>(a, group, t0, row0, 1, rows);
  }
};

struct Q6_KKernel {
  static constexpr int kMaxTokens = 3;

  // Sub-block k = 8·h6 + 2J + half (see packed_k_avx512.cc): two int16 partial sums of two
  // chunks each, scaled by madd.
  template <int T, int J>
  static void SubBlock(const std::byte* blk, int h6, int half, int h, const int8_t* const* act,
                       __m256i sc16, __m256i* tot) {
    using L = Q6_KLayout;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
#pragma GCC unroll 2
    for (int pair = 0; pair < 2; ++pair) {
      __m256i part[T];
      for (int t = 0; t < T; ++t) part[t] = _mm256_setzero_si256();
#pragma GCC unroll 2
      for (int i = 0; i < 2; ++i) {
        const int pp = 2 * pair + i, p = 4 * half + pp;
        const __m256i l = Load(blk + L::Ql(h6, J & 1, p) + 32 * h);
        const __m256i low =
            J < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
        const __m256i hv = Load(blk + L::Qh(h6, p) + 32 * h);
        const __m256i high = J == 0   ? _mm256_slli_epi32(hv, 4)
                             : J == 1 ? _mm256_slli_epi32(hv, 2)
                             : J == 2 ? hv
                                      : _mm256_srli_epi32(hv, 2);
        const __m256i q = _mm256_or_si256(low, _mm256_and_si256(high, m30));
        const int at = 128 * h6 + 32 * J + 16 * half + 4 * pp;
        for (int t = 0; t < T; ++t)
          part[t] = _mm256_add_epi16(part[t], _mm256_maddubs_epi16(q, Broadcast4(act[t] + at)));
      }
      for (int t = 0; t < T; ++t)
        tot[t] = _mm256_add_epi32(tot[t], _mm256_madd_epi16(part[t], sc16));
    }
  }

  template <int T>
  static void Half(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0, int h,
                   int rows) {
    const int64_t nb = a.n_blocks;
    const int8_t* act[T];
    __m256 acc[T];
    for (int t = 0; t < T; ++t) {
      act[t] = a.act_qs + (t0 + t) * a.n_cols;
      acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      using L = Q6_KLayout;
      const std::byte* blk = group + L::Block(b);
      const std::byte* sc_bytes = blk + L::kScales + 32 * h;
      const int8_t* act_b[T];
      for (int t = 0; t < T; ++t) act_b[t] = act[t] + b * 256;
      __m256i tot[T];
      for (int t = 0; t < T; ++t) tot[t] = _mm256_setzero_si256();
      for (int h6 = 0; h6 < 2; ++h6) {
        for (int half = 0; half < 2; ++half) {
          auto sub = [&]<int J>() {
            const int k = 8 * h6 + 2 * J + half;
            const __m256i sc32 = ByteS(Load(sc_bytes + 64 * (k >> 2)), k & 3);
            const __m256i sc16 = _mm256_or_si256(_mm256_and_si256(sc32, _mm256_set1_epi32(0xFFFF)),
                                                 _mm256_slli_epi32(sc32, 16));
            SubBlock<T, J>(blk, h6, half, h, act_b, sc16, tot);
            for (int t = 0; t < T; ++t) {
              const int32_t start = a.act_aux[((t0 + t) * nb + b) * 16 + k];  // −32·bsums[k]
              tot[t] = _mm256_add_epi32(tot[t], _mm256_mullo_epi32(_mm256_set1_epi32(start), sc32));
            }
          };
          sub.template operator()<0>();
          sub.template operator()<1>();
          sub.template operator()<2>();
          sub.template operator()<3>();
        }
      }
      const __m256 d = HalfScales(group + L::D(b), h);
      for (int t = 0; t < T; ++t) {
        const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(a.act_d[(t0 + t) * nb + b]));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(tot[t]), dd, acc[t]);
      }
    }
    const int n = rows - 8 * h < 8 ? rows - 8 * h : 8;
    for (int t = 0; t < T; ++t) StoreRows(a.y + (t0 + t) * a.n_rows + row0 + 8 * h, acc[t], n);
  }

  template <int T>
  static void Tile(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                   int rows) {
    Half<T>(a, group, t0, row0, 0, rows);
    if (rows > 8) Half<T>(a, group, t0, row0, 1, rows);
  }
};

}  // namespace

void GemmQ4_KPackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<Q4_KKernel>(a, g0, g1, t0, t1);
}

void GemmQ6_KPackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<Q6_KKernel>(a, g0, g1, t0, t1);
}

}  // namespace foundry::engine::kernels
