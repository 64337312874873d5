// (d) The reference dot product of every weight type against a float64 sum of the dequantized
// operands, Σ dequant(w)_i·dequant(a)_i, with a converted by the reference from_float.
//
// Tolerance: F32DotTolerance (each f32 term a kernel forms is bounded by Σ(|w|+2|min|)·|a| and
// carries a few roundings of 2^-24, the f32 sum adds n_blocks of them; the dequantized values
// themselves are exact or within one rounding of the true value) plus, for Q4_1/Q5_1, the known
// deviation of the reference: its min term uses the f16-rounded s = fp16(d·Σq) instead of
// d_f16·Σq (formats.md §3.3), bounded per block by |m|·2^-10·|d·Σq|.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using test_util::ActKind;
using test_util::BlockKind;
using test_util::DotCase;

TEST(VecDotReferenceTest, MatchesFloat64SumOfDequantizedValues) {
  const KernelTable table = SelectKernels(DetectCpu(), Isa::kScalar);
  for (TensorType type : test_util::kWeightTypes) {
    const QuantOps* ops = table.Get(type);
    ASSERT_NE(ops, nullptr) << TensorTypeName(type);
    const int be = ops->block_elems;
    std::mt19937 rng(uint32_t(type) + 42);
    for (int64_t nb : {1, 3, 8, 33}) {
      const int64_t n = be == 1 ? nb * 31 : nb * be;
      for (BlockKind kind : {BlockKind::kRandom, BlockKind::kZeroScale, BlockKind::kMaxScale,
                             BlockKind::kCodeSweep}) {
        for (ActKind act : {ActKind::kNormal, ActKind::kSaturating, ActKind::kMixed}) {
          const auto w = test_util::MakeBlocks(type, n / be, kind, rng);
          const auto x = test_util::MakeActivations(n, act, rng);
          const DotCase c = test_util::MakeDotCase(type, ops->vec_dot_type, w, x);
          const double got = ops->vec_dot(n, c.w.data(), c.a.data());
          const double tol = test_util::F32DotTolerance(c) + c.q8_1_slack;
          ASSERT_LE(std::fabs(got - c.exact), tol)
              << TensorTypeName(type) << " n=" << n << " " << test_util::KindName(kind)
              << " act=" << int(act) << " exact=" << c.exact << " magnitude=" << c.magnitude;
        }
      }
    }
  }
}

// The tolerance above is not vacuous: on ordinary data it is a small fraction of the result.
TEST(VecDotReferenceTest, ToleranceIsTight) {
  const KernelTable table = SelectKernels(DetectCpu(), Isa::kScalar);
  std::mt19937 rng(1);
  for (TensorType type : test_util::kWeightTypes) {
    const QuantOps* ops = table.Get(type);
    const int64_t n = 8 * 256;
    const auto w = test_util::MakeBlocks(type, n / ops->block_elems, BlockKind::kRandom, rng);
    auto x = test_util::MakeActivations(n, ActKind::kNormal, rng);
    const DotCase c = test_util::MakeDotCase(type, ops->vec_dot_type, w, x);
    EXPECT_LT(test_util::F32DotTolerance(c), 1e-3 * c.magnitude) << TensorTypeName(type);
  }
}

}  // namespace
}  // namespace foundry::engine::kernels
