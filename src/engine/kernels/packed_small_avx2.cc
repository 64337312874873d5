// Packed GEMM/GEMV for the 32-element formats with Q8_0 activations (Q4_0, Q5_0, Q8_0), AVX2.
// Layouts and activation planes: packed.h; the AVX-512 version (packed_small_avx512.cc) explains
// the scheme. A 256-bit register holds 8 of a group's 16 rows, so a tile runs twice per group,
// on the low and the high 32 bytes of every 64-byte vector ("half" 0 and 1).
//
// Without VNNI the 4-products-per-lane step is maddubs (unsigned × signed bytes → int16 pair
// sums) followed by madd with ones (→ int32). maddubs saturates at ±32767, so the int16 sums are
// only carried as far as they provably fit:
//   Q4_0 codes ≤ 15:  a pair ≤ 2·15·127 = 3810, 8 chunks ≤ 30480: one madd per block;
//   Q5_0 codes ≤ 31:  a pair ≤ 2·31·127 = 7874, 4 chunks ≤ 31496: two madds per block;
//   Q8_0: the stored q + 128 would overflow a pair (2·255·127), so the signed q is restored
//         (x ^ 0x80) and multiplied as |q| × (a with q's sign), a pair ≤ 2·128·127 = 32512:
//         one madd per chunk, and the block sum starts at 0 instead of −128·Σa.
// All integer sums are exact, as with VNNI.

#include <cstring>

#include "engine/kernels/avx2_util.h"
#include "engine/kernels/packed.h"
#include "engine/kernels/packed_tiles.h"

namespace foundry::engine::kernels {
namespace {

inline __m256i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i Load(const std::byte* p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}

// Codes policies, as in the AVX-512 file, for half h of the group (rows 8h .. 8h+7).
struct Q4_0Codes {
  using Layout = Q4_0Layout;
  static constexpr int kI16Chunks = 8;  // chunks whose maddubs sums fit int16
  static constexpr bool kUsesAux = true;
  template <int K>
  static __m256i Chunk(const std::byte* group, int64_t b, int h) {
    const __m256i v = Load(group + Layout::Qs(b) + 64 * (K & 3) + 32 * h);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    return K < 4 ? _mm256_and_si256(v, m4) : _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
  }
  static __m256i Mul(__m256i codes, __m256i act) { return _mm256_maddubs_epi16(codes, act); }
};

struct Q5_0Codes {
  using Layout = Q5_0Layout;
  static constexpr int kI16Chunks = 4;
  static constexpr bool kUsesAux = true;
  template <int K>
  static __m256i Chunk(const std::byte* group, int64_t b, int h) {
    const __m256i v = Load(group + Layout::Qs(b) + 64 * (K & 3) + 32 * h);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i nibble =
        K < 4 ? _mm256_and_si256(v, m4) : _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
    const __m256i hv = Load(group + Layout::Qh(b) + 32 * h);
    const __m256i high = K <= 4 ? _mm256_slli_epi32(hv, 4 - K) : _mm256_srli_epi32(hv, K - 4);
    return _mm256_or_si256(nibble, _mm256_and_si256(high, _mm256_set1_epi8(0x10)));
  }
  static __m256i Mul(__m256i codes, __m256i act) { return _mm256_maddubs_epi16(codes, act); }
};

struct Q8_0Codes {
  using Layout = Q8_0Layout;
  static constexpr int kI16Chunks = 1;
  static constexpr bool kUsesAux = false;
  // The signed codes (stored + 128).
  template <int K>
  static __m256i Chunk(const std::byte* group, int64_t b, int h) {
    return _mm256_xor_si256(Load(group + Layout::Qs(b) + 64 * K + 32 * h),
                            _mm256_set1_epi8(char(0x80)));
  }
  static __m256i Mul(__m256i q, __m256i act) {
    return _mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(act, q));
  }
};

template <class Codes>
struct SmallKernel {
  static constexpr int kMaxTokens = 4;

  template <int T>
  static void Half(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0, int h,
                   int rows) {
    const int64_t nb = a.n_blocks;
    const __m256i ones = _mm256_set1_epi16(1);
    const int8_t* act[T];
    const float* act_d[T];
    const int32_t* act_aux[T];
    __m256 acc[T];
    for (int t = 0; t < T; ++t) {
      act[t] = a.act_qs + (t0 + t) * a.n_cols;
      act_d[t] = a.act_d + (t0 + t) * nb;
      act_aux[t] = a.act_aux + (t0 + t) * nb;
      acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; ++b) {
      __m256i isum[T], part[T];
      for (int t = 0; t < T; ++t) {
        isum[t] = Codes::kUsesAux ? _mm256_set1_epi32(act_aux[t][b]) : _mm256_setzero_si256();
        part[t] = _mm256_setzero_si256();
      }
      int pending = 0;  // chunks summed in `part` (int16) since the last flush
      auto step = [&]<int K>() {
        const __m256i w = Codes::template Chunk<K>(group, b, h);
        for (int t = 0; t < T; ++t)
          part[t] = _mm256_add_epi16(part[t], Codes::Mul(w, Broadcast4(act[t] + b * 32 + 4 * K)));
        if (++pending == Codes::kI16Chunks) {
          for (int t = 0; t < T; ++t) {
            isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(part[t], ones));
            part[t] = _mm256_setzero_si256();
          }
          pending = 0;
        }
      };
      step.template operator()<0>();
      step.template operator()<4>();
      step.template operator()<1>();
      step.template operator()<5>();
      step.template operator()<2>();
      step.template operator()<6>();
      step.template operator()<3>();
      step.template operator()<7>();
      const __m256 d = _mm256_cvtph_ps(
          _mm_load_si128(reinterpret_cast<const __m128i*>(group + Codes::Layout::D(b) + 16 * h)));
      for (int t = 0; t < T; ++t) {
        const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(act_d[t][b]));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), dd, acc[t]);
      }
    }
    const int n = rows - 8 * h < 8 ? rows - 8 * h : 8;
    for (int t = 0; t < T; ++t) {
      float* y = a.y + (t0 + t) * a.n_rows + row0 + 8 * h;
      if (n == 8) {
        _mm256_storeu_ps(y, acc[t]);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, acc[t]);
        std::memcpy(y, tmp, size_t(n) * sizeof(float));
      }
    }
  }

  template <int T>
  static void Tile(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                   int rows) {
    Half<T>(a, group, t0, row0, 0, rows);
    if (rows > 8) Half<T>(a, group, t0, row0, 1, rows);
  }
};

}  // namespace

void GemmQ4_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q4_0Codes>>(a, g0, g1, t0, t1);
}

void GemmQ5_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q5_0Codes>>(a, g0, g1, t0, t1);
}

void GemmQ8_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  DriveTiles<SmallKernel<Q8_0Codes>>(a, g0, g1, t0, t1);
}

}  // namespace foundry::engine::kernels
