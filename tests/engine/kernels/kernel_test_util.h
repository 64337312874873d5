#pragma once
// Test data for the kernel tests: blocks of every weight type (random, zero scale, largest
// scale, every code value), activations, and the error bound that dot products are held to.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "engine/kernels/blocks.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/tensor_type.h"

namespace foundry::engine::kernels::test_util {

using T = TensorType;

// The weight types the engine computes with (formats.md §3.1 rows we implement).
inline constexpr TensorType kWeightTypes[] = {
    T::kF32,  T::kF16,  T::kBF16, T::kQ8_0, T::kQ4_0, T::kQ4_1,   T::kQ5_0,   T::kQ5_1,
    T::kQ2_K, T::kQ3_K, T::kQ4_K, T::kQ5_K, T::kQ6_K, T::kIQ4_NL, T::kIQ4_XS,
};

inline const KernelVariant& ReferenceOf(TensorType type) {
  for (const KernelVariant& v : IsaVariants(Isa::kScalar))
    if (v.type == type) return v;
  static const KernelVariant kNone{};  // test-only; the tests assert every type is present
  return kNone;
}

// Every ISA level this CPU can run, scalar first.
inline std::vector<Isa> HostIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa <= DetectCpu().best()) isas.push_back(isa);
  return isas;
}

// The from_float variants of `type` this CPU can run: the reference and each SIMD one.
struct IsaQuantizer {
  Isa isa;
  FromFloatFn fn;
};
inline std::vector<IsaQuantizer> HostQuantizers(TensorType type) {
  std::vector<IsaQuantizer> out;
  for (Isa isa : HostIsas())
    for (const KernelVariant& v : IsaVariants(isa))
      if (v.type == type && v.from_float) out.push_back({isa, v.from_float});
  return out;
}

inline int BlockElems(TensorType t) { return LookupTensorType(uint32_t(t))->block_elems; }
inline int BlockBytes(TensorType t) { return LookupTensorType(uint32_t(t))->block_bytes; }

enum class BlockKind {
  kRandom,     // random codes and scale bytes, f16 scales of magnitude 2^-10 .. 2^-2
  kZeroScale,  // as kRandom, but the main scale d is 0 (mins stay)
  kMaxScale,   // every f16 field 65504 (the largest finite f16) and every scale/min code at its
               // largest magnitude; random codes
  kCodeSweep,  // the non-f16 bytes count 0, 1, 2, … mod 256 through the buffer, so every byte
               // value, hence every value of every packed code/scale field, occurs once the
               // buffer spans 256 bytes; f16 scales fixed at 1/64. F16/BF16: codes spread over
               // all 65536 patterns (inf/NaN and huge values folded to finite ones)
};

inline const char* KindName(BlockKind k) {
  switch (k) {
    case BlockKind::kRandom:
      return "random";
    case BlockKind::kZeroScale:
      return "zero-scale";
    case BlockKind::kMaxScale:
      return "max-scale";
    case BlockKind::kCodeSweep:
      return "code-sweep";
  }
  return "?";
}

// Byte offsets of the f16 fields in one block, d first (blocks.h layouts).
inline std::vector<int> F16Fields(TensorType t) {
  switch (t) {
    case T::kQ4_0:
    case T::kQ5_0:
    case T::kQ8_0:
    case T::kIQ4_NL:
    case T::kIQ4_XS:
      return {0};
    case T::kQ4_1:
    case T::kQ5_1:
    case T::kQ4_K:
    case T::kQ5_K:
      return {0, 2};
    case T::kQ2_K:
      return {80, 82};
    case T::kQ3_K:
      return {108};
    case T::kQ6_K:
      return {208};
    default:
      return {};
  }
}

// [begin, end) of the bytes holding sub-block scales/mins, set to their largest magnitude by
// kMaxScale, with that byte value.
struct ScaleBytes {
  int begin = 0, end = 0;
  uint8_t max_value = 0;
};
inline ScaleBytes ScaleRegion(TensorType t) {
  switch (t) {
    case T::kQ2_K:
      return {0, 16, 0xFF};  // scale 15, min 15
    case T::kQ3_K:
      return {96, 108, 0x00};  // every 6-bit scale 0 → 0 − 32 = −32
    case T::kQ4_K:
    case T::kQ5_K:
      return {4, 16, 0xFF};  // scales and mins 63
    case T::kQ6_K:
      return {192, 208, 0x80};  // −128
    case T::kIQ4_XS:
      return {2, 8, 0x00};  // ls = 0 → −32
    default:
      return {};
  }
}

inline void PutF16(std::vector<uint8_t>& bytes, size_t at, float v) {
  const uint16_t h = F32ToF16(v);
  std::memcpy(bytes.data() + at, &h, 2);
}

inline float RandomScale(std::mt19937& rng) {
  std::uniform_real_distribution<float> log2(-10.0f, -2.0f);
  std::bernoulli_distribution neg(0.2);
  const float v = std::exp2(log2(rng));
  return neg(rng) ? -v : v;
}

// n_blocks blocks of `t`. For F32/F16/BF16 a "block" is one value.
inline std::vector<uint8_t> MakeBlocks(TensorType t, int64_t n_blocks, BlockKind kind,
                                       std::mt19937& rng) {
  const size_t bb = size_t(BlockBytes(t));
  std::vector<uint8_t> bytes(size_t(n_blocks) * bb);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> normal(0.0f, 1.0f);

  if (t == T::kF32 || t == T::kF16 || t == T::kBF16) {
    for (int64_t i = 0; i < n_blocks; ++i) {
      float v = normal(rng);
      if (kind == BlockKind::kZeroScale) v = 0.0f;
      if (kind == BlockKind::kMaxScale)
        v = (v < 0 ? -1.0f : 1.0f) * (t == T::kF16 ? 65504.0f : 1e15f);
      uint8_t* p = bytes.data() + size_t(i) * bb;
      if (t == T::kF32) {
        std::memcpy(p, &v, 4);
      } else if (t == T::kBF16) {
        uint16_t h = F32ToBf16(v);
        // Codes spread over all 16 bits; magnitudes above 2^20 folded down (products stay far
        // from overflow), NaN → 0.
        if (kind == BlockKind::kCodeSweep) h = uint16_t(i * 40503);
        if (kind == BlockKind::kCodeSweep && std::fabs(Bf16ToF32(h)) > 0x1p20f) h &= 0xC07F;
        if (kind == BlockKind::kCodeSweep && !std::isfinite(Bf16ToF32(h))) h = 0;
        std::memcpy(p, &h, 2);
      } else {
        uint16_t h = F32ToF16(v);
        // Odd multiplier: a bijection on 16 bits, so 65536 values visit every f16 code.
        if (kind == BlockKind::kCodeSweep) h = uint16_t(i * 40503);
        if ((h & 0x7C00) == 0x7C00) h = uint16_t(h & 0x83FF);  // inf/NaN → a subnormal
        std::memcpy(p, &h, 2);
      }
    }
    return bytes;
  }

  const std::vector<int> f16 = F16Fields(t);
  const ScaleBytes scales = ScaleRegion(t);
  for (int64_t b = 0; b < n_blocks; ++b) {
    const size_t base = size_t(b) * bb;
    for (size_t i = 0; i < bb; ++i) bytes[base + i] = uint8_t(byte(rng));
    if (kind == BlockKind::kCodeSweep) {
      for (size_t i = 0; i < bb; ++i) bytes[base + i] = uint8_t(size_t(b) * bb + i);
    }
    if (kind == BlockKind::kMaxScale) {
      for (int i = scales.begin; i < scales.end; ++i) bytes[base + size_t(i)] = scales.max_value;
    }
    for (size_t f = 0; f < f16.size(); ++f) {
      float v = RandomScale(rng);
      if (kind == BlockKind::kMaxScale) v = 65504.0f;
      if (kind == BlockKind::kCodeSweep) v = 1.0f / 64;
      if (kind == BlockKind::kZeroScale && f == 0) v = 0.0f;
      PutF16(bytes, base + size_t(f16[f]), v);
    }
  }
  return bytes;
}

enum class ActKind {
  kNormal,      // N(0, 1)
  kSaturating,  // ±1 with random signs: every quantized code is ±127 (largest products)
  kMixed,       // N(0, 1) with one block of zeros, one tiny block and one huge value
};

inline std::vector<float> MakeActivations(int64_t n, ActKind kind, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::bernoulli_distribution coin(0.5);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = kind == ActKind::kSaturating ? (coin(rng) ? 1.0f : -1.0f) : normal(rng);
  if (kind == ActKind::kMixed && n >= 64) {
    for (int i = 0; i < 32; ++i) x[size_t(i)] = 0.0f;
    for (int i = 32; i < 64; ++i) x[size_t(i)] *= 1e-6f;
    x[size_t(n - 1)] = 1000.0f;
  }
  return x;
}

// Dequantizes n values of `type` with its reference to_float, widened to double.
inline std::vector<double> DequantizeRef(TensorType type, const void* data, int64_t n) {
  std::vector<float> f(static_cast<size_t>(n));
  ReferenceOf(type).to_float(data, f.data(), n);
  return {f.begin(), f.end()};
}

// |min| that element i's weight subtracts or adds (the "m" of Q4_1/Q5_1, dmin·m of the K-quants
// with mins); 0 for types without one.
inline std::vector<double> MinMagnitudes(TensorType t, const uint8_t* w, int64_t n) {
  std::vector<double> out(size_t(n), 0.0);
  const int be = BlockElems(t);
  for (int64_t b = 0; b < n / be; ++b) {
    const uint8_t* p = w + size_t(b) * size_t(BlockBytes(t));
    for (int e = 0; e < be; ++e) {
      double m = 0.0;
      if (t == T::kQ4_1) m = F16ToF32(reinterpret_cast<const BlockQ4_1*>(p)->m);
      if (t == T::kQ5_1) m = F16ToF32(reinterpret_cast<const BlockQ5_1*>(p)->m);
      if (t == T::kQ2_K) {
        const auto* x = reinterpret_cast<const BlockQ2_K*>(p);
        m = double(F16ToF32(x->dmin)) * (x->scales[e >> 4] >> 4);
      }
      if (t == T::kQ4_K || t == T::kQ5_K) {
        const auto* scales = p + 4;  // same offset in both layouts
        uint8_t sc[8], mins[8];
        UnpackQ4KScales(scales, sc, mins);
        m = double(F16ToF32(reinterpret_cast<const uint16_t*>(p)[1])) * mins[e >> 5];
      }
      out[size_t(b * be + e)] = std::fabs(m);
    }
  }
  return out;
}

// One dot-product case: weights, activations converted by the reference from_float to the
// weight's vec_dot_type, and the float64 facts the bounds are made of.
struct DotCase {
  TensorType type;
  TensorType act_type;
  int64_t n = 0;
  std::vector<uint8_t> w;
  std::vector<uint8_t> a;
  double exact = 0;       // Σ dequant(w)_i·dequant(a)_i in float64
  double magnitude = 0;   // Σ (|w_i| + 2|min_i|)·|a_i|: bounds every f32 term a kernel forms
  double q8_1_slack = 0;  // Q4_1/Q5_1: bound on |m·s − m·d·Σq| from s's f16 rounding
  int64_t n_blocks = 0;   // blocks (values for F32/F16/BF16) summed in f32
};

inline DotCase MakeDotCase(TensorType type, TensorType act_type, std::span<const uint8_t> w,
                           std::span<const float> x) {
  DotCase c;
  c.type = type;
  c.act_type = act_type;
  c.n = int64_t(x.size());
  c.w.assign(w.begin(), w.end());
  c.a.resize(size_t(c.n / BlockElems(act_type)) * size_t(BlockBytes(act_type)));
  ReferenceOf(act_type).from_float(x.data(), c.a.data(), c.n);
  const std::vector<double> wf = DequantizeRef(type, c.w.data(), c.n);
  const std::vector<double> af = DequantizeRef(act_type, c.a.data(), c.n);
  const std::vector<double> mins = MinMagnitudes(type, c.w.data(), c.n);
  for (size_t i = 0; i < size_t(c.n); ++i) {
    c.exact += wf[i] * af[i];
    c.magnitude += (std::fabs(wf[i]) + 2 * mins[i]) * std::fabs(af[i]);
  }
  c.n_blocks = c.n / BlockElems(type);
  if (act_type == T::kQ8_1) {
    // s = fp16(d·Σq) vs the exact d_f16·Σq: two f16 roundings (of s and of d), each relative
    // 2^-11, or absolute 2^-25 in the subnormal range.
    for (int64_t b = 0; b < c.n / kSmallBlock; ++b) {
      const auto* y = reinterpret_cast<const BlockQ8_1*>(c.a.data()) + b;
      int qsum = 0;
      for (int8_t q : y->qs) qsum += q;
      const double m = mins[size_t(b * kSmallBlock)];
      const double d = std::fabs(F16ToF32(y->d));
      c.q8_1_slack += m * (0x1p-10 * 1.01 * d * std::abs(qsum) + 0x1p-25 * (1 + std::abs(qsum)));
    }
  }
  return c;
}

// How far two f32 evaluations of the same dot product may differ. Every term a kernel adds
// (a per-block d_w·d_a·Σq product, a min term, or for plain floats one product) is bounded by
// `magnitude`; each is formed with a few roundings of relative size u = 2^-24 (d_w·d_a, the
// int → float conversion once a sum passes 2^24, the product, FMA or not) and the f32 sum over
// n_blocks terms adds at most n_blocks·u·Σ|terms| in any order. So one evaluation is within
// (n_blocks + 8)·u·magnitude of the exact value, and two within twice that.
inline double F32DotTolerance(const DotCase& c) {
  return 2.0 * double(c.n_blocks + 8) * 0x1p-24 * c.magnitude;
}

}  // namespace foundry::engine::kernels::test_util
