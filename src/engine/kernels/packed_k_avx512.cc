// Packed GEMM/GEMV for the K-quants with Q8_K activations (Q4_K, Q6_K), AVX-512 + VNNI.
// Layouts and activation planes: packed.h. Lane r of every vector is row r of the group.
//
// Per super-block b and token t, with I_k the integer sum of sub-block k (dpbusd of unsigned
// codes with broadcast activation words, exact in int32):
//   Q4_K: tot_t = Σ_k sc_k·I_k,  mins_t = Σ_k m_k·B_k (four dpwssd of int16 pairs)
//         acc_t = fma(f32(tot_t), d_w ⊙ d_a, acc_t);  acc_t = fnma(f32(mins_t), dmin_w ⊙ d_a,
//         acc_t)
//   Q6_K: I_k starts at −32·bsums[k] (codes are stored + 32), tot_t = Σ_k sc_k·I_k,
//         acc_t = fma(f32(tot_t), d_w ⊙ d_a, acc_t)
// which are the reference's integer sums and per-block f32 products (formats.md §3.3); the
// per-row scales multiply the per-lane sums with vpmulld.

#include <cstring>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/blocks.h"
#include "engine/kernels/packed.h"
#include "engine/kernels/packed_tiles.h"

namespace foundry::engine::kernels {
namespace {

inline __m512i Broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

inline __m512i Load512(const std::byte* p) { return _mm512_load_si512(p); }

// Byte `j` of every 32-bit lane, zero-extended (unsigned) to the whole lane.
inline __m512i ByteU(__m512i v, int j) {
  return _mm512_and_si512(_mm512_srl_epi32(v, _mm_cvtsi32_si128(8 * j)), _mm512_set1_epi32(0xFF));
}
// Byte `j` of every 32-bit lane, sign-extended.
inline __m512i ByteS(__m512i v, int j) {
  return _mm512_sra_epi32(_mm512_sll_epi32(v, _mm_cvtsi32_si128(24 - 8 * j)),
                          _mm_cvtsi32_si128(24));
}

struct Q4_KKernel {
  static constexpr int kMaxTokens = 8;

  template <int T>
  static void Tile(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                   int rows) {
    const int64_t nb = a.n_blocks;
    const int8_t* act[T];
    const float* act_d[T];
    const int32_t* act_aux[T];
    __m512 acc[T];
    for (int t = 0; t < T; ++t) {
      act[t] = a.act_qs + (t0 + t) * a.n_cols;
      act_d[t] = a.act_d + (t0 + t) * nb;
      act_aux[t] = a.act_aux + (t0 + t) * nb * 4;
      acc[t] = _mm512_setzero_ps();
    }
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i m3f = _mm512_set1_epi8(0x3F);
    const __m512i m30 = _mm512_set1_epi8(0x30);
    // vpshufb controls (within each 128-bit lane): dword i → int16 pair (byte 4i, byte 4i+1) or
    // (byte 4i+2, byte 4i+3), zero-extended.
    const __m512i pair01 = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1));
    const __m512i pair23 = _mm512_broadcast_i32x4(
        _mm_setr_epi8(2, -1, 3, -1, 6, -1, 7, -1, 10, -1, 11, -1, 14, -1, 15, -1));
    for (int64_t b = 0; b < nb; ++b) {
      using L = Q4_KLayout;
      const std::byte* qs = group + L::Qs(b);
      const std::byte* sc_bytes = group + L::Scales(b);
      // UnpackQ4KScalesSwar (blocks.h) on 16 rows at once: lane bytes = scales/mins 0..3, 4..7.
      const __m512i u0 = Load512(sc_bytes), u1 = Load512(sc_bytes + 64),
                    u2 = Load512(sc_bytes + 128);
      const __m512i sc_lo = _mm512_and_si512(u0, m3f);
      const __m512i sc_hi = _mm512_or_si512(_mm512_and_si512(u2, m4),
                                            _mm512_and_si512(_mm512_srli_epi32(u0, 2), m30));
      const __m512i m_lo = _mm512_and_si512(u1, m3f);
      const __m512i m_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), m4),
                                           _mm512_and_si512(_mm512_srli_epi32(u1, 2), m30));
      __m512i tot[T];
      for (int t = 0; t < T; ++t) tot[t] = _mm512_setzero_si512();
      if constexpr (T == 1) {
        // One token (decode): each qs vector loaded once, in address order, feeding sub-blocks
        // 2g (low nibbles) and 2g + 1 (high nibbles) together.
        for (int g = 0; g < 4; ++g) {
          __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
#pragma GCC unroll 8
          for (int p = 0; p < 8; ++p) {
            const __m512i v = Load512(qs + 64 * (8 * g + p));
            const int8_t* at = act[0] + b * 256 + 64 * g + 4 * p;
            even = _mm512_dpbusd_epi32(even, _mm512_and_si512(v, m4), Broadcast4(at));
            odd = _mm512_dpbusd_epi32(odd, _mm512_and_si512(_mm512_srli_epi16(v, 4), m4),
                                      Broadcast4(at + 32));
          }
          const __m512i sc = g < 2 ? sc_lo : sc_hi;
          tot[0] = _mm512_add_epi32(tot[0], _mm512_mullo_epi32(even, ByteU(sc, (2 * g) & 3)));
          tot[0] = _mm512_add_epi32(tot[0], _mm512_mullo_epi32(odd, ByteU(sc, (2 * g + 1) & 3)));
        }
      } else {
        for (int k = 0; k < 8; ++k) {
          // Sub-block k: the low (k even) or high (k odd) nibbles of vectors 8(k/2) .. 8(k/2)+7.
          const std::byte* v = qs + 64 * 8 * (k >> 1);
          const int shift = 4 * (k & 1);
          __m512i isum[T];
          for (int t = 0; t < T; ++t) isum[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
          for (int p = 0; p < 8; ++p) {
            const __m512i q = _mm512_and_si512(
                _mm512_srl_epi16(Load512(v + 64 * p), _mm_cvtsi32_si128(shift)), m4);
            for (int t = 0; t < T; ++t)
              isum[t] =
                  _mm512_dpbusd_epi32(isum[t], q, Broadcast4(act[t] + b * 256 + 32 * k + 4 * p));
          }
          const __m512i sc = ByteU(k < 4 ? sc_lo : sc_hi, k & 3);
          for (int t = 0; t < T; ++t)
            tot[t] = _mm512_add_epi32(tot[t], _mm512_mullo_epi32(isum[t], sc));
        }
      }
      const __m512i m01 = _mm512_shuffle_epi8(m_lo, pair01),
                    m23 = _mm512_shuffle_epi8(m_lo, pair23);
      const __m512i m45 = _mm512_shuffle_epi8(m_hi, pair01),
                    m67 = _mm512_shuffle_epi8(m_hi, pair23);
      const __m512 d =
          _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(group + L::D(b))));
      const __m512 dmin =
          _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(group + L::Dmin(b))));
      for (int t = 0; t < T; ++t) {
        const int32_t* bp = act_aux[t] + b * 4;
        __m512i mins = _mm512_dpwssd_epi32(_mm512_setzero_si512(), m01, _mm512_set1_epi32(bp[0]));
        mins = _mm512_dpwssd_epi32(mins, m23, _mm512_set1_epi32(bp[1]));
        mins = _mm512_dpwssd_epi32(mins, m45, _mm512_set1_epi32(bp[2]));
        mins = _mm512_dpwssd_epi32(mins, m67, _mm512_set1_epi32(bp[3]));
        const __m512 da = _mm512_set1_ps(act_d[t][b]);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(tot[t]), _mm512_mul_ps(d, da), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(dmin, da), acc[t]);
      }
    }
    const __mmask16 mask = __mmask16((1u << rows) - 1u);
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(a.y + (t0 + t) * a.n_rows + row0, mask, acc[t]);
  }
};

struct Q6_KKernel {
  static constexpr int kMaxTokens = 8;

  using L = Q6_KLayout;

  // The 6-bit codes of chunk (h, j, p) (elements 128h + 32j + 4p .. +3) from the block's ql
  // vector (h, j & 1, p) (low nibbles for j < 2, high for j ≥ 2) and its qh vector (h, p) (bits
  // 2j, 2j + 1 of each byte, moved to bits 4, 5 by a shift of 4 − 2j).
  template <int J>
  static __m512i Codes(__m512i ql, __m512i qh) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i low =
        J < 2 ? _mm512_and_si512(ql, m4) : _mm512_and_si512(_mm512_srli_epi16(ql, 4), m4);
    const __m512i high = J == 0   ? _mm512_slli_epi32(qh, 4)
                         : J == 1 ? _mm512_slli_epi32(qh, 2)
                         : J == 2 ? qh
                                  : _mm512_srli_epi32(qh, 2);
    // 0xF8: low | (high & 0x30).
    return _mm512_ternarylogic_epi32(low, high, _mm512_set1_epi8(0x30), 0xF8);
  }

  // Several tokens (the block sits in L1): sub-block k = 8h + 2J + half of 16 elements, chunks
  // p = 4·half .. +3, one accumulator per token.
  template <int T, int J>
  static void SubBlock(const std::byte* blk, int h, int half, const int8_t* const* act,
                       __m512i* isum) {
#pragma GCC unroll 4
    for (int pp = 0; pp < 4; ++pp) {
      const int p = 4 * half + pp;
      const __m512i q = Codes<J>(Load512(blk + L::Ql(h, J & 1, p)), Load512(blk + L::Qh(h, p)));
      const int at = 128 * h + 32 * J + 16 * half + 4 * pp;
      for (int t = 0; t < T; ++t)
        isum[t] = _mm512_dpbusd_epi32(isum[t], q, Broadcast4(act[t] + at));
    }
  }

  // One token (decode): half h of the block read as one ascending stream. Each (qh, ql, ql)
  // triple is loaded once and yields one chunk of each of four sub-blocks j = 0..3 (half = p / 4);
  // eight accumulators s[j][half] hold the eight sub-blocks of h.
  static __m512i Half1(const std::byte* blk, int h, const int8_t* act, const int32_t* aux) {
    __m512i s[4][2];
    for (int j = 0; j < 4; ++j)
      for (int half = 0; half < 2; ++half)
        s[j][half] = _mm512_set1_epi32(aux[8 * h + 2 * j + half]);
#pragma GCC unroll 8
    for (int p = 0; p < 8; ++p) {
      const __m512i qh = Load512(blk + L::Qh(h, p));
      const __m512i ql0 = Load512(blk + L::Ql(h, 0, p)), ql1 = Load512(blk + L::Ql(h, 1, p));
      const int half = p >> 2;
      const int8_t* a = act + 128 * h + 4 * p;
      s[0][half] = _mm512_dpbusd_epi32(s[0][half], Codes<0>(ql0, qh), Broadcast4(a));
      s[1][half] = _mm512_dpbusd_epi32(s[1][half], Codes<1>(ql1, qh), Broadcast4(a + 32));
      s[2][half] = _mm512_dpbusd_epi32(s[2][half], Codes<2>(ql0, qh), Broadcast4(a + 64));
      s[3][half] = _mm512_dpbusd_epi32(s[3][half], Codes<3>(ql1, qh), Broadcast4(a + 96));
    }
    __m512i tot = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j) {
      for (int half = 0; half < 2; ++half) {
        const int k = 8 * h + 2 * j + half;
        const __m512i sc = ByteS(Load512(blk + L::kScales + 64 * (k >> 2)), k & 3);
        tot = _mm512_add_epi32(tot, _mm512_mullo_epi32(s[j][half], sc));
      }
    }
    return tot;
  }

  template <int T>
  static void Tile(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                   int rows) {
    const int64_t nb = a.n_blocks;
    const int8_t* act[T];
    const float* act_d[T];
    const int32_t* act_aux[T];
    __m512 acc[T];
    for (int t = 0; t < T; ++t) {
      act[t] = a.act_qs + (t0 + t) * a.n_cols;
      act_d[t] = a.act_d + (t0 + t) * nb;
      act_aux[t] = a.act_aux + (t0 + t) * nb * 16;
      acc[t] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      const std::byte* blk = group + L::Block(b);
      const int8_t* act_b[T];
      for (int t = 0; t < T; ++t) act_b[t] = act[t] + b * 256;
      __m512i tot[T];
      for (int t = 0; t < T; ++t) tot[t] = _mm512_setzero_si512();
      if constexpr (T == 1) {
        for (int h = 0; h < 2; ++h)
          tot[0] = _mm512_add_epi32(tot[0], Half1(blk, h, act_b[0], act_aux[0] + b * 16));
      } else {
        for (int h = 0; h < 2; ++h) {
          for (int half = 0; half < 2; ++half) {
            auto sub = [&]<int J>() {
              const int k = 8 * h + 2 * J + half;
              __m512i isum[T];
              for (int t = 0; t < T; ++t) isum[t] = _mm512_set1_epi32(act_aux[t][b * 16 + k]);
              SubBlock<T, J>(blk, h, half, act_b, isum);
              const __m512i sc = ByteS(Load512(blk + L::kScales + 64 * (k >> 2)), k & 3);
              for (int t = 0; t < T; ++t)
                tot[t] = _mm512_add_epi32(tot[t], _mm512_mullo_epi32(isum[t], sc));
            };
            sub.template operator()<0>();
            sub.template operator()<1>();
            sub.template operator()<2>();
            sub.template operator()<3>();
          }
        }
      }
      const __m512 d =
          _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(group + L::D(b))));
      for (int t = 0; t < T; ++t) {
        const __m512 dd = _mm512_mul_ps(d, _mm512_set1_ps(act_d[t][b]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(tot[t]), dd, acc[t]);
      }
    }
    const __mmask16 mask = __mmask16((1u << rows) - 1u);
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(a.y + (t0 + t) * a.n_rows + row0, mask, acc[t]);
  }
};

}  // namespace

void GemmQ4_KPackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<Q4_KKernel>(a, g0, g1, t0, t1);
}

void GemmQ6_KPackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<Q6_KKernel>(a, g0, g1, t0, t1);
}

}  // namespace foundry::engine::kernels
