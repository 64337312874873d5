// SelectKernels / KernelTable / DetectCpu: the reference table when forced to scalar, per-row
// fallback, the geometry and vec_dot_type of every row (formats.md §1.4, §3.1), and nullptr for
// types we cannot compute with.

#include <gtest/gtest.h>

#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using T = TensorType;

CpuFeatures AllFeatures() {
  CpuFeatures cpu;
  cpu.avx2 = cpu.fma = cpu.f16c = true;
  cpu.avx512f = cpu.avx512bw = cpu.avx512vl = cpu.avx512dq = cpu.avx512vnni = true;
  return cpu;
}

TEST(KernelTableTest, ScalarIsTheReference) {
  for (const CpuFeatures& cpu : {DetectCpu(), AllFeatures()}) {
    const KernelTable table = SelectKernels(cpu, Isa::kScalar);
    EXPECT_EQ(table.isa(), Isa::kScalar);
    for (const KernelVariant& ref : IsaVariants(Isa::kScalar)) {
      const QuantOps* ops = table.Get(ref.type);
      ASSERT_NE(ops, nullptr) << TensorTypeName(ref.type);
      EXPECT_EQ(ops->to_float, ref.to_float);
      EXPECT_EQ(ops->from_float, ref.from_float);
      EXPECT_EQ(ops->vec_dot, ref.vec_dot);
    }
  }
}

TEST(KernelTableTest, NoFeaturesMeansScalar) {
  const KernelTable table = SelectKernels(CpuFeatures{});
  EXPECT_EQ(table.isa(), Isa::kScalar);
  EXPECT_EQ(table.Get(T::kQ4_0)->vec_dot, &DotQ4_0Q8_0Ref);
}

// A missing feature anywhere in a level drops the whole level.
TEST(KernelTableTest, BestIsaNeedsEveryFeature) {
  CpuFeatures cpu = AllFeatures();
  EXPECT_EQ(cpu.best(), Isa::kAvx512);
  cpu.avx512vnni = false;
  EXPECT_EQ(cpu.best(), Isa::kAvx2);
  cpu.f16c = false;
  EXPECT_EQ(cpu.best(), Isa::kScalar);
}

// Each row takes the highest level that has a kernel for it, field by field.
TEST(KernelTableTest, RowsFallBackPerField) {
  const KernelTable avx512 = SelectKernels(AllFeatures(), Isa::kAvx512);
  EXPECT_EQ(avx512.isa(), Isa::kAvx512);
  EXPECT_EQ(avx512.Get(T::kQ4_K)->vec_dot, &DotQ4_KQ8_KAvx512);
  EXPECT_EQ(avx512.Get(T::kQ4_1)->vec_dot, &DotQ4_1Q8_1Avx2);      // no AVX-512 variant
  EXPECT_EQ(avx512.Get(T::kQ8_0)->from_float, &QuantizeQ8_0Avx2);  // ditto
  EXPECT_EQ(avx512.Get(T::kQ8_0)->to_float, &DequantizeQ8_0Ref);   // no SIMD dequantizer
  EXPECT_EQ(avx512.Get(T::kF16)->from_float, &QuantizeF16Avx2);
  EXPECT_EQ(avx512.Get(T::kF16)->vec_dot, &DotF16F16Avx512);
  const KernelTable avx2 = SelectKernels(AllFeatures(), Isa::kAvx2);
  EXPECT_EQ(avx2.isa(), Isa::kAvx2);
  EXPECT_EQ(avx2.Get(T::kQ4_K)->vec_dot, &DotQ4_KQ8_KAvx2);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    const KernelTable table = SelectKernels(AllFeatures(), isa);
    for (Isa level = Isa::kAvx2; level <= isa; level = Isa(int(level) + 1)) {
      for (const KernelVariant& v : IsaVariants(level)) {
        bool overridden = false;  // by a higher level up to `isa`
        for (Isa above = Isa(int(level) + 1); above <= isa; above = Isa(int(above) + 1))
          for (const KernelVariant& u : IsaVariants(above))
            overridden |= u.type == v.type && u.vec_dot && v.vec_dot;
        if (v.vec_dot && !overridden) {
          EXPECT_EQ(table.Get(v.type)->vec_dot, v.vec_dot);
        }
      }
    }
  }
}

TEST(KernelTableTest, GeometryAndVecDotTypes) {
  const KernelTable table = SelectKernels(DetectCpu());
  const struct {
    TensorType weight, activation;
  } expected[] = {
      {T::kF32, T::kF32},   {T::kF16, T::kF16},   {T::kBF16, T::kBF16},   {T::kQ8_0, T::kQ8_0},
      {T::kQ4_0, T::kQ8_0}, {T::kQ5_0, T::kQ8_0}, {T::kIQ4_NL, T::kQ8_0}, {T::kQ4_1, T::kQ8_1},
      {T::kQ5_1, T::kQ8_1}, {T::kQ2_K, T::kQ8_K}, {T::kQ3_K, T::kQ8_K},   {T::kQ4_K, T::kQ8_K},
      {T::kQ5_K, T::kQ8_K}, {T::kQ6_K, T::kQ8_K}, {T::kIQ4_XS, T::kQ8_K},
  };
  for (const auto& e : expected) {
    const QuantOps* ops = table.Get(e.weight);
    ASSERT_NE(ops, nullptr) << TensorTypeName(e.weight);
    EXPECT_EQ(ops->type, e.weight);
    EXPECT_EQ(ops->vec_dot_type, e.activation) << TensorTypeName(e.weight);
    EXPECT_NE(ops->vec_dot, nullptr);
    EXPECT_NE(ops->to_float, nullptr);
    const auto info = LookupTensorType(uint32_t(e.weight));
    EXPECT_EQ(ops->block_elems, info->block_elems);
    EXPECT_EQ(ops->block_bytes, info->block_bytes);
    const QuantOps* act = table.Get(e.activation);
    ASSERT_NE(act, nullptr);
    EXPECT_NE(act->from_float, nullptr) << TensorTypeName(e.activation);
  }
  // Activation-only formats: convertible both ways, never a weight.
  for (TensorType t : {T::kQ8_1, T::kQ8_K}) {
    ASSERT_NE(table.Get(t), nullptr);
    EXPECT_EQ(table.Get(t)->vec_dot, nullptr);
    EXPECT_NE(table.Get(t)->to_float, nullptr);
  }
  // Weights without from_float are not activation formats.
  EXPECT_EQ(table.Get(T::kQ4_K)->from_float, nullptr);
}

TEST(KernelTableTest, UnsupportedTypesAreNull) {
  const KernelTable table = SelectKernels(DetectCpu());
  for (TensorType t : {T::kIQ2_XXS, T::kIQ1_S, T::kTQ1_0, T::kMXFP4, T::kI8, T::kF64, T::kQ2_0})
    EXPECT_EQ(table.Get(t), nullptr) << TensorTypeName(t);
  EXPECT_EQ(table.Get(TensorType(4)), nullptr);   // removed id
  EXPECT_EQ(table.Get(TensorType(47)), nullptr);  // last row of the table, unused
  EXPECT_EQ(table.Get(TensorType(48)), nullptr);  // past the table
  EXPECT_EQ(table.Get(TensorType(1000)), nullptr);
}

TEST(KernelTableTest, DetectCpuIsConsistent) {
  const CpuFeatures cpu = DetectCpu();
  const KernelTable table = SelectKernels(cpu);
  EXPECT_EQ(table.isa(), cpu.best());
  EXPECT_EQ(SelectKernels(cpu, Isa::kAvx2).isa(), std::min(cpu.best(), Isa::kAvx2));
  if (cpu.avx512f) {
    EXPECT_TRUE(cpu.avx2) << "every AVX-512 CPU has AVX2";
  }
  RecordProperty("best_isa", std::string(IsaName(cpu.best())));
}

TEST(KernelTableTest, IsaNames) {
  EXPECT_EQ(IsaName(Isa::kScalar), "scalar");
  EXPECT_EQ(IsaName(Isa::kAvx2), "avx2");
  EXPECT_EQ(IsaName(Isa::kAvx512), "avx512");
}

}  // namespace
}  // namespace foundry::engine::kernels
