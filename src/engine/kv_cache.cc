#include "foundry/engine/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

namespace foundry::engine {

uint64_t KvCache::BlockBytes(const Hparams& hp) {
  return uint64_t(hp.n_layer) * kBlockSize * (hp.n_embd_k_gqa() + hp.n_embd_v_gqa()) * sizeof(float);
}

Result<KvCache> KvCache::Create(const Hparams& hp, uint32_t n_ctx, uint32_t n_seq, uint32_t n_blocks) {
  if (n_ctx == 0 || n_seq == 0) return Status::InvalidArgument("KV cache needs n_ctx and n_seq > 0");
  if (n_blocks == 0) n_blocks = n_seq * ((n_ctx + kBlockSize - 1) / kBlockSize);
  KvCache c;
  c.n_ctx_ = n_ctx;
  c.n_seq_ = n_seq;
  c.n_layer_ = hp.n_layer;
  c.dk_ = hp.n_embd_k_gqa();
  c.dv_ = hp.n_embd_v_gqa();
  const uint64_t cells = uint64_t(hp.n_layer) * n_blocks * kBlockSize;
  const uint64_t bytes = uint64_t(n_blocks) * BlockBytes(hp);
  try {
    c.k_.assign(size_t(cells * c.dk_), 0.0f);
    c.v_.assign(size_t(cells * c.dv_), 0.0f);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("KV cache of " + std::to_string(bytes >> 20) +
                                     " MiB does not fit in memory; use a smaller context");
  }
  c.len_.assign(n_seq, 0);
  c.tables_.resize(n_seq);
  c.refs_.assign(n_blocks, 0);
  c.free_.resize(n_blocks);
  // A stack popped from the back: block 0 is handed out first.
  for (uint32_t i = 0; i < n_blocks; ++i) c.free_[i] = n_blocks - 1 - i;
  return c;
}

uint32_t KvCache::BlocksNeeded(uint32_t seq, uint32_t n_positions) const {
  const uint32_t want = (n_positions + kBlockSize - 1) / kBlockSize;
  const auto& table = tables_[seq];
  uint32_t need = want > table.size() ? want - uint32_t(table.size()) : 0;
  const uint32_t len = len_[seq];
  if (n_positions > len && len % kBlockSize != 0 && refs_[table[len / kBlockSize]] > 1) ++need;
  return need;
}

Status KvCache::Reserve(uint32_t seq, uint32_t n_positions) {
  if (n_positions > n_ctx_)
    return Status::OutOfRange("sequence " + std::to_string(seq) + ": " + std::to_string(n_positions) +
                              " positions exceed the context size of " + std::to_string(n_ctx_));
  const uint32_t need = BlocksNeeded(seq, n_positions);
  if (need > free_.size())
    return Status::ResourceExhausted("KV cache is full: sequence " + std::to_string(seq) + " needs " +
                                     std::to_string(need) + " more blocks of " +
                                     std::to_string(kBlockSize) + " positions, " +
                                     std::to_string(free_.size()) + " of " +
                                     std::to_string(n_blocks()) + " are free");
  auto& table = tables_[seq];
  const uint32_t len = len_[seq];
  if (n_positions > len && len % kBlockSize != 0) {
    // Copy-on-write: the tail block is shared and the next position would be written into it.
    uint32_t& tail = table[len / kBlockSize];
    if (refs_[tail] > 1) {
      const uint32_t copy = free_.back();
      free_.pop_back();
      refs_[copy] = 1;
      for (uint32_t il = 0; il < n_layer_; ++il) {
        std::memcpy(k_block(il, copy), k_block(il, tail), sizeof(float) * kBlockSize * dk_);
        std::memcpy(v_block(il, copy), v_block(il, tail), sizeof(float) * kBlockSize * dv_);
      }
      --refs_[tail];
      tail = copy;
    }
  }
  const uint32_t want = (n_positions + kBlockSize - 1) / kBlockSize;
  while (table.size() < want) {
    const uint32_t b = free_.back();
    free_.pop_back();
    refs_[b] = 1;
    table.push_back(b);
  }
  return Status::Ok();
}

void KvCache::Release(uint32_t block) {
  if (--refs_[block] == 0) free_.push_back(block);
}

void KvCache::Truncate(uint32_t seq, uint32_t len) {
  len_[seq] = std::min(len_[seq], len);
  auto& table = tables_[seq];
  const size_t keep = (len_[seq] + kBlockSize - 1) / kBlockSize;
  while (table.size() > keep) {
    Release(table.back());
    table.pop_back();
  }
}

Status KvCache::ShareBlocks(uint32_t src, uint32_t dst, uint32_t n_positions) {
  if (src >= n_seq_ || dst >= n_seq_ || src == dst)
    return Status::InvalidArgument("ShareBlocks needs two distinct sequences < " + std::to_string(n_seq_));
  if (n_positions % kBlockSize != 0 || n_positions > len_[src])
    return Status::InvalidArgument("ShareBlocks shares whole filled blocks: " + std::to_string(n_positions) +
                                   " positions is not a multiple of " + std::to_string(kBlockSize) +
                                   " within the " + std::to_string(len_[src]) + " filled positions of sequence " +
                                   std::to_string(src));
  if (!tables_[dst].empty() || len_[dst] != 0)
    return Status::InvalidArgument("ShareBlocks: sequence " + std::to_string(dst) + " is not empty");
  for (uint32_t i = 0; i < n_positions / kBlockSize; ++i) {
    const uint32_t b = tables_[src][i];
    ++refs_[b];
    tables_[dst].push_back(b);
  }
  len_[dst] = n_positions;
  return Status::Ok();
}

Status KvCache::AdoptBlocks(uint32_t seq, std::span<const uint32_t> blocks) {
  if (seq >= n_seq_) return Status::InvalidArgument("AdoptBlocks: sequence id out of range");
  if (!tables_[seq].empty() || len_[seq] != 0)
    return Status::InvalidArgument("AdoptBlocks: sequence " + std::to_string(seq) + " is not empty");
  if (uint64_t(blocks.size()) * kBlockSize > n_ctx_)
    return Status::InvalidArgument("AdoptBlocks: " + std::to_string(blocks.size()) + " blocks exceed the context");
  for (uint32_t b : blocks)
    if (b >= n_blocks() || refs_[b] == 0)
      return Status::InvalidArgument("AdoptBlocks: block " + std::to_string(b) + " is not held");
  for (uint32_t b : blocks) {
    ++refs_[b];
    tables_[seq].push_back(b);
  }
  len_[seq] = uint32_t(blocks.size()) * kBlockSize;
  return Status::Ok();
}

}  // namespace foundry::engine
