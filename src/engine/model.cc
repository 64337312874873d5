#include "foundry/engine/model.h"

#include <cstring>

#include "foundry/core/fp16.h"

namespace foundry::engine {
namespace {

std::string LayerName(uint32_t il, std::string_view suffix) {
  return "blk." + std::to_string(il) + "." + std::string(suffix);
}

std::string ShapeOf(const TensorInfo& t) { return t.ShapeString(); }

// Loads one tensor; `loaded` tells whether it was found.
class TensorLoader {
 public:
  TensorLoader(const GgufFile& f, const kernels::KernelTable& k) : f_(f), k_(k) {}

  // A 2-D weight with ne = [n_in, n_out]. kNotFound if absent (callers decide if optional).
  Result<WeightMatrix> Matrix(const std::string& name, int64_t n_in, int64_t n_out) {
    const TensorInfo* t = f_.FindTensor(name);
    if (!t) return Status::NotFound("tensor '" + name + "' is missing");
    if (t->n_dims > 2 || t->ne[0] != n_in || t->ne[1] != n_out || t->ne[2] != 1 || t->ne[3] != 1)
      return Status::InvalidArgument("tensor '" + name + "' has shape " + ShapeOf(*t) +
                                     ", expected [" + std::to_string(n_in) + ", " +
                                     std::to_string(n_out) + "]");
    if (!k_.Get(t->type))
      return Status::Unimplemented("tensor '" + name + "' has type " +
                                   std::string(TensorTypeName(t->type)) +
                                   ", which this engine cannot compute with");
    ++used_;
    return WeightMatrix{.type = t->type, .n_cols = n_in, .n_rows = n_out,
                        .row_bytes = size_t(t->row_bytes), .data = t->data};
  }

  // As Matrix(), but absent -> empty matrix (data == nullptr).
  Result<WeightMatrix> OptionalMatrix(const std::string& name, int64_t n_in, int64_t n_out) {
    if (!f_.FindTensor(name)) return WeightMatrix{};
    return Matrix(name, n_in, n_out);
  }

  // A 1-D tensor of n values converted to f32. kNotFound if absent.
  Result<std::vector<float>> Vector(const std::string& name, int64_t n) {
    const TensorInfo* t = f_.FindTensor(name);
    if (!t) return Status::NotFound("tensor '" + name + "' is missing");
    if (t->n_elements != uint64_t(n) || t->ne[0] != n)
      return Status::InvalidArgument("tensor '" + name + "' has shape " + ShapeOf(*t) +
                                     ", expected [" + std::to_string(n) + "]");
    std::vector<float> out(static_cast<size_t>(n));
    switch (t->type) {
      case TensorType::kF32: std::memcpy(out.data(), t->data, size_t(n) * 4); break;
      case TensorType::kF16:
      case TensorType::kBF16:
        for (int64_t i = 0; i < n; ++i) {
          uint16_t h;
          std::memcpy(&h, t->data + 2 * i, 2);
          out[size_t(i)] = t->type == TensorType::kF16 ? F16ToF32(h) : Bf16ToF32(h);
        }
        break;
      default:
        return Status::Unimplemented("tensor '" + name + "': 1-D tensors of type " +
                                     std::string(TensorTypeName(t->type)) + " are not supported");
    }
    ++used_;
    return out;
  }

  Result<std::vector<float>> OptionalVector(const std::string& name, int64_t n) {
    if (!f_.FindTensor(name)) return std::vector<float>{};
    return Vector(name, n);
  }

  size_t used() const { return used_; }

 private:
  const GgufFile& f_;
  const kernels::KernelTable& k_;
  size_t used_ = 0;
};

Status LoadLayer(TensorLoader& tl, const GgufFile& f, const ArchSpec& arch, const Hparams& hp,
                 uint32_t il, LayerWeights* L) {
  const int64_t n_embd = hp.n_embd, n_q = hp.n_embd_q(), n_k = hp.n_embd_k_gqa(),
                n_v = hp.n_embd_v_gqa(), n_ff = hp.n_ff;
  auto N = [&](std::string_view s) { return LayerName(il, s); };
  FOUNDRY_ASSIGN_OR_RETURN(L->attn_norm, tl.Vector(N("attn_norm.weight"), n_embd));
  if (f.FindTensor(N("attn_qkv.weight"))) {
    L->fused_qkv = true;
    FOUNDRY_ASSIGN_OR_RETURN(L->wqkv, tl.Matrix(N("attn_qkv.weight"), n_embd, n_q + n_k + n_v));
    FOUNDRY_ASSIGN_OR_RETURN(L->bqkv, tl.OptionalVector(N("attn_qkv.bias"), n_q + n_k + n_v));
  } else {
    FOUNDRY_ASSIGN_OR_RETURN(L->wq, tl.Matrix(N("attn_q.weight"), n_embd, n_q));
    FOUNDRY_ASSIGN_OR_RETURN(L->wk, tl.Matrix(N("attn_k.weight"), n_embd, n_k));
    FOUNDRY_ASSIGN_OR_RETURN(L->wv, tl.Matrix(N("attn_v.weight"), n_embd, n_v));
    FOUNDRY_ASSIGN_OR_RETURN(L->bq, tl.OptionalVector(N("attn_q.bias"), n_q));
    FOUNDRY_ASSIGN_OR_RETURN(L->bk, tl.OptionalVector(N("attn_k.bias"), n_k));
    FOUNDRY_ASSIGN_OR_RETURN(L->bv, tl.OptionalVector(N("attn_v.bias"), n_v));
  }
  FOUNDRY_ASSIGN_OR_RETURN(L->wo, tl.Matrix(N("attn_output.weight"), n_q, n_embd));
  FOUNDRY_ASSIGN_OR_RETURN(L->bo, tl.OptionalVector(N("attn_output.bias"), n_embd));
  if (arch.qk_norm) {
    FOUNDRY_ASSIGN_OR_RETURN(L->q_norm, tl.Vector(N("attn_q_norm.weight"), hp.head_dim_k));
    FOUNDRY_ASSIGN_OR_RETURN(L->k_norm, tl.Vector(N("attn_k_norm.weight"), hp.head_dim_k));
  }
  if (arch.post_norms) {
    FOUNDRY_ASSIGN_OR_RETURN(L->post_attn_norm, tl.Vector(N("post_attention_norm.weight"), n_embd));
    FOUNDRY_ASSIGN_OR_RETURN(L->post_ffn_norm, tl.Vector(N("post_ffw_norm.weight"), n_embd));
  }
  FOUNDRY_ASSIGN_OR_RETURN(L->ffn_norm, tl.Vector(N("ffn_norm.weight"), n_embd));
  if (f.FindTensor(N("ffn_gate.weight"))) {
    FOUNDRY_ASSIGN_OR_RETURN(L->ffn_gate, tl.Matrix(N("ffn_gate.weight"), n_embd, n_ff));
    FOUNDRY_ASSIGN_OR_RETURN(L->ffn_up, tl.Matrix(N("ffn_up.weight"), n_embd, n_ff));
  } else {
    // Fused gate|up (phi3): one matrix of 2·n_ff rows, gate first.
    L->fused_gate_up = true;
    FOUNDRY_ASSIGN_OR_RETURN(L->ffn_up, tl.Matrix(N("ffn_up.weight"), n_embd, 2 * n_ff));
  }
  FOUNDRY_ASSIGN_OR_RETURN(L->ffn_down, tl.Matrix(N("ffn_down.weight"), n_ff, n_embd));
  return Status::Ok();
}

}  // namespace

std::optional<std::string_view> Model::chat_template() const {
  if (const GgufValue* v = gguf_.Find("tokenizer.chat_template")) return v->AsString();
  return std::nullopt;
}

uint64_t Model::weight_bytes() const {
  uint64_t n = 0;
  for (const TensorInfo& t : gguf_.tensors()) n += t.n_bytes;
  return n;
}

Result<std::shared_ptr<const Model>> Model::Load(const std::filesystem::path& path,
                                                 const kernels::KernelTable& kernels,
                                                 const LoadOptions& options) {
  FOUNDRY_ASSIGN_OR_RETURN(GgufFile file, GgufFile::Open(path));
  std::shared_ptr<Model> m(new Model(std::move(file)));
  m->path_ = path;
  const GgufFile& f = m->gguf_;
  auto ctx = [&](const Status& st) { return st.WithContext(path.string()); };

  auto arch_name = f.GetString("general.architecture");
  if (!arch_name.ok()) return ctx(arch_name.status());
  auto arch = FindArch(*arch_name);
  if (!arch)
    return ctx(Status::Unimplemented("architecture '" + std::string(*arch_name) +
                                     "' is not supported (supported: " +
                                     std::string(SupportedArchNames()) + ")"));
  m->arch_ = *arch;
  auto name = f.GetString("general.name");
  m->name_ = name.ok() ? std::string(*name) : path.stem().string();

  auto tok = Tokenizer::FromGguf(f);
  if (!tok.ok()) return ctx(tok.status());
  m->tokenizer_ = std::move(tok).value();

  auto hp = Hparams::FromGguf(f, m->arch_, uint32_t(m->tokenizer_->n_vocab()));
  if (!hp.ok()) return ctx(hp.status());
  m->hp_ = std::move(hp).value();
  const Hparams& h = m->hp_;

  TensorLoader tl(f, kernels);
  auto load = [&]() -> Status {
    FOUNDRY_ASSIGN_OR_RETURN(m->token_embd_, tl.Matrix("token_embd.weight", h.n_embd, h.n_vocab));
    FOUNDRY_ASSIGN_OR_RETURN(m->output_norm_, tl.Vector("output_norm.weight", h.n_embd));
    FOUNDRY_ASSIGN_OR_RETURN(m->output_, tl.OptionalMatrix("output.weight", h.n_embd, h.n_vocab));
    if (m->output_.data == nullptr) {
      m->output_ = m->token_embd_;
      m->tied_output_ = true;
    }
    FOUNDRY_ASSIGN_OR_RETURN(m->output_bias_, tl.OptionalVector("output.bias", h.n_vocab));
    // RoPE frequency divisors: llama3's rope_freqs, or phi3 LongRoPE short/long factors chosen by
    // the context size (formats.md §5.4).
    FOUNDRY_ASSIGN_OR_RETURN(m->rope_factors_, tl.OptionalVector("rope_freqs.weight", h.n_rot / 2));
    const uint32_t n_ctx = options.n_ctx ? options.n_ctx : h.default_n_ctx();
    const char* longrope = n_ctx > h.n_ctx_orig ? "rope_factors_long.weight" : "rope_factors_short.weight";
    if (m->rope_factors_.empty()) {
      FOUNDRY_ASSIGN_OR_RETURN(m->rope_factors_, tl.OptionalVector(longrope, h.n_rot / 2));
    }
    m->layers_.resize(h.n_layer);
    for (uint32_t il = 0; il < h.n_layer; ++il)
      FOUNDRY_RETURN_IF_ERROR(LoadLayer(tl, f, m->arch_, h, il, &m->layers_[il]));
    // Copies in the layout of the packed (tiled) kernels for every matrix MatMul reads, in one
    // buffer; token_embd is only read row by row (DequantizeRow), so a tied output gets its own
    // copy.
    if (options.repack_weights) {
      std::vector<WeightMatrix*> matrices;
      for (LayerWeights& L : m->layers_)
        matrices.insert(matrices.end(), {&L.wq, &L.wk, &L.wv, &L.wqkv, &L.wo, &L.ffn_gate,
                                         &L.ffn_up, &L.ffn_down});
      matrices.push_back(&m->output_);
      // The packed copies are what MatMul reads from now on: each original leaves resident
      // memory as soon as it is copied (only token_embd rows looked up by DequantizeRow come
      // back), so that the weights are resident once, not twice, even while loading.
      const GgufFile& file = m->gguf_;
      FOUNDRY_ASSIGN_OR_RETURN(
          m->packed_,
          kernels::PackWeights(kernels, matrices,
                               [&file](const WeightMatrix& w, int64_t r0, int64_t r1) {
                                 file.EvictFromMemory({w.data + w.row_bytes * size_t(r0),
                                                       w.row_bytes * size_t(r1 - r0)});
                               },
                               options.pool));
    }
    // Unless it doubles as an unpacked output matrix, token_embd is only read row by row
    // (EmbedToken, one row per token): rows are read from the file, since through the mapping
    // each row would map a whole large page-cache folio (~600 KiB each on this machine's
    // kernel). The page cache keeps the table, so the next load stays fast.
    if (m->output_.data != m->token_embd_.data || m->output_.packed != nullptr) {
      m->embd_rows_from_file_ = true;
      f.EvictFromMemory({m->token_embd_.data, m->token_embd_.row_bytes * size_t(m->token_embd_.n_rows)});
    }
    // The tokenizer and the hyperparameters copied what they need; the metadata (mostly the
    // token and merge arrays, ~6 MiB for a 152k vocabulary) leaves resident memory and is faulted
    // back in only where read again (the chat template).
    f.EvictFromMemory(f.bytes().first(size_t(f.data_offset())));
    return Status::Ok();
  };
  if (Status st = load(); !st.ok()) return ctx(st);
  return std::shared_ptr<const Model>(std::move(m));
}

void Model::EmbedToken(const kernels::KernelTable& kernels, TokenId token, std::span<float> out,
                       std::vector<std::byte>* scratch) const {
  if (!embd_rows_from_file_) return kernels::DequantizeRow(kernels, token_embd_, token, out);
  const WeightMatrix& w = token_embd_;
  scratch->resize(w.row_bytes);
  gguf_.CopyOut({w.data + size_t(token) * w.row_bytes, w.row_bytes}, scratch->data());
  WeightMatrix row = w;
  row.data = scratch->data();
  row.n_rows = 1;
  row.packed = nullptr;
  kernels::DequantizeRow(kernels, row, 0, out);
}

}  // namespace foundry::engine
