#include "foundry/engine/arch.h"

namespace foundry::engine {
namespace {

// ../shared/reference/formats.md §5. Fields not named take the ArchSpec defaults.
constexpr ArchSpec kArchs[] = {
    {.name = "llama", .rope = RopeStyle::kNormal},
    {.name = "qwen2"},
    {.name = "qwen3", .qk_norm = true},
    {.name = "phi3", .attn_scale = AttnScale::kQueryHeadDim, .rope_dims_equal_head_dim = false},
    {.name = "gemma3",
     .act = Activation::kGeluTanh,
     .attn_scale = AttnScale::kQueryGemma,
     .embd_scale = true,
     .qk_norm = true,
     .post_norms = true,
     .sliding_window = true,
     .logit_softcap = true},
};

}  // namespace

std::optional<ArchSpec> FindArch(std::string_view name) {
  for (const ArchSpec& a : kArchs)
    if (a.name == name) return a;
  return std::nullopt;
}

std::string_view SupportedArchNames() { return "llama, qwen2, qwen3, phi3, gemma3"; }

}  // namespace foundry::engine
