// The per-ISA kernel lists and SelectKernels(), which overlays them into a KernelTable.

#include <algorithm>

#include "engine/kernels/packed.h"
#include "engine/kernels/variants.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using T = TensorType;

// Every supported type with its reference kernels. Weight types follow formats.md §3.1 for their
// activation format (vec_dot_type, in kVecDotTypes below).
constexpr KernelVariant kReference[] = {
    {T::kF32, DequantizeF32Ref, QuantizeF32Ref, DotF32F32Ref},
    {T::kF16, DequantizeF16Ref, QuantizeF16Ref, DotF16F16Ref},
    {T::kBF16, DequantizeBF16Ref, QuantizeBF16Ref, DotBF16BF16Ref},
    {T::kQ8_0, DequantizeQ8_0Ref, QuantizeQ8_0Ref, DotQ8_0Q8_0Ref},
    {T::kQ8_1, DequantizeQ8_1Ref, QuantizeQ8_1Ref, nullptr},
    {T::kQ8_K, DequantizeQ8_KRef, QuantizeQ8_KRef, nullptr},
    {T::kQ4_0, DequantizeQ4_0Ref, nullptr, DotQ4_0Q8_0Ref},
    {T::kQ4_1, DequantizeQ4_1Ref, nullptr, DotQ4_1Q8_1Ref},
    {T::kQ5_0, DequantizeQ5_0Ref, nullptr, DotQ5_0Q8_0Ref},
    {T::kQ5_1, DequantizeQ5_1Ref, nullptr, DotQ5_1Q8_1Ref},
    {T::kQ2_K, DequantizeQ2_KRef, nullptr, DotQ2_KQ8_KRef},
    {T::kQ3_K, DequantizeQ3_KRef, nullptr, DotQ3_KQ8_KRef},
    {T::kQ4_K, DequantizeQ4_KRef, nullptr, DotQ4_KQ8_KRef},
    {T::kQ5_K, DequantizeQ5_KRef, nullptr, DotQ5_KQ8_KRef},
    {T::kQ6_K, DequantizeQ6_KRef, nullptr, DotQ6_KQ8_KRef},
    {T::kIQ4_NL, DequantizeIQ4_NLRef, nullptr, DotIQ4_NLQ8_0Ref},
    {T::kIQ4_XS, DequantizeIQ4_XSRef, nullptr, DotIQ4_XSQ8_KRef},
};

constexpr KernelVariant kAvx2[] = {
    {T::kF32, nullptr, nullptr, DotF32F32Avx2},
    {T::kF16, nullptr, QuantizeF16Avx2, DotF16F16Avx2},
    {T::kBF16, nullptr, nullptr, DotBF16BF16Avx2},
    {T::kQ8_0, nullptr, QuantizeQ8_0Avx2, DotQ8_0Q8_0Avx2, GemmQ8_0PackedAvx2},
    {T::kQ8_1, nullptr, QuantizeQ8_1Avx2, nullptr},
    {T::kQ8_K, nullptr, QuantizeQ8_KAvx2, nullptr},
    {T::kQ4_0, nullptr, nullptr, DotQ4_0Q8_0Avx2, GemmQ4_0PackedAvx2},
    {T::kQ4_1, nullptr, nullptr, DotQ4_1Q8_1Avx2},
    {T::kQ5_0, nullptr, nullptr, DotQ5_0Q8_0Avx2, GemmQ5_0PackedAvx2},
    {T::kQ5_1, nullptr, nullptr, DotQ5_1Q8_1Avx2},
    {T::kQ2_K, nullptr, nullptr, DotQ2_KQ8_KAvx2},
    {T::kQ3_K, nullptr, nullptr, DotQ3_KQ8_KAvx2},
    {T::kQ4_K, nullptr, nullptr, DotQ4_KQ8_KAvx2, GemmQ4_KPackedAvx2},
    {T::kQ5_K, nullptr, nullptr, DotQ5_KQ8_KAvx2},
    {T::kQ6_K, nullptr, nullptr, DotQ6_KQ8_KAvx2, GemmQ6_KPackedAvx2},
    {T::kIQ4_NL, nullptr, nullptr, DotIQ4_NLQ8_0Avx2},
    {T::kIQ4_XS, nullptr, nullptr, DotIQ4_XSQ8_KAvx2},
};

constexpr KernelVariant kAvx512[] = {
    {T::kF32, nullptr, nullptr, DotF32F32Avx512},
    {T::kF16, nullptr, nullptr, DotF16F16Avx512},
    {T::kQ8_0, nullptr, nullptr, DotQ8_0Q8_0Avx512, GemmQ8_0PackedAvx512},
    {T::kQ4_0, nullptr, nullptr, DotQ4_0Q8_0Avx512, GemmQ4_0PackedAvx512},
    {T::kQ5_0, nullptr, nullptr, nullptr, GemmQ5_0PackedAvx512},
    {T::kQ4_K, nullptr, nullptr, DotQ4_KQ8_KAvx512, GemmQ4_KPackedAvx512},
    {T::kQ5_K, nullptr, nullptr, DotQ5_KQ8_KAvx512},
    {T::kQ6_K, nullptr, nullptr, DotQ6_KQ8_KAvx512, GemmQ6_KPackedAvx512},
};

// formats.md §3.1: the format an activation row is converted to before the dot product.
struct VecDotType {
  TensorType weight;
  TensorType activation;
};
constexpr VecDotType kVecDotTypes[] = {
    {T::kF32, T::kF32},     {T::kF16, T::kF16},   {T::kBF16, T::kBF16}, {T::kQ8_0, T::kQ8_0},
    {T::kQ8_1, T::kQ8_1},   {T::kQ8_K, T::kQ8_K}, {T::kQ4_0, T::kQ8_0}, {T::kQ4_1, T::kQ8_1},
    {T::kQ5_0, T::kQ8_0},   {T::kQ5_1, T::kQ8_1}, {T::kQ2_K, T::kQ8_K}, {T::kQ3_K, T::kQ8_K},
    {T::kQ4_K, T::kQ8_K},   {T::kQ5_K, T::kQ8_K}, {T::kQ6_K, T::kQ8_K}, {T::kIQ4_NL, T::kQ8_0},
    {T::kIQ4_XS, T::kQ8_K},
};

TensorType VecDotTypeOf(TensorType weight) {
  for (const auto& v : kVecDotTypes)
    if (v.weight == weight) return v.activation;
  return weight;  // unreachable for the types in kReference (checked by the tests)
}

}  // namespace

std::span<const KernelVariant> IsaVariants(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return kReference;
    case Isa::kAvx2:
      return kAvx2;
    case Isa::kAvx512:
      return kAvx512;
  }
  return {};
}

const QuantOps* KernelTable::Get(TensorType type) const {
  const auto id = uint32_t(type);
  if (id >= uint32_t(kMaxTypes) || ops_[id].to_float == nullptr) return nullptr;
  return &ops_[id];
}

KernelTable SelectKernels(const CpuFeatures& cpu, Isa max_isa) {
  const Isa isa = std::min(cpu.best(), max_isa);
  KernelTable table;
  table.isa_ = isa;
  for (const KernelVariant& v : kReference) {
    const auto info = LookupTensorType(uint32_t(v.type));
    QuantOps& ops = table.ops_[uint32_t(v.type)];
    ops.type = v.type;
    ops.block_elems = info->block_elems;
    ops.block_bytes = info->block_bytes;
    ops.vec_dot_type = VecDotTypeOf(v.type);
    ops.to_float = v.to_float;
    ops.from_float = v.from_float;
    ops.vec_dot = v.vec_dot;
  }
  // Overlay each ISA up to `isa`: a row keeps the lower level's function wherever a level has
  // none, so every row falls back to AVX2, then to the reference, on its own.
  for (Isa level : {Isa::kAvx2, Isa::kAvx512}) {
    if (level > isa) break;
    for (const KernelVariant& v : IsaVariants(level)) {
      QuantOps& ops = table.ops_[uint32_t(v.type)];
      if (v.to_float) ops.to_float = v.to_float;
      if (v.from_float) ops.from_float = v.from_float;
      if (v.vec_dot) ops.vec_dot = v.vec_dot;
      if (v.packed_gemm) ops.packed_gemm = v.packed_gemm;
    }
  }
  // A packed kernel brings its type's layout (ISA-independent) with it.
  for (QuantOps& ops : table.ops_) {
    if (ops.packed_gemm) ops.packed = FindPackedFormat(ops.type);
  }
  return table;
}

}  // namespace foundry::engine::kernels
