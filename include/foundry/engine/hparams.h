#pragma once
// Hparams: the hyperparameters of a loaded model, parsed once from GGUF metadata
// (`{arch}.*` keys, ../shared/reference/formats.md §5.1) and validated. Immutable afterwards.

#include <cstdint>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/arch.h"
#include "foundry/engine/gguf/gguf_file.h"

namespace foundry::engine {

enum class RopeScaling { kNone, kLinear, kYarn, kLongRope };

struct Hparams {
  uint32_t n_vocab = 0;      // length of tokenizer.ggml.tokens
  uint32_t n_ctx_train = 0;  // context length the model was trained for
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;    // n_head % n_head_kv == 0 (grouped-query attention)
  uint32_t head_dim_k = 0;   // key_length, default n_embd / n_head
  uint32_t head_dim_v = 0;   // value_length, default n_embd / n_head
  uint32_t n_rot = 0;        // rotated dims per head (<= head_dim_k)
  uint32_t n_ff = 0;
  float rms_eps = 1e-5f;

  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;      // 1 / rope.scaling.factor
  float rope_attn_factor = 1.0f;     // multiplies cos/sin
  RopeScaling rope_scaling = RopeScaling::kLinear;
  uint32_t n_ctx_orig = 0;           // rope.scaling.original_context_length (YaRN, LongRoPE)

  // Sliding-window attention (gemma3): layer il is sliding iff is_swa[il]; a query at position p
  // sees keys p - n_swa + 1 ... p on those layers, which use rope_freq_base_swa and no scaling.
  uint32_t n_swa = 0;
  std::vector<bool> is_swa;          // [n_layer]
  float rope_freq_base_swa = 10000.0f;

  float final_logit_softcap = 0.0f;  // 0 = off

  uint32_t n_embd_q() const { return n_head * head_dim_k; }
  uint32_t n_embd_k_gqa() const { return n_head_kv * head_dim_k; }
  uint32_t n_embd_v_gqa() const { return n_head_kv * head_dim_v; }
  // Positions per sequence when the caller asks for none (LoadOptions / ContextOptions n_ctx =
  // 0): the training context, at most 4096 (a 128k-context model would otherwise reserve a KV
  // cache for all of it). One definition, so the LongRoPE factors chosen at load match the
  // context the model then runs with.
  uint32_t default_n_ctx() const { return n_ctx_train < 4096 ? n_ctx_train : 4096; }

  // kInvalidArgument naming the key for missing/out-of-range values; kUnimplemented for
  // per-layer head/FFN arrays that vary between layers or unknown RoPE scaling types.
  static Result<Hparams> FromGguf(const GgufFile& file, const ArchSpec& arch, uint32_t n_vocab);
};

}  // namespace foundry::engine
