#pragma once
// Architectures as data: one ArchSpec row per supported `general.architecture`.
//
// A row holds everything that varies between the families the forward pass supports; the loader
// resolves it once into Hparams and LayerWeights, so the forward pass never compares an
// architecture name. Adding a family = a row here (plus, only where the math truly differs, a
// field and a branch in forward.cc) and a golden test. See docs/architecture.md.

#include <optional>
#include <string_view>

namespace foundry::engine {

enum class RopeStyle {
  kNormal,  // rotate adjacent pairs (v[2i], v[2i+1]) — llama's GGUF q/k are pre-permuted for this
  kNeox,    // rotate (v[i], v[i + n_rot/2])
};

enum class Activation {
  kSilu,      // SwiGLU: down(silu(gate·h) ⊙ up·h)
  kGeluTanh,  // GeGLU with tanh-approximated GELU (gemma)
};

// How the attention scale is applied.
enum class AttnScale {
  kScores,        // softmax(q·k / sqrt(head_dim))                — llama, qwen2, qwen3
  kQueryHeadDim,  // q /= sqrt(head_dim), then softmax(q·k)         — phi3
  kQueryGemma,    // q *= 1/sqrt(head_dim) (1/sqrt(n_embd/n_head) for 62-layer gemma3 27B)
};

struct ArchSpec {
  std::string_view name;                 // value of general.architecture
  RopeStyle rope = RopeStyle::kNeox;
  Activation act = Activation::kSilu;
  AttnScale attn_scale = AttnScale::kScores;
  bool embd_scale = false;               // x = token_embd[t] · sqrt(n_embd)           (gemma)
  bool qk_norm = false;                  // per-head RMSNorm of q and k before RoPE    (qwen3, gemma3)
  bool post_norms = false;               // RMSNorm of attention and FFN outputs       (gemma3)
  bool sliding_window = false;           // reads attention.sliding_window(_pattern)   (gemma3)
  bool rope_dims_equal_head_dim = true;  // reference rejects n_rot != head_dim        (not phi3)
  bool logit_softcap = false;            // final_logit_softcapping                    (gemma3)
};

// The row for `general.architecture`, or nullopt if unsupported.
std::optional<ArchSpec> FindArch(std::string_view name);

// Comma-separated names of all supported architectures (for error messages).
std::string_view SupportedArchNames();

}  // namespace foundry::engine
