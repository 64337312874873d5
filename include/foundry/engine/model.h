#pragma once
// Model: a GGUF model loaded for inference — hyperparameters, typed per-layer weights (views
// into the memory-mapped file), and the tokenizer.
//
// Load() resolves every tensor name once (../shared/reference/formats.md §5.3), checks shapes
// against Hparams and that the kernel table can compute with each tensor type, so the forward
// pass never looks up a string. Weights stay memory-mapped; 1-D tensors (norms, biases, RoPE
// factors) are copied, converted to f32, and (LoadOptions::repack_weights) matrices with a packed
// kernel are also copied into that kernel's layout (WeightMatrix::packed).
//
// Thread-safety: immutable after Load(); share as std::shared_ptr<const Model>.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/arch.h"
#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/hparams.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::engine {

using kernels::WeightMatrix;

struct LayerWeights {
  std::vector<float> attn_norm;            // [n_embd]
  bool fused_qkv = false;
  WeightMatrix wq, wk, wv;                 // [n_embd -> n_embd_q], [-> n_embd_k_gqa], [-> n_embd_v_gqa]
  WeightMatrix wqkv;                       // fused: rows q | k | v
  std::vector<float> bq, bk, bv;           // optional biases (empty if absent)
  std::vector<float> bqkv;                 // optional fused bias
  WeightMatrix wo;                         // [n_embd_q -> n_embd]
  std::vector<float> bo;                   // optional
  std::vector<float> q_norm, k_norm;       // [head_dim] (qk_norm archs)
  std::vector<float> post_attn_norm;       // [n_embd] (post_norms archs)
  std::vector<float> ffn_norm;             // [n_embd]
  bool fused_gate_up = false;              // phi3: ffn_up holds gate then up (2·n_ff rows)
  WeightMatrix ffn_gate, ffn_up, ffn_down; // [n_embd -> n_ff] ×2, [n_ff -> n_embd]
  std::vector<float> post_ffn_norm;        // [n_embd] (post_norms archs)
};

struct LoadOptions {
  // Context size the model will be run with; selects LongRoPE factors (phi3): the long ones
  // when n_ctx > rope.scaling.original_context_length. 0 = Hparams::default_n_ctx(), as Context.
  uint32_t n_ctx = 0;
  // Copy every matrix the kernel table has a packed (tiled) kernel for into that layout
  // (kernels::PackWeights): faster prefill and decode for as much extra memory as those
  // matrices take. false: compute from the mapped file only.
  bool repack_weights = true;
  // Threads for repacking (optional; the loading thread alone without one). Only used during
  // Load().
  ThreadPool* pool = nullptr;
};

class Model {
 public:
  // kNotFound: no such file. kInvalidArgument: malformed GGUF or inconsistent model (message
  // names the tensor or key). kUnimplemented: unsupported architecture or tensor type.
  // `kernels` must outlive nothing: it is consulted to check type support and, with
  // options.repack_weights, to pack the matrices it has packed kernels for (kResourceExhausted
  // if those copies cannot be allocated).
  static Result<std::shared_ptr<const Model>> Load(const std::filesystem::path& path,
                                                   const kernels::KernelTable& kernels,
                                                   const LoadOptions& options = {});

  const GgufFile& gguf() const { return gguf_; }
  const ArchSpec& arch() const { return arch_; }
  const Hparams& hparams() const { return hp_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  std::string_view name() const { return name_; }  // general.name, or the file stem
  const std::filesystem::path& path() const { return path_; }
  // tokenizer.chat_template, if the file has one.
  std::optional<std::string_view> chat_template() const;

  const WeightMatrix& token_embd() const { return token_embd_; }  // [n_embd, n_vocab] rows
  // Row `token` of token_embd as n_embd floats (exactly dequantized). Where nothing else reads
  // the table through the mapping, the row is read from the file (GgufFile::CopyOut) into
  // *scratch, so looked-up rows never become resident pages of this process.
  void EmbedToken(const kernels::KernelTable& kernels, TokenId token, std::span<float> out,
                  std::vector<std::byte>* scratch) const;
  const std::vector<float>& output_norm() const { return output_norm_; }
  const WeightMatrix& output() const { return output_; }  // token_embd when tied
  bool tied_output() const { return tied_output_; }
  const std::vector<float>& output_bias() const { return output_bias_; }  // may be empty
  const std::vector<float>& rope_factors() const { return rope_factors_; } // [n_rot/2] or empty
  const std::vector<LayerWeights>& layers() const { return layers_; }

  uint64_t weight_bytes() const;  // sum of all tensor sizes

 private:
  explicit Model(GgufFile file) : gguf_(std::move(file)) {}

  std::filesystem::path path_;
  GgufFile gguf_;
  ArchSpec arch_;
  Hparams hp_;
  std::string name_;
  std::unique_ptr<Tokenizer> tokenizer_;
  WeightMatrix token_embd_, output_;
  bool tied_output_ = false;
  bool embd_rows_from_file_ = false;  // EmbedToken reads rows with pread (see Load)
  std::vector<float> output_norm_, output_bias_, rope_factors_;
  std::vector<LayerWeights> layers_;
  kernels::PackedWeights packed_;  // owns what every WeightMatrix::packed above points to
};

}  // namespace foundry::engine
