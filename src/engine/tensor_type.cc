#include "foundry/engine/tensor_type.h"

namespace foundry::engine {
namespace {

using T = TensorType;
// ../shared/reference/formats.md §1.4.
constexpr TensorTypeInfo kTypes[] = {
    {T::kF32, "F32", 1, 4},          {T::kF16, "F16", 1, 2},
    {T::kQ4_0, "Q4_0", 32, 18},      {T::kQ4_1, "Q4_1", 32, 20},
    {T::kQ5_0, "Q5_0", 32, 22},      {T::kQ5_1, "Q5_1", 32, 24},
    {T::kQ8_0, "Q8_0", 32, 34},      {T::kQ8_1, "Q8_1", 32, 36},
    {T::kQ2_K, "Q2_K", 256, 84},     {T::kQ3_K, "Q3_K", 256, 110},
    {T::kQ4_K, "Q4_K", 256, 144},    {T::kQ5_K, "Q5_K", 256, 176},
    {T::kQ6_K, "Q6_K", 256, 210},    {T::kQ8_K, "Q8_K", 256, 292},
    {T::kIQ2_XXS, "IQ2_XXS", 256, 66}, {T::kIQ2_XS, "IQ2_XS", 256, 74},
    {T::kIQ3_XXS, "IQ3_XXS", 256, 98}, {T::kIQ1_S, "IQ1_S", 256, 50},
    {T::kIQ4_NL, "IQ4_NL", 32, 18},  {T::kIQ3_S, "IQ3_S", 256, 110},
    {T::kIQ2_S, "IQ2_S", 256, 82},   {T::kIQ4_XS, "IQ4_XS", 256, 136},
    {T::kI8, "I8", 1, 1},            {T::kI16, "I16", 1, 2},
    {T::kI32, "I32", 1, 4},          {T::kI64, "I64", 1, 8},
    {T::kF64, "F64", 1, 8},          {T::kIQ1_M, "IQ1_M", 256, 56},
    {T::kBF16, "BF16", 1, 2},        {T::kTQ1_0, "TQ1_0", 256, 54},
    {T::kTQ2_0, "TQ2_0", 256, 66},   {T::kMXFP4, "MXFP4", 32, 17},
    {T::kNVFP4, "NVFP4", 64, 36},    {T::kQ1_0, "Q1_0", 128, 18},
    {T::kQ2_0, "Q2_0", 64, 18},
};

}  // namespace

std::optional<TensorTypeInfo> LookupTensorType(uint32_t id) {
  for (const auto& t : kTypes)
    if (uint32_t(t.type) == id) return t;
  return std::nullopt;
}

std::string_view TensorTypeName(TensorType type) {
  auto info = LookupTensorType(uint32_t(type));
  return info ? info->name : std::string_view("unknown");
}

}  // namespace foundry::engine
