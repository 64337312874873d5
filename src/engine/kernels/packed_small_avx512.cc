// Packed GEMM/GEMV for the 32-element formats with Q8_0 activations (Q4_0, Q5_0, Q8_0),
// AVX-512 + VNNI. Layouts and activation planes: packed.h.
//
// Per group of 16 rows and block column b, for each token t of the tile:
//   isum_t = aux_t[b]                                   (−offset·Σq_a: codes are stored + offset)
//   isum_t += dpbusd(codes of chunk k, broadcast a_t[4k..4k+3])   for the 8 chunks k
//   acc_t  = fma(f32(isum_t), d_w ⊙ d_a,t[b], acc_t)
// Lane r of every vector is row r, so after the last block acc_t holds the 16 outputs of token t.
// Each unpacked code vector serves every token of the tile (up to 8: 8 int + 8 float
// accumulators stay in registers); each broadcast activation word serves 16 rows.
// dpbusd multiplies unsigned bytes (codes in [0, 255]) by signed bytes (|a| ≤ 127) and adds four
// products per lane exactly in int32, so isum_t is the reference's integer block sum.

#include <cstring>
#include <utility>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/packed.h"
#include "engine/kernels/packed_tiles.h"

namespace foundry::engine::kernels {
namespace {

inline __m512i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

inline __m512i Load512(const std::byte* p) { return _mm512_load_si512(p); }

// Codes policies: Chunk<K>(group, b) = the 16 rows' codes of elements 4K..4K+3 of block column
// b, as unsigned bytes (lane r = row r); Layout = where the parts of b are (packed.h).
struct Q4_0Codes {
  using Layout = Q4_0Layout;
  template <int K>
  static __m512i Chunk(const std::byte* group, int64_t b) {
    const __m512i v = Load512(group + Layout::Qs(b) + 64 * (K & 3));
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    return K < 4 ? _mm512_and_si512(v, m4) : _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
  }
};

// For decode (one token) Q4_0 reads its high nibbles in place, as 16·code (v & 0xF0: one op
// instead of a shift and a mask); their sum is then 16 times the true one, exactly (16·15·127
// per product, 16 products per lane: far inside int32), and an arithmetic shift by 4 divides it
// back exactly.
struct Q4_0Codes;
template <class Codes>
struct DecodeHigh {
  static constexpr int kShift = 0;
  template <int K>
  static __m512i Chunk(const std::byte* group, int64_t b) {
    return Codes::template Chunk<K>(group, b);
  }
};
template <>
struct DecodeHigh<Q4_0Codes> {
  static constexpr int kShift = 4;
  template <int K>
  static __m512i Chunk(const std::byte* group, int64_t b) {
    return _mm512_and_si512(Load512(group + Q4_0Layout::Qs(b) + 64 * (K & 3)),
                            _mm512_set1_epi8(char(0xF0)));
  }
};

struct Q5_0Codes {
  using Layout = Q5_0Layout;
  // Nibble as Q4_0, 5th bit from the reordered qh word: chunk K's bits sit at bit K of each
  // byte, so a shift by 4 − K puts them at bit 4 (bits shifted in from neighbouring bytes are
  // masked off by 0x10).
  template <int K>
  static __m512i Chunk(const std::byte* group, int64_t b) {
    const __m512i v = Load512(group + Layout::Qs(b) + 64 * (K & 3));
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i nibble =
        K < 4 ? _mm512_and_si512(v, m4) : _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
    const __m512i h = Load512(group + Layout::Qh(b));
    const __m512i high = K <= 4 ? _mm512_slli_epi32(h, 4 - K) : _mm512_srli_epi32(h, K - 4);
    // 0xF8: a | (b & c) with a = nibble, b = high, c = 0x10 per byte.
    return _mm512_ternarylogic_epi32(nibble, high, _mm512_set1_epi8(0x10), 0xF8);
  }
};

struct Q8_0Codes {
  using Layout = Q8_0Layout;
  template <int K>
  static __m512i Chunk(const std::byte* group, int64_t b) {
    return Load512(group + Layout::Qs(b) + 64 * K);
  }
};

template <class Codes>
struct SmallKernel {
  static constexpr int kMaxTokens = 8;

  // One token (decode): the block's 8 dpbusd in two independent chains (chunks 0..3 and 4..7),
  // so consecutive blocks overlap better while the weights stream from memory.
  static __m512i BlockSum1(const std::byte* group, int64_t b, const int8_t* act, int32_t start) {
    using High = DecodeHigh<Codes>;
    __m512i lo = _mm512_set1_epi32(start), hi = _mm512_setzero_si512();
    auto step = [&]<int K>() {
      lo = _mm512_dpbusd_epi32(lo, Codes::template Chunk<K>(group, b), Broadcast4(act + 4 * K));
      hi = _mm512_dpbusd_epi32(hi, High::template Chunk<K + 4>(group, b),
                               Broadcast4(act + 4 * K + 16));
    };
    step.template operator()<0>();
    step.template operator()<1>();
    step.template operator()<2>();
    step.template operator()<3>();
    return _mm512_add_epi32(lo, _mm512_srai_epi32(hi, High::kShift));
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
      act_aux[t] = a.act_aux + (t0 + t) * nb;
      acc[t] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      __m512i isum[T];
      if constexpr (T == 1) {
        isum[0] = BlockSum1(group, b, act[0] + b * 32, act_aux[0][b]);
      } else {
        for (int t = 0; t < T; ++t) isum[t] = _mm512_set1_epi32(act_aux[t][b]);
        // Chunks in the order 0 4 1 5 2 6 3 7: a Q4_0/Q5_0 vector's two nibble halves together.
        auto step = [&]<int K>() {
          const __m512i q = Codes::template Chunk<K>(group, b);
          for (int t = 0; t < T; ++t)
            isum[t] = _mm512_dpbusd_epi32(isum[t], q, Broadcast4(act[t] + b * 32 + 4 * K));
        };
        step.template operator()<0>();
        step.template operator()<4>();
        step.template operator()<1>();
        step.template operator()<5>();
        step.template operator()<2>();
        step.template operator()<6>();
        step.template operator()<3>();
        step.template operator()<7>();
      }
      const __m512 d = _mm512_cvtph_ps(
          _mm256_load_si256(reinterpret_cast<const __m256i*>(group + Codes::Layout::D(b))));
      for (int t = 0; t < T; ++t) {
        const __m512 dd = _mm512_mul_ps(d, _mm512_set1_ps(act_d[t][b]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), dd, acc[t]);
      }
    }
    const __mmask16 mask = __mmask16((1u << rows) - 1u);
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(a.y + (t0 + t) * a.n_rows + row0, mask, acc[t]);
  }
};

}  // namespace

void GemmQ4_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q4_0Codes>>(a, g0, g1, t0, t1);
}

void GemmQ5_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q5_0Codes>>(a, g0, g1, t0, t1);
}

void GemmQ8_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q8_0Codes>>(a, g0, g1, t0, t1);
}

}  // namespace foundry::engine::kernels
