#pragma once
// Synthetic models: random-weight GGUF files with the exact tensor shapes, metadata and
// quantization recipe of a known model, with the tokenizer copied from a vocab GGUF — so speed
// work needs no download (speed does not depend on weight values).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::runtime {

struct SynthOptions {
  std::string shape;               // one of SynthShapeNames(), e.g. "qwen2.5-0.5b"
  std::string type;                // f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k_m q4_k_s
                                   // q4_k_m q5_k_s q5_k_m q6_k iq4_nl iq4_xs
  std::filesystem::path vocab;     // GGUF whose tokenizer.* keys are copied
  std::filesystem::path output;
  uint64_t seed = 1;
  uint32_t n_layer_override = 0;   // 0: the real layer count (tests use fewer)
};

struct SynthReport {
  uint64_t n_params = 0;
  uint64_t file_bytes = 0;
  std::vector<std::pair<std::string, int>> type_counts;  // tensor type name -> tensors
};

std::vector<std::string_view> SynthShapeNames();
std::vector<std::string_view> SynthTypeNames();

// kInvalidArgument: unknown shape/type or an unusable vocab file; kUnavailable: write errors.
// The file is written under a temporary name and renamed, so failures leave nothing behind.
Result<SynthReport> WriteSynthModel(const SynthOptions& options);

}  // namespace foundry::runtime
