#pragma once
// KvCache: keys and values of every layer for up to n_seq sequences of up to n_ctx positions.
//
// Layout (f32): k[layer][seq][pos][n_embd_k_gqa], v likewise — each sequence owns a contiguous
// slab today; a paged block table replaces the slab in the serving issue without changing this
// interface. Each sequence tracks how many positions are filled; positions must be written in
// order (no gaps). Thread-compatible: one Context drives it; distinct (layer, seq, pos) cells may
// be written from different threads.

#include <cstdint>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/hparams.h"

namespace foundry::engine {

class KvCache {
 public:
  // kResourceExhausted if the cache would not fit in memory; kInvalidArgument for zero sizes.
  static Result<KvCache> Create(const Hparams& hp, uint32_t n_ctx, uint32_t n_seq);

  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t n_seq() const { return n_seq_; }
  uint64_t bytes() const { return uint64_t(k_.size() + v_.size()) * sizeof(float); }

  // Filled positions of `seq`. REQUIRES: seq < n_seq().
  uint32_t seq_len(uint32_t seq) const { return len_[seq]; }
  void set_seq_len(uint32_t seq, uint32_t len) { len_[seq] = len; }
  // Forget positions >= len of `seq` (len 0 clears it).
  void Truncate(uint32_t seq, uint32_t len) {
    if (len < len_[seq]) len_[seq] = len;
  }

  // Row of n_embd_k_gqa (n_embd_v_gqa) floats. REQUIRES: indices in range.
  float* k(uint32_t layer, uint32_t seq, uint32_t pos) { return &k_[Index(layer, seq, pos, dk_)]; }
  float* v(uint32_t layer, uint32_t seq, uint32_t pos) { return &v_[Index(layer, seq, pos, dv_)]; }
  const float* k(uint32_t layer, uint32_t seq, uint32_t pos) const {
    return &k_[Index(layer, seq, pos, dk_)];
  }
  const float* v(uint32_t layer, uint32_t seq, uint32_t pos) const {
    return &v_[Index(layer, seq, pos, dv_)];
  }

 private:
  size_t Index(uint32_t layer, uint32_t seq, uint32_t pos, uint32_t d) const {
    return ((size_t(layer) * n_seq_ + seq) * n_ctx_ + pos) * d;
  }
  uint32_t n_ctx_ = 0, n_seq_ = 0, dk_ = 0, dv_ = 0;
  std::vector<float> k_, v_;
  std::vector<uint32_t> len_;
};

}  // namespace foundry::engine
