// (c) Every SIMD kernel this CPU can run against its scalar reference, for every type it
// covers: fixed-seed random blocks, one block, several, odd counts, and edge blocks (zero scale,
// largest scale, every code value), with random, saturating (every activation code ±127) and
// mixed activations. Quantizers and dequantizers must match bit for bit (no ISA has a
// dequantizer of its own yet: to_float only serves the one-row-per-token embedding lookup, and
// F16C would quiet signalling NaNs that F16ToF32 keeps). Dot products must agree within
// test_util::F32DotTolerance: the integer inner sums are exact in every variant, so the only
// differences are f32 roundings of the per-block products and of the order of the f32 sum.
// (f) An ISA the CPU lacks is skipped, naming the missing features.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {

// GoogleTest prints parameters with this (found by argument-dependent lookup).
void PrintTo(Isa isa, std::ostream* os) { *os << IsaName(isa); }

namespace {

using test_util::ActKind;
using test_util::BlockKind;
using test_util::DotCase;
using test_util::MakeActivations;
using test_util::MakeBlocks;
using test_util::MakeDotCase;
using test_util::ReferenceOf;

// The features an ISA level needs that the CPU lacks ("" when it has them all).
std::string MissingFeatures(const CpuFeatures& cpu, Isa isa) {
  std::string missing;
  auto need = [&](bool has, const char* name) {
    if (!has) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  if (isa >= Isa::kAvx2) {
    need(cpu.avx2, "avx2");
    need(cpu.fma, "fma");
    need(cpu.f16c, "f16c");
  }
  if (isa >= Isa::kAvx512) {
    need(cpu.avx512f, "avx512f");
    need(cpu.avx512bw, "avx512bw");
    need(cpu.avx512vl, "avx512vl");
    need(cpu.avx512dq, "avx512dq");
    need(cpu.avx512vnni, "avx512vnni");
  }
  return missing;
}

class SimdVariantTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    const std::string missing = MissingFeatures(DetectCpu(), GetParam());
    if (!missing.empty()) {
      GTEST_SKIP() << "this CPU lacks " << missing << ", needed by the " << IsaName(GetParam())
                   << " kernels";
    }
  }
};

// Lengths in blocks: one, several, odd counts (and the odd tail of two-block AVX-512 loops).
constexpr int64_t kBlockCounts[] = {1, 2, 3, 5, 8, 17};
// Plain float types have one-value "blocks": lengths around the 8/16/32/64-wide loops and tails.
constexpr int64_t kFloatLengths[] = {1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000};

TEST_P(SimdVariantTest, VecDotMatchesReference) {
  const KernelTable reference = SelectKernels(DetectCpu(), Isa::kScalar);
  int checked = 0;
  for (const KernelVariant& v : IsaVariants(GetParam())) {
    if (!v.vec_dot) continue;
    const QuantOps* ops = reference.Get(v.type);
    ASSERT_NE(ops, nullptr);
    const int be = ops->block_elems;
    std::vector<int64_t> lengths;
    if (be == 1) {
      lengths.assign(std::begin(kFloatLengths), std::end(kFloatLengths));
    } else {
      for (int64_t nb : kBlockCounts) lengths.push_back(nb * be);
    }
    // A code sweep needs 256 code bytes; make one long case for it.
    lengths.push_back(be == 1 ? 65536 : (256 / (ops->block_bytes - 4) + 2) * be);
    std::mt19937 rng(uint32_t(v.type) * 1000 + 17);
    for (int64_t n : lengths) {
      for (BlockKind kind : {BlockKind::kRandom, BlockKind::kZeroScale, BlockKind::kMaxScale,
                             BlockKind::kCodeSweep}) {
        for (ActKind act : {ActKind::kNormal, ActKind::kSaturating, ActKind::kMixed}) {
          const auto w = MakeBlocks(v.type, n / be, kind, rng);
          const auto x = MakeActivations(n, act, rng);
          const DotCase c = MakeDotCase(v.type, ops->vec_dot_type, w, x);
          const float ref = ReferenceOf(v.type).vec_dot(n, c.w.data(), c.a.data());
          const float got = v.vec_dot(n, c.w.data(), c.a.data());
          ASSERT_TRUE(std::isfinite(ref)) << TensorTypeName(v.type) << " n=" << n << " "
                                          << test_util::KindName(kind) << " act=" << int(act);
          ASSERT_LE(std::fabs(double(got) - double(ref)), test_util::F32DotTolerance(c))
              << TensorTypeName(v.type) << " n=" << n << " " << test_util::KindName(kind)
              << " act=" << int(act) << " ref=" << ref << " got=" << got
              << " magnitude=" << c.magnitude;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 0) << "no vec_dot variants for " << IsaName(GetParam());
}

// Activation quantizers: bit for bit, on random rows of several scales, ±ties, zero blocks and
// rows whose largest |x| occurs twice with opposite signs.
TEST_P(SimdVariantTest, FromFloatMatchesReferenceBitForBit) {
  int variants = 0;
  for (const KernelVariant& v : IsaVariants(GetParam())) {
    if (!v.from_float) continue;
    ++variants;
    const int be = test_util::BlockElems(v.type), bb = test_util::BlockBytes(v.type);
    std::mt19937 rng(uint32_t(v.type) + 99);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> small(-300, 300);
    for (int64_t n_blocks : {1, 2, 3, 7, 40}) {
      const int64_t n = n_blocks * (be == 1 ? 37 : be);  // odd lengths for the plain floats
      for (int pattern = 0; pattern < 4; ++pattern) {
        std::vector<float> x(static_cast<size_t>(n));
        for (size_t i = 0; i < x.size(); ++i) {
          switch (pattern) {
            case 0:  // magnitudes spread over several decades
              x[i] = normal(rng) * std::exp2(float(int(i / 32) % 20 - 10));
              break;
            case 1:  // halves: x·id lands on .5 ties when amax makes id a power of two
              x[i] = float(small(rng)) * 0.5f;
              break;
            case 2:  // zero blocks alternating with ±equal maxima
              x[i] = (i / 32) % 2 ? 0.0f : ((i % 7 == 0) ? ((i / 7) % 2 ? 4.0f : -4.0f) : 1.0f);
              break;
            default:  // tiny values (f16 subnormal scales)
              x[i] = normal(rng) * 1e-6f;
              break;
          }
        }
        const size_t bytes = size_t(n / be) * size_t(bb);
        std::vector<uint8_t> want(bytes, 0xAA), got(bytes, 0x55);
        ReferenceOf(v.type).from_float(x.data(), want.data(), n);
        v.from_float(x.data(), got.data(), n);
        ASSERT_EQ(std::memcmp(want.data(), got.data(), bytes), 0)
            << TensorTypeName(v.type) << " n=" << n << " pattern " << pattern;
      }
    }
  }
  if (variants == 0) {
    // No quantizers of its own: every row must use the lower level's (tested there).
    const Isa lower = Isa(int(GetParam()) - 1);
    const KernelTable here = SelectKernels(DetectCpu(), GetParam());
    const KernelTable below = SelectKernels(DetectCpu(), lower);
    for (uint32_t id = 0; id < 48; ++id) {
      const QuantOps* a = here.Get(TensorType(id));
      if (a) {
        EXPECT_EQ(a->from_float, below.Get(TensorType(id))->from_float) << id;
      }
    }
  }
}

// Dequantizers, where an ISA has its own: bit for bit on random and edge blocks.
TEST_P(SimdVariantTest, ToFloatMatchesReferenceBitForBit) {
  int variants = 0;
  for (const KernelVariant& v : IsaVariants(GetParam())) {
    if (!v.to_float) continue;
    ++variants;
    const int be = test_util::BlockElems(v.type);
    std::mt19937 rng(uint32_t(v.type) + 5);
    for (BlockKind kind : {BlockKind::kRandom, BlockKind::kMaxScale, BlockKind::kCodeSweep}) {
      const int64_t nb = 40;
      const auto w = MakeBlocks(v.type, nb, kind, rng);
      std::vector<float> want(static_cast<size_t>(nb * be)), got(want.size());
      ReferenceOf(v.type).to_float(w.data(), want.data(), nb * be);
      v.to_float(w.data(), got.data(), nb * be);
      ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
          << TensorTypeName(v.type);
    }
  }
  if (variants == 0) {
    // No dequantizers of its own: every row must use the reference to_float.
    const KernelTable here = SelectKernels(DetectCpu(), GetParam());
    const KernelTable ref = SelectKernels(DetectCpu(), Isa::kScalar);
    for (uint32_t id = 0; id < 48; ++id) {
      const QuantOps* a = here.Get(TensorType(id));
      if (a) {
        EXPECT_EQ(a->to_float, ref.Get(TensorType(id))->to_float) << id;
      }
    }
  }
}

// The AVX-512 list may cover fewer types than AVX2 (rows fall back per type), but every SIMD
// ISA must at least provide the kernels the issue requires.
TEST_P(SimdVariantTest, CoversRequiredTypes) {
  std::vector<TensorType> required;
  if (GetParam() == Isa::kAvx2) {
    required.assign(std::begin(test_util::kWeightTypes), std::end(test_util::kWeightTypes));
  } else {
    required = {TensorType::kF32,  TensorType::kF16,  TensorType::kQ8_0,
                TensorType::kQ4_0, TensorType::kQ4_K, TensorType::kQ6_K};
  }
  for (TensorType t : required) {
    bool found = false;
    for (const KernelVariant& v : IsaVariants(GetParam())) found |= v.type == t && v.vec_dot;
    EXPECT_TRUE(found) << IsaName(GetParam()) << " has no vec_dot for " << TensorTypeName(t);
  }
  if (GetParam() == Isa::kAvx2) {
    for (TensorType t :
         {TensorType::kQ8_0, TensorType::kQ8_1, TensorType::kQ8_K, TensorType::kF16}) {
      bool found = false;
      for (const KernelVariant& v : IsaVariants(GetParam())) found |= v.type == t && v.from_float;
      EXPECT_TRUE(found) << "avx2 has no from_float for " << TensorTypeName(t);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, SimdVariantTest, ::testing::Values(Isa::kAvx2, Isa::kAvx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(IsaName(info.param));
                         });

}  // namespace
}  // namespace foundry::engine::kernels
