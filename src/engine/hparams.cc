#include "foundry/engine/hparams.h"

#include <string>

namespace foundry::engine {
namespace {

// Sanity bounds: generous for real models, tight enough to reject garbage before it sizes
// buffers.
constexpr uint32_t kMaxLayers = 1024;
constexpr uint32_t kMaxEmbd = 1 << 17;
constexpr uint32_t kMaxHeads = 1 << 12;

// A u32 key, or an array of per-layer values that must all be equal.
Result<uint32_t> GetUniformU32(const GgufFile& f, const std::string& key, uint32_t fallback) {
  const GgufValue* v = f.Find(key);
  if (!v) return fallback;
  if (v->type != GgufType::kArray) return f.GetU32(key);
  if (v->count == 0 || v->elem_type == GgufType::kString || v->elem_type == GgufType::kArray)
    return Status::InvalidArgument("metadata '" + key + "' is not a per-layer integer array");
  int64_t first = v->ArrayInt(0);
  for (uint64_t i = 1; i < v->count; ++i)
    if (v->ArrayInt(i) != first)
      return Status::Unimplemented("metadata '" + key +
                                   "' varies between layers, which this engine does not support");
  if (first < 0 || first > int64_t(UINT32_MAX))
    return Status::InvalidArgument("metadata '" + key + "' out of range");
  return uint32_t(first);
}

Status Range(const char* what, uint32_t v, uint32_t lo, uint32_t hi) {
  if (v < lo || v > hi)
    return Status::InvalidArgument(std::string(what) + " = " + std::to_string(v) +
                                   " is out of range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
  return Status::Ok();
}

}  // namespace

Result<Hparams> Hparams::FromGguf(const GgufFile& f, const ArchSpec& arch, uint32_t n_vocab) {
  const std::string a = std::string(arch.name) + ".";
  Hparams hp;
  hp.n_vocab = n_vocab;
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_ctx_train, f.GetU32(a + "context_length"));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_embd, f.GetU32(a + "embedding_length"));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_layer, f.GetU32(a + "block_count"));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_ff, GetUniformU32(f, a + "feed_forward_length", 0));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_head, GetUniformU32(f, a + "attention.head_count", 0));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_head_kv, GetUniformU32(f, a + "attention.head_count_kv", hp.n_head));
  FOUNDRY_RETURN_IF_ERROR(Range("embedding_length", hp.n_embd, 1, kMaxEmbd));
  FOUNDRY_RETURN_IF_ERROR(Range("block_count", hp.n_layer, 1, kMaxLayers));
  FOUNDRY_RETURN_IF_ERROR(Range("attention.head_count", hp.n_head, 1, kMaxHeads));
  FOUNDRY_RETURN_IF_ERROR(Range("attention.head_count_kv", hp.n_head_kv, 1, hp.n_head));
  FOUNDRY_RETURN_IF_ERROR(Range("feed_forward_length", hp.n_ff, 1, 1u << 20));
  FOUNDRY_RETURN_IF_ERROR(Range("context_length", hp.n_ctx_train, 1, 1u << 24));
  if (hp.n_head % hp.n_head_kv != 0)
    return Status::InvalidArgument("attention.head_count (" + std::to_string(hp.n_head) +
                                   ") is not a multiple of head_count_kv (" +
                                   std::to_string(hp.n_head_kv) + ")");
  FOUNDRY_ASSIGN_OR_RETURN(hp.head_dim_k, f.GetU32Or(a + "attention.key_length", hp.n_embd / hp.n_head));
  FOUNDRY_ASSIGN_OR_RETURN(hp.head_dim_v, f.GetU32Or(a + "attention.value_length", hp.n_embd / hp.n_head));
  FOUNDRY_RETURN_IF_ERROR(Range("attention.key_length", hp.head_dim_k, 1, 4096));
  FOUNDRY_RETURN_IF_ERROR(Range("attention.value_length", hp.head_dim_v, 1, 4096));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_rot, f.GetU32Or(a + "rope.dimension_count", hp.head_dim_k));
  FOUNDRY_RETURN_IF_ERROR(Range("rope.dimension_count", hp.n_rot, 0, hp.head_dim_k));
  if (hp.n_rot % 2 != 0) return Status::InvalidArgument("rope.dimension_count must be even");
  if (arch.rope_dims_equal_head_dim && (hp.n_rot != hp.head_dim_k || hp.head_dim_k != hp.head_dim_v))
    return Status::InvalidArgument(std::string(arch.name) +
                                   " requires rope.dimension_count == key_length == value_length");
  if (hp.head_dim_k != hp.head_dim_v)
    return Status::Unimplemented("key_length != value_length is not supported");

  FOUNDRY_ASSIGN_OR_RETURN(hp.rms_eps, f.GetF32(a + "attention.layer_norm_rms_epsilon"));
  if (!(hp.rms_eps > 0 && hp.rms_eps < 1))
    return Status::InvalidArgument("attention.layer_norm_rms_epsilon out of range");
  FOUNDRY_ASSIGN_OR_RETURN(hp.rope_freq_base, f.GetF32Or(a + "rope.freq_base", 10000.0f));
  if (!(hp.rope_freq_base > 1)) return Status::InvalidArgument("rope.freq_base must be > 1");

  if (const GgufValue* t = f.Find(a + "rope.scaling.type")) {
    auto s = t->AsString();
    if (!s) return Status::InvalidArgument("rope.scaling.type must be a string");
    if (*s == "none") hp.rope_scaling = RopeScaling::kNone;
    else if (*s == "linear") hp.rope_scaling = RopeScaling::kLinear;
    else if (*s == "yarn") hp.rope_scaling = RopeScaling::kYarn;
    else if (*s == "longrope") hp.rope_scaling = RopeScaling::kLongRope;
    else return Status::Unimplemented("rope.scaling.type '" + std::string(*s) + "'");
  }
  float factor = 0;
  if (f.Find(a + "rope.scaling.factor")) {
    FOUNDRY_ASSIGN_OR_RETURN(factor, f.GetF32(a + "rope.scaling.factor"));
  } else if (f.Find(a + "rope.scale_linear")) {
    FOUNDRY_ASSIGN_OR_RETURN(factor, f.GetF32(a + "rope.scale_linear"));
  }
  hp.rope_freq_scale = (factor > 0 && hp.rope_scaling != RopeScaling::kNone) ? 1.0f / factor : 1.0f;
  FOUNDRY_ASSIGN_OR_RETURN(hp.rope_attn_factor, f.GetF32Or(a + "rope.scaling.attn_factor", 1.0f));
  FOUNDRY_ASSIGN_OR_RETURN(hp.n_ctx_orig,
                           f.GetU32Or(a + "rope.scaling.original_context_length", hp.n_ctx_train));

  hp.is_swa.assign(hp.n_layer, false);
  if (arch.sliding_window) {
    FOUNDRY_ASSIGN_OR_RETURN(hp.n_swa, f.GetU32Or(a + "attention.sliding_window", 0));
    FOUNDRY_ASSIGN_OR_RETURN(hp.rope_freq_base_swa, f.GetF32Or(a + "rope.freq_base_swa", 10000.0f));
    if (hp.n_swa > 0) {
      const GgufValue* pat = f.Find(a + "attention.sliding_window_pattern");
      if (pat && pat->type == GgufType::kArray) {
        if (pat->count != hp.n_layer || pat->elem_type == GgufType::kString ||
            pat->elem_type == GgufType::kArray)
          return Status::InvalidArgument("attention.sliding_window_pattern must have one entry per layer");
        for (uint32_t il = 0; il < hp.n_layer; ++il) hp.is_swa[il] = pat->ArrayInt(il) != 0;
      } else {
        uint32_t n = 6;  // gemma3 default
        if (pat) {
          FOUNDRY_ASSIGN_OR_RETURN(n, f.GetU32(a + "attention.sliding_window_pattern"));
        }
        if (n == 0) return Status::InvalidArgument("attention.sliding_window_pattern must be > 0");
        for (uint32_t il = 0; il < hp.n_layer; ++il) hp.is_swa[il] = il % n < n - 1;
      }
    }
  }
  if (arch.logit_softcap) {
    FOUNDRY_ASSIGN_OR_RETURN(hp.final_logit_softcap, f.GetF32Or(a + "final_logit_softcapping", 0.0f));
  }
  return hp;
}

}  // namespace foundry::engine
