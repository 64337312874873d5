#include "foundry/runtime/synth.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include "foundry/core/fp16.h"
#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/gguf/gguf_writer.h"

namespace foundry::runtime {
namespace {

using engine::GgufFile;
using engine::GgufWriter;
using engine::TensorType;

// Shapes of real models (their Hugging Face config.json values).
struct Shape {
  std::string_view name;
  std::string_view arch;
  uint32_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
  uint32_t n_rot;          // 0: head_dim
  float rope_base, eps;
  bool tied, qkv_bias;
  uint32_t n_swa = 0;      // gemma3 sliding window (pattern 6)
};

constexpr Shape kShapes[] = {
    {"qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 32768, 0, 1e6f, 1e-6f, true, true},
    {"qwen2.5-1.5b", "qwen2", 1536, 28, 12, 2, 128, 8960, 32768, 0, 1e6f, 1e-6f, true, true},
    {"llama-3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 131072, 0, 500000.0f, 1e-5f, true, false},
    {"phi-4-mini", "phi3", 3072, 32, 24, 8, 128, 8192, 131072, 96, 10000.0f, 1e-5f, true, false},
    {"qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 128, 3072, 40960, 0, 1e6f, 1e-6f, true, false},
    {"gemma3-1b", "gemma3", 1152, 26, 4, 1, 256, 6912, 32768, 0, 1e6f, 1e-6f, true, false, 512},
};

struct FType {
  std::string_view name;
  TensorType base;
  TensorType output;
};

constexpr FType kTypes[] = {
    {"f32", TensorType::kF32, TensorType::kF32},       {"f16", TensorType::kF16, TensorType::kF16},
    {"bf16", TensorType::kBF16, TensorType::kBF16},    {"q8_0", TensorType::kQ8_0, TensorType::kQ8_0},
    {"q4_0", TensorType::kQ4_0, TensorType::kQ6_K},    {"q4_1", TensorType::kQ4_1, TensorType::kQ6_K},
    {"q5_0", TensorType::kQ5_0, TensorType::kQ6_K},    {"q5_1", TensorType::kQ5_1, TensorType::kQ6_K},
    {"q2_k", TensorType::kQ2_K, TensorType::kQ6_K},    {"q3_k_m", TensorType::kQ3_K, TensorType::kQ6_K},
    {"q4_k_s", TensorType::kQ4_K, TensorType::kQ6_K},  {"q4_k_m", TensorType::kQ4_K, TensorType::kQ6_K},
    {"q5_k_s", TensorType::kQ5_K, TensorType::kQ6_K},  {"q5_k_m", TensorType::kQ5_K, TensorType::kQ6_K},
    {"q6_k", TensorType::kQ6_K, TensorType::kQ6_K},    {"iq4_nl", TensorType::kIQ4_NL, TensorType::kQ6_K},
    {"iq4_xs", TensorType::kIQ4_XS, TensorType::kQ6_K},
};

enum class Kind { kOutput, kAttnV, kAttnOut, kFfnDown, kOther };

// llama-quantize's "use more bits" layers: the first and last eighth, and every third between.
bool UseMoreBits(uint32_t il, uint32_t n) { return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2; }

// The default llama-quantize recipe (no imatrix), reduced to the tensors these shapes have.
TensorType Recipe(const FType& ft, Kind kind, uint32_t il, uint32_t n_layer, int64_t ne0) {
  TensorType t = ft.base;
  const std::string_view n = ft.name;
  if (kind == Kind::kOutput) t = ft.output;
  else if (n == "q2_k" && (kind == Kind::kAttnV || kind == Kind::kAttnOut || kind == Kind::kFfnDown)) t = TensorType::kQ3_K;
  else if (n == "q3_k_m" && kind == Kind::kAttnV) t = il < 2 ? TensorType::kQ5_K : TensorType::kQ4_K;
  else if (n == "q3_k_m" && (kind == Kind::kAttnOut || kind == Kind::kFfnDown)) t = TensorType::kQ4_K;
  else if (n == "q4_k_s" && kind == Kind::kAttnV && il < 4) t = TensorType::kQ5_K;
  else if ((n == "q4_k_m" || n == "q5_k_m") && (kind == Kind::kAttnV || kind == Kind::kFfnDown) &&
           UseMoreBits(il, n_layer))
    t = TensorType::kQ6_K;
  // Rows that are not whole 256-value super-blocks fall back as llama-quantize does.
  if (ne0 % 256 != 0) {
    switch (t) {
      case TensorType::kQ2_K:
      case TensorType::kQ3_K:
      case TensorType::kIQ4_XS: t = TensorType::kIQ4_NL; break;
      case TensorType::kQ4_K: t = TensorType::kQ5_0; break;
      case TensorType::kQ5_K: t = TensorType::kQ5_1; break;
      case TensorType::kQ6_K: t = TensorType::kQ8_0; break;
      default: break;
    }
  }
  return t;
}

// Byte offsets of the f16 scale fields inside one block, per type (formats.md §2).
std::vector<int> ScaleOffsets(TensorType t) {
  switch (t) {
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ8_0:
    case TensorType::kIQ4_NL:
    case TensorType::kIQ4_XS: return {0};
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K: return {0, 2};
    case TensorType::kQ2_K: return {80, 82};
    case TensorType::kQ3_K: return {108};
    case TensorType::kQ6_K: return {208};
    default: return {};
  }
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  float Normal(float sd) {  // cheap approximate normal: sum of 4 uniforms
    float s = 0;
    for (int i = 0; i < 4; ++i) s += float(Next() >> 40) * 0x1p-24f;
    return (s - 2.0f) * 1.7320508f * sd;
  }

 private:
  uint64_t s_;
};

// Random but valid blocks: random codes, finite small scales. Weight values barely matter for
// speed, but they must not produce inf/NaN.
void FillRandom(TensorType t, std::span<std::byte> buf, uint64_t seed) {
  Rng rng(seed);
  auto info = engine::LookupTensorType(uint32_t(t));
  if (t == TensorType::kF32) {
    for (size_t i = 0; i + 4 <= buf.size(); i += 4) {
      float v = rng.Normal(0.02f);
      std::memcpy(&buf[i], &v, 4);
    }
    return;
  }
  if (t == TensorType::kF16 || t == TensorType::kBF16) {
    for (size_t i = 0; i + 2 <= buf.size(); i += 2) {
      float v = rng.Normal(0.02f);
      uint16_t h = t == TensorType::kF16 ? F32ToF16(v) : F32ToBf16(v);
      std::memcpy(&buf[i], &h, 2);
    }
    return;
  }
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    uint64_t r = rng.Next();
    std::memcpy(&buf[i], &r, 8);
  }
  for (size_t i = buf.size() / 8 * 8; i < buf.size(); ++i) buf[i] = std::byte(rng.Next());
  const bool k_quant = info->block_elems == 256;
  const std::vector<int> offsets = ScaleOffsets(t);
  for (size_t b = 0; b + size_t(info->block_bytes) <= buf.size(); b += size_t(info->block_bytes)) {
    for (int off : offsets) {
      float d = (k_quant ? 2e-4f : 2e-3f) * (1.0f + float(rng.Next() % 1000) / 1000.0f);
      uint16_t h = F32ToF16(d);
      std::memcpy(&buf[b + size_t(off)], &h, 2);
    }
  }
}

}  // namespace

std::vector<std::string_view> SynthShapeNames() {
  std::vector<std::string_view> v;
  for (const Shape& s : kShapes) v.push_back(s.name);
  return v;
}

std::vector<std::string_view> SynthTypeNames() {
  std::vector<std::string_view> v;
  for (const FType& t : kTypes) v.push_back(t.name);
  return v;
}

Result<SynthReport> WriteSynthModel(const SynthOptions& o) {
  const Shape* shape = nullptr;
  for (const Shape& s : kShapes)
    if (s.name == o.shape) shape = &s;
  if (!shape) return Status::InvalidArgument("unknown --shape '" + o.shape + "'");
  const FType* ft = nullptr;
  for (const FType& t : kTypes)
    if (t.name == o.type) ft = &t;
  if (!ft) return Status::InvalidArgument("unknown --type '" + o.type + "'");

  FOUNDRY_ASSIGN_OR_RETURN(GgufFile vocab, GgufFile::Open(o.vocab));
  const engine::GgufValue* tokens = vocab.Find("tokenizer.ggml.tokens");
  if (!tokens || tokens->strings.empty())
    return Status::InvalidArgument(o.vocab.string() + ": no tokenizer.ggml.tokens");
  const int64_t n_vocab = int64_t(tokens->strings.size());

  const Shape& s = *shape;
  const uint32_t n_layer = o.n_layer_override ? o.n_layer_override : s.n_layer;
  const std::string a(s.arch);
  GgufWriter w;
  w.AddString("general.architecture", a);
  w.AddString("general.name", "synthetic " + std::string(s.name) + " " + o.type);
  w.AddU32(a + ".context_length", s.n_ctx);
  w.AddU32(a + ".embedding_length", s.n_embd);
  w.AddU32(a + ".block_count", n_layer);
  w.AddU32(a + ".feed_forward_length", s.n_ff);
  w.AddU32(a + ".attention.head_count", s.n_head);
  w.AddU32(a + ".attention.head_count_kv", s.n_head_kv);
  w.AddU32(a + ".attention.key_length", s.head_dim);
  w.AddU32(a + ".attention.value_length", s.head_dim);
  w.AddU32(a + ".rope.dimension_count", s.n_rot ? s.n_rot : s.head_dim);
  w.AddF32(a + ".rope.freq_base", s.rope_base);
  w.AddF32(a + ".attention.layer_norm_rms_epsilon", s.eps);
  if (s.n_swa) {
    w.AddU32(a + ".attention.sliding_window", s.n_swa);
    w.AddF32(a + ".rope.freq_base_swa", 10000.0f);
  }
  for (const engine::GgufKv& kv : vocab.metadata())
    if (kv.key.starts_with("tokenizer.")) w.AddValue(kv.key, kv.value);

  SynthReport report;
  std::map<std::string, int> counts;
  uint64_t tensor_seed = o.seed;
  auto matrix = [&](const std::string& name, int64_t n_in, int64_t n_out, Kind kind, uint32_t il) {
    TensorType t = Recipe(*ft, kind, il, n_layer, n_in);
    std::vector<int64_t> shape_v = {n_in, n_out};
    counts[std::string(engine::TensorTypeName(t))]++;
    report.n_params += uint64_t(n_in * n_out);
    uint64_t seed = ++tensor_seed;
    return w.AddGeneratedTensor(name, t, shape_v, [t, seed](std::span<std::byte> b) { FillRandom(t, b, seed); });
  };
  auto vector = [&](const std::string& name, int64_t n, float value) {
    std::vector<int64_t> shape_v = {n};
    counts["F32"]++;
    report.n_params += uint64_t(n);
    return w.AddGeneratedTensor(name, TensorType::kF32, shape_v, [value](std::span<std::byte> b) {
      for (size_t i = 0; i + 4 <= b.size(); i += 4) std::memcpy(&b[i], &value, 4);
    });
  };

  const int64_t e = s.n_embd, q = int64_t(s.n_head) * s.head_dim, kv = int64_t(s.n_head_kv) * s.head_dim;
  FOUNDRY_RETURN_IF_ERROR(matrix("token_embd.weight", e, n_vocab, s.tied ? Kind::kOutput : Kind::kOther, 0));
  FOUNDRY_RETURN_IF_ERROR(vector("output_norm.weight", e, 1.0f));
  if (!s.tied) FOUNDRY_RETURN_IF_ERROR(matrix("output.weight", e, n_vocab, Kind::kOutput, 0));
  for (uint32_t il = 0; il < n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_norm.weight", e, 1.0f));
    if (a == "phi3") {
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "attn_qkv.weight", e, q + 2 * kv, Kind::kOther, il));
    } else {
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "attn_q.weight", e, q, Kind::kOther, il));
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "attn_k.weight", e, kv, Kind::kOther, il));
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "attn_v.weight", e, kv, Kind::kAttnV, il));
    }
    if (s.qkv_bias) {
      FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_q.bias", q, 0.0f));
      FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_k.bias", kv, 0.0f));
      FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_v.bias", kv, 0.0f));
    }
    if (a == "qwen3" || a == "gemma3") {
      FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_q_norm.weight", s.head_dim, 1.0f));
      FOUNDRY_RETURN_IF_ERROR(vector(p + "attn_k_norm.weight", s.head_dim, 1.0f));
    }
    FOUNDRY_RETURN_IF_ERROR(matrix(p + "attn_output.weight", q, e, Kind::kAttnOut, il));
    if (a == "gemma3") {
      FOUNDRY_RETURN_IF_ERROR(vector(p + "post_attention_norm.weight", e, 1.0f));
      FOUNDRY_RETURN_IF_ERROR(vector(p + "post_ffw_norm.weight", e, 1.0f));
    }
    FOUNDRY_RETURN_IF_ERROR(vector(p + "ffn_norm.weight", e, 1.0f));
    if (a == "phi3") {
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", e, 2 * int64_t(s.n_ff), Kind::kOther, il));
    } else {
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "ffn_gate.weight", e, s.n_ff, Kind::kOther, il));
      FOUNDRY_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", e, s.n_ff, Kind::kOther, il));
    }
    FOUNDRY_RETURN_IF_ERROR(matrix(p + "ffn_down.weight", s.n_ff, e, Kind::kFfnDown, il));
  }
  FOUNDRY_RETURN_IF_ERROR(w.WriteFile(o.output));
  std::error_code ec;
  report.file_bytes = std::filesystem::file_size(o.output, ec);
  for (const auto& [k, v] : counts) report.type_counts.push_back({k, v});
  return report;
}

}  // namespace foundry::runtime
