#pragma once
// Context: runs the forward pass of a Model over batches of (token, position, sequence) entries,
// keeping keys/values in its paged KvCache (blocks are reserved per sequence as it grows). One sequence or many: every entry names its sequence, and
// attention only looks at keys of the same sequence, so a batch may mix prompt tokens of one
// request with decode tokens of others.
//
// Thread-safety: thread-compatible (one caller at a time). Decode() uses the ThreadPool for its
// matrix products and attention. The Model is shared; kernels and pool are borrowed and must
// outlive the Context.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/attention.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/kv_cache.h"
#include "foundry/engine/model.h"

namespace foundry::engine {

struct BatchToken {
  TokenId token = 0;
  int32_t pos = 0;         // position in its sequence (0 = first token)
  uint32_t seq = 0;        // sequence id < ContextOptions::n_seq
  bool want_logits = false;
};

struct ContextOptions {
  uint32_t n_ctx = 0;      // positions per sequence; 0 = Hparams::default_n_ctx()
  uint32_t n_seq = 1;      // sequences the KV cache holds at once
  uint32_t n_ubatch = 512; // largest number of entries evaluated in one internal step
  // KV memory: a pool of KvCache::kBlockSize-position blocks shared by all sequences. The first
  // non-zero of n_kv_blocks, kv_budget_bytes (rounded down to whole blocks) sizes it; both 0 =
  // n_seq × ceil(n_ctx / kBlockSize) blocks, enough for every sequence to fill its context.
  uint32_t n_kv_blocks = 0;
  uint64_t kv_budget_bytes = 0;
};

class Context {
 public:
  // kResourceExhausted if the KV cache does not fit; kInvalidArgument for bad options.
  static Result<std::unique_ptr<Context>> Create(std::shared_ptr<const Model> model,
                                                 const kernels::KernelTable& kernels,
                                                 ThreadPool& pool, const ContextOptions& options);

  // Evaluates `batch`. For each entry with want_logits, n_vocab logits are appended to *logits
  // in batch order. Entries of one sequence must continue it: the first at pos ==
  // kv_cache().seq_len(seq), then consecutive positions.
  // kInvalidArgument: token id or sequence out of range, positions not continuing the sequence.
  // kOutOfRange: a position >= n_ctx (the message says by how much the context is exceeded).
  // kResourceExhausted: the KV block pool has too few free blocks for the batch's positions.
  // On error nothing of the batch is kept in the cache (and no blocks are taken).
  Status Decode(std::span<const BatchToken> batch, std::vector<float>* logits);

  // KV blocks Decode(batch) would take from the pool (KvCache::BlocksNeeded summed over the
  // batch's sequences). REQUIRES: batch valid (as Decode checks it).
  uint32_t BlocksNeeded(std::span<const BatchToken> batch) const;

  const Model& model() const { return *model_; }
  uint32_t n_ctx() const { return kv_.n_ctx(); }
  KvCache& kv_cache() { return kv_; }
  ThreadPool& pool() const { return pool_; }
  const KvCache& kv_cache() const { return kv_; }

 private:
  Context(std::shared_ptr<const Model> model, const kernels::KernelTable& kernels,
          ThreadPool& pool, KvCache kv, const ContextOptions& options)
      : model_(std::move(model)), kernels_(kernels), pool_(pool), kv_(std::move(kv)),
        options_(options), attention_(attention::Select(kernels.isa())) {}

  Status Validate(std::span<const BatchToken> batch) const;
  Status ReserveBlocks(std::span<const BatchToken> batch);
  void DecodeUbatch(std::span<const BatchToken> batch, std::vector<float>* logits);
  void Attention(uint32_t il, std::span<const BatchToken> batch);
  void MatMul(const kernels::WeightMatrix& w, std::span<const float> x, int64_t n,
              std::span<float> y);

  std::shared_ptr<const Model> model_;
  const kernels::KernelTable& kernels_;
  ThreadPool& pool_;
  KvCache kv_;
  ContextOptions options_;
  attention::Fn attention_;  // same ISA level as the kernel table

  // Scratch, sized per ubatch: shapes in the comments of DecodeUbatch.
  std::vector<float> x_, h_, q_, k_, v_, qkv_, attn_, o_, gate_, up_, gu_;
  std::vector<std::byte> mm_scratch_, embd_scratch_;
};

}  // namespace foundry::engine
