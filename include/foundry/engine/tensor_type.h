#pragma once
// Tensor element types as numbered by GGUF/ggml, with their block geometry.
//
// A quantized type stores `block_elems` consecutive row values in `block_bytes` bytes; rows are a
// whole number of blocks (see docs/formats.md and ../shared/reference/formats.md §1.4, §2).

#include <cstdint>
#include <optional>
#include <string_view>

namespace foundry::engine {

enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
  kNVFP4 = 40,
  kQ1_0 = 41,
  kQ2_0 = 42,
};

struct TensorTypeInfo {
  TensorType type;
  std::string_view name;  // "Q4_K", as llama.cpp prints it
  int block_elems;        // values per block (1 for plain types)
  int block_bytes;        // bytes per block
};

// Geometry of a ggml type id; nullopt for removed or unknown ids (4, 5, 31-33, 36-38, >= 43).
std::optional<TensorTypeInfo> LookupTensorType(uint32_t id);

// Name for printing ("Q4_K"); "type<id>" for unknown ids.
std::string_view TensorTypeName(TensorType type);

}  // namespace foundry::engine
