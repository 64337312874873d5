#include "foundry/engine/context.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "foundry/engine/attention.h"
#include "foundry/engine/ops.h"

namespace foundry::engine {

Result<std::unique_ptr<Context>> Context::Create(std::shared_ptr<const Model> model,
                                                 const kernels::KernelTable& kernels,
                                                 ThreadPool& pool, const ContextOptions& options) {
  ContextOptions o = options;
  const Hparams& hp = model->hparams();
  if (o.n_ctx == 0) o.n_ctx = hp.default_n_ctx();
  if (o.n_seq == 0 || o.n_seq > 1024) return Status::InvalidArgument("n_seq must be in [1, 1024]");
  if (o.n_ubatch == 0) o.n_ubatch = 512;
  uint32_t n_blocks = o.n_kv_blocks;
  if (n_blocks == 0 && o.kv_budget_bytes > 0) {
    const uint64_t b = o.kv_budget_bytes / KvCache::BlockBytes(hp);
    if (b == 0)
      return Status::InvalidArgument("KV budget of " + std::to_string(o.kv_budget_bytes) +
                                     " bytes is smaller than one block of " +
                                     std::to_string(KvCache::BlockBytes(hp)) + " bytes");
    if (b > (uint64_t(1) << 31)) return Status::InvalidArgument("KV budget is too large");
    n_blocks = uint32_t(b);
  }
  FOUNDRY_ASSIGN_OR_RETURN(KvCache kv, KvCache::Create(hp, o.n_ctx, o.n_seq, n_blocks));
  return std::unique_ptr<Context>(new Context(std::move(model), kernels, pool, std::move(kv), o));
}

Status Context::Validate(std::span<const BatchToken> batch) const {
  const Hparams& hp = model_->hparams();
  std::vector<int64_t> next(kv_.n_seq(), -1);
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchToken& b = batch[i];
    if (b.token < 0 || uint32_t(b.token) >= hp.n_vocab)
      return Status::InvalidArgument("token id " + std::to_string(b.token) + " is outside the vocabulary of " +
                                     std::to_string(hp.n_vocab));
    if (b.seq >= kv_.n_seq())
      return Status::InvalidArgument("sequence id " + std::to_string(b.seq) + " >= " +
                                     std::to_string(kv_.n_seq()));
    if (next[b.seq] < 0) next[b.seq] = kv_.seq_len(b.seq);
    if (b.pos != next[b.seq])
      return Status::InvalidArgument("sequence " + std::to_string(b.seq) + ": position " +
                                     std::to_string(b.pos) + " does not continue the sequence (expected " +
                                     std::to_string(next[b.seq]) + ")");
    if (uint32_t(b.pos) >= kv_.n_ctx())
      return Status::OutOfRange("position " + std::to_string(b.pos) + " exceeds the context size of " +
                                std::to_string(kv_.n_ctx()) + " tokens by " +
                                std::to_string(b.pos - int64_t(kv_.n_ctx()) + 1));
    ++next[b.seq];
  }
  return Status::Ok();
}

// Backs every position of the batch with KV blocks, all or nothing. REQUIRES: Validate passed.
// Positions each sequence of `batch` will have after it; 0 = untouched.
static std::vector<uint32_t> SequenceEnds(const KvCache& kv, std::span<const BatchToken> batch) {
  std::vector<uint32_t> end(kv.n_seq(), 0);
  for (const BatchToken& b : batch) end[b.seq] = std::max(end[b.seq], uint32_t(b.pos) + 1);
  return end;
}

uint32_t Context::BlocksNeeded(std::span<const BatchToken> batch) const {
  const std::vector<uint32_t> end = SequenceEnds(kv_, batch);
  uint32_t need = 0;
  for (uint32_t s = 0; s < kv_.n_seq(); ++s)
    if (end[s] > 0) need += kv_.BlocksNeeded(s, end[s]);
  return need;
}

Status Context::ReserveBlocks(std::span<const BatchToken> batch) {
  const std::vector<uint32_t> end = SequenceEnds(kv_, batch);
  const uint32_t need = BlocksNeeded(batch);
  if (need > kv_.n_free_blocks())
    return Status::ResourceExhausted("KV cache is full: the batch needs " + std::to_string(need) +
                                     " more blocks of " + std::to_string(KvCache::kBlockSize) +
                                     " positions, " + std::to_string(kv_.n_free_blocks()) + " of " +
                                     std::to_string(kv_.n_blocks()) + " are free");
  for (uint32_t s = 0; s < kv_.n_seq(); ++s)
    if (end[s] > 0) FOUNDRY_RETURN_IF_ERROR(kv_.Reserve(s, end[s]));
  return Status::Ok();
}

Status Context::Decode(std::span<const BatchToken> batch, std::vector<float>* logits) {
  FOUNDRY_RETURN_IF_ERROR(Validate(batch));
  FOUNDRY_RETURN_IF_ERROR(ReserveBlocks(batch));
  for (size_t start = 0; start < batch.size(); start += options_.n_ubatch) {
    size_t n = std::min<size_t>(options_.n_ubatch, batch.size() - start);
    DecodeUbatch(batch.subspan(start, n), logits);
  }
  return Status::Ok();
}

void Context::MatMul(const kernels::WeightMatrix& w, std::span<const float> x, int64_t n,
                     std::span<float> y) {
  kernels::MatMul(kernels_, pool_, w, x.first(size_t(n * w.n_cols)), n,
                  y.first(size_t(n * w.n_rows)), mm_scratch_);
}

// Causal attention for every (entry, head) of the ubatch, reading keys/values of the entry's own
// sequence from the cache. q_ holds [n, n_head·hd] (already RoPE'd and scaled); result in attn_.
// Work is split into tasks of up to kTokensPerTask consecutive entries of one sequence × one KV
// head; each task's rows are those entries' query heads that share the KV head, so one key tile
// serves them all.
void Context::Attention(uint32_t il, std::span<const BatchToken> batch) {
  constexpr size_t kTokensPerTask = 16;
  const Hparams& hp = model_->hparams();
  const int hd = int(hp.head_dim_k);
  const int group = int(hp.n_head / hp.n_head_kv);
  const float kq_scale =
      model_->arch().attn_scale == AttnScale::kScores ? 1.0f / std::sqrt(float(hd)) : 1.0f;
  const bool swa = hp.is_swa[il] && hp.n_swa > 0;

  // Runs of consecutive entries of the same sequence, cut into chunks.
  struct Chunk {
    size_t begin, end;
  };
  std::vector<Chunk> chunks;
  for (size_t t = 0; t < batch.size();) {
    size_t e = t + 1;
    while (e < batch.size() && e - t < kTokensPerTask && batch[e].seq == batch[t].seq) ++e;
    chunks.push_back({t, e});
    t = e;
  }
  const int64_t n_tasks = int64_t(chunks.size()) * hp.n_head_kv;
  const size_t max_rows = kTokensPerTask * size_t(group);
  pool_.ParallelFor(n_tasks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(attention::ScratchFloats(int(max_rows), hd));
    std::vector<const float*> q(max_rows);
    std::vector<float*> out(max_rows);
    std::vector<int32_t> lo(max_rows), hi(max_rows);
    std::vector<const float*> kb, vb;  // the sequence's block table as row pointers of head g
    for (int64_t task = begin; task < end; ++task) {
      const Chunk& c = chunks[size_t(task / hp.n_head_kv)];
      const int g = int(task % hp.n_head_kv);
      int n_rows = 0;
      for (size_t t = c.begin; t < c.end; ++t) {
        const BatchToken& b = batch[t];
        // Sliding window: the query sees n_swa positions including itself.
        const int32_t first = swa ? std::max<int32_t>(0, b.pos - int32_t(hp.n_swa) + 1) : 0;
        for (int h = g * group; h < (g + 1) * group; ++h) {
          q[size_t(n_rows)] = &q_[t * hp.n_embd_q() + size_t(h * hd)];
          out[size_t(n_rows)] = &attn_[t * hp.n_embd_q() + size_t(h * hd)];
          lo[size_t(n_rows)] = first;
          hi[size_t(n_rows)] = b.pos;
          ++n_rows;
        }
      }
      const uint32_t seq = batch[c.begin].seq;
      // Blocks up to the last visible key (the last entry of the chunk has the highest pos).
      const auto table = kv_.block_table(seq).first(size_t(batch[c.end - 1].pos) / KvCache::kBlockSize + 1);
      kb.resize(table.size());
      vb.resize(table.size());
      for (size_t i = 0; i < table.size(); ++i) {
        kb[i] = kv_.k_block(il, table[i]) + size_t(g * hd);
        vb[i] = kv_.v_block(il, table[i]) + size_t(g * hd);
      }
      attention_({.n_rows = n_rows,
                  .q = q.data(),
                  .out = out.data(),
                  .lo = lo.data(),
                  .hi = hi.data(),
                  .k = kb.data(),
                  .v = vb.data(),
                  .block_size = int(KvCache::kBlockSize),
                  .kv_stride = hp.n_embd_k_gqa(),
                  .head_dim = hd,
                  .scale = kq_scale,
                  .scratch = scratch.data()});
    }
  });
}

void Context::DecodeUbatch(std::span<const BatchToken> batch, std::vector<float>* logits) {
  const Model& m = *model_;
  const Hparams& hp = m.hparams();
  const ArchSpec& arch = m.arch();
  const int64_t n = int64_t(batch.size());
  const size_t n_embd = hp.n_embd, n_q = hp.n_embd_q(), n_k = hp.n_embd_k_gqa(),
               n_v = hp.n_embd_v_gqa(), n_ff = hp.n_ff, hd = hp.head_dim_k;
  auto row = [](std::vector<float>& buf, size_t i, size_t width) {
    return std::span<float>(buf.data() + i * width, width);
  };

  x_.resize(size_t(n) * n_embd);     // [n, n_embd] residual stream
  h_.resize(size_t(n) * n_embd);     // [n, n_embd] normed input of a block
  q_.resize(size_t(n) * n_q);        // [n, n_head·hd]
  k_.resize(size_t(n) * n_k);        // [n, n_head_kv·hd]
  v_.resize(size_t(n) * n_v);        // [n, n_head_kv·hd]
  attn_.resize(size_t(n) * n_q);     // [n, n_head·hd] attention output
  o_.resize(size_t(n) * n_embd);     // [n, n_embd] block output
  gate_.resize(size_t(n) * n_ff);    // [n, n_ff]
  up_.resize(size_t(n) * n_ff);      // [n, n_ff]

  // Token embeddings (exact dequantized rows).
  for (int64_t t = 0; t < n; ++t) {
    m.EmbedToken(kernels_, batch[size_t(t)].token, row(x_, size_t(t), n_embd), &embd_scratch_);
    if (arch.embd_scale) {
      const float s = std::sqrt(float(n_embd));
      for (float& v : row(x_, size_t(t), n_embd)) v *= s;
    }
  }

  // q scale applied before attention (phi3, gemma3); otherwise scores are scaled.
  float q_scale = 1.0f;
  if (arch.attn_scale == AttnScale::kQueryHeadDim) q_scale = 1.0f / std::sqrt(float(hd));
  if (arch.attn_scale == AttnScale::kQueryGemma)
    q_scale = hp.n_layer == 62 ? 1.0f / std::sqrt(float(n_embd / hp.n_head)) : 1.0f / std::sqrt(float(hd));

  std::vector<float> cos_sin(hp.n_rot);
  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& L = m.layers()[il];
    for (int64_t t = 0; t < n; ++t)
      ops::RmsNorm(row(x_, size_t(t), n_embd), L.attn_norm, hp.rms_eps, row(h_, size_t(t), n_embd));

    // Projections: q, k, v (fused rows q | k | v for phi3-style files).
    if (L.fused_qkv) {
      const size_t w = n_q + n_k + n_v;
      qkv_.resize(size_t(n) * w);
      MatMul(L.wqkv, h_, n, qkv_);
      for (int64_t t = 0; t < n; ++t) {
        auto r = row(qkv_, size_t(t), w);
        if (!L.bqkv.empty()) ops::AddInPlace(r, L.bqkv);
        std::copy_n(r.data(), n_q, &q_[size_t(t) * n_q]);
        std::copy_n(r.data() + n_q, n_k, &k_[size_t(t) * n_k]);
        std::copy_n(r.data() + n_q + n_k, n_v, &v_[size_t(t) * n_v]);
      }
    } else {
      const kernels::WeightMatrix* ws[] = {&L.wq, &L.wk, &L.wv};
      const std::span<float> ys[] = {std::span<float>(q_).first(size_t(n) * n_q),
                                     std::span<float>(k_).first(size_t(n) * n_k),
                                     std::span<float>(v_).first(size_t(n) * n_v)};
      kernels::MatMuls(kernels_, pool_, ws, std::span<const float>(h_).first(size_t(n) * n_embd), n,
                       ys, mm_scratch_);
      for (int64_t t = 0; t < n; ++t) {
        if (!L.bq.empty()) ops::AddInPlace(row(q_, size_t(t), n_q), L.bq);
        if (!L.bk.empty()) ops::AddInPlace(row(k_, size_t(t), n_k), L.bk);
        if (!L.bv.empty()) ops::AddInPlace(row(v_, size_t(t), n_v), L.bv);
      }
    }

    // Per-head q/k norms, RoPE, q scale; then store k and v in the cache.
    const bool swa = hp.is_swa[il] && hp.n_swa > 0;
    ops::RopeParams rp{.style = arch.rope,
                       .n_rot = int(hp.n_rot),
                       .freq_base = swa ? hp.rope_freq_base_swa : hp.rope_freq_base,
                       .freq_scale = swa ? 1.0f : hp.rope_freq_scale,
                       .attn_factor = hp.rope_attn_factor,
                       .yarn = !swa && hp.rope_scaling == RopeScaling::kYarn,
                       .n_ctx_orig = hp.n_ctx_orig,
                       .freq_factors = m.rope_factors()};
    for (int64_t t = 0; t < n; ++t) {
      const BatchToken& b = batch[size_t(t)];
      float* q = &q_[size_t(t) * n_q];
      float* k = &k_[size_t(t) * n_k];
      if (arch.qk_norm) {
        for (uint32_t h = 0; h < hp.n_head; ++h) {
          std::span<float> qh(q + h * hd, hd);
          ops::RmsNorm(qh, L.q_norm, hp.rms_eps, qh);
        }
        for (uint32_t h = 0; h < hp.n_head_kv; ++h) {
          std::span<float> kh(k + h * hd, hd);
          ops::RmsNorm(kh, L.k_norm, hp.rms_eps, kh);
        }
      }
      if (hp.n_rot > 0) {
        ops::RopeAngles(rp, b.pos, cos_sin);
        ops::ApplyRope(rp, cos_sin, q, int(hp.n_head), int(hd));
        ops::ApplyRope(rp, cos_sin, k, int(hp.n_head_kv), int(hd));
      }
      if (q_scale != 1.0f)
        for (size_t i = 0; i < n_q; ++i) q[i] *= q_scale;
      std::memcpy(kv_.k(il, b.seq, uint32_t(b.pos)), k, n_k * sizeof(float));
      std::memcpy(kv_.v(il, b.seq, uint32_t(b.pos)), &v_[size_t(t) * n_v], n_v * sizeof(float));
    }

    Attention(il, batch);

    MatMul(L.wo, attn_, n, o_);
    for (int64_t t = 0; t < n; ++t) {
      auto o = row(o_, size_t(t), n_embd);
      if (!L.bo.empty()) ops::AddInPlace(o, L.bo);
      if (arch.post_norms) ops::RmsNorm(o, L.post_attn_norm, hp.rms_eps, o);
      ops::AddInPlace(row(x_, size_t(t), n_embd), o);
      ops::RmsNorm(row(x_, size_t(t), n_embd), L.ffn_norm, hp.rms_eps, row(h_, size_t(t), n_embd));
    }

    // Feed-forward: down(act(gate·h) ⊙ up·h).
    if (L.fused_gate_up) {
      gu_.resize(size_t(n) * 2 * n_ff);
      MatMul(L.ffn_up, h_, n, gu_);
      for (int64_t t = 0; t < n; ++t) {
        auto r = row(gu_, size_t(t), 2 * n_ff);
        std::copy_n(r.data(), n_ff, &gate_[size_t(t) * n_ff]);
        std::copy_n(r.data() + n_ff, n_ff, &up_[size_t(t) * n_ff]);
      }
    } else {
      const kernels::WeightMatrix* ws[] = {&L.ffn_gate, &L.ffn_up};
      const std::span<float> ys[] = {std::span<float>(gate_).first(size_t(n) * n_ff),
                                     std::span<float>(up_).first(size_t(n) * n_ff)};
      kernels::MatMuls(kernels_, pool_, ws, std::span<const float>(h_).first(size_t(n) * n_embd), n,
                       ys, mm_scratch_);
    }
    // gate_ and up_ are contiguous [n, n_ff]: split the elements over the pool (one token's
    // n_ff transcendental evaluations are too many for one thread in decode).
    pool_.ParallelFor(n * int64_t(n_ff), 2048, [&](int64_t b, int64_t e) {
      ops::GatedActivation(arch.act, std::span<float>(gate_.data() + b, size_t(e - b)),
                           std::span<const float>(up_.data() + b, size_t(e - b)));
    });
    MatMul(L.ffn_down, gate_, n, o_);
    for (int64_t t = 0; t < n; ++t) {
      auto o = row(o_, size_t(t), n_embd);
      if (arch.post_norms) ops::RmsNorm(o, L.post_ffn_norm, hp.rms_eps, o);
      ops::AddInPlace(row(x_, size_t(t), n_embd), o);
    }
  }

  for (const BatchToken& b : batch) kv_.set_seq_len(b.seq, uint32_t(b.pos) + 1);

  // Output head, only for the entries that asked for logits.
  int64_t n_out = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (!batch[size_t(t)].want_logits) continue;
    ops::RmsNorm(row(x_, size_t(t), n_embd), m.output_norm(), hp.rms_eps, row(h_, size_t(n_out), n_embd));
    ++n_out;
  }
  if (n_out == 0) return;
  const size_t n_vocab = hp.n_vocab;
  const size_t base = logits->size();
  logits->resize(base + size_t(n_out) * n_vocab);
  MatMul(m.output(), h_, n_out, std::span<float>(logits->data() + base, size_t(n_out) * n_vocab));
  for (int64_t t = 0; t < n_out; ++t) {
    std::span<float> lg(logits->data() + base + size_t(t) * n_vocab, n_vocab);
    if (!m.output_bias().empty()) ops::AddInPlace(lg, m.output_bias());
    if (hp.final_logit_softcap > 0) {
      const float c = hp.final_logit_softcap;
      for (float& v : lg) v = c * std::tanh(v / c);
    }
  }
}

}  // namespace foundry::engine
