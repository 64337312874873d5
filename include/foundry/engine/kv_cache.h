#pragma once
// KvCache: paged keys and values of every layer for up to n_seq sequences of up to n_ctx
// positions each.
//
// Memory is one pool of fixed-size blocks of kBlockSize positions, sized from a budget rather
// than from n_seq × n_ctx (the default budget keeps that capacity). Each sequence has a block
// table: position p of sequence s lives in block table(s)[p / kBlockSize] at row
// p % kBlockSize. Layout (f32): k[layer][block][row][n_embd_k_gqa], v likewise, so one block
// of one layer is a contiguous [kBlockSize][n_embd_k_gqa] tile.
//
// Sequences grow with Reserve() (kResourceExhausted when the pool is out; all or nothing) and
// give blocks back with Truncate()/Free(). Blocks are reference-counted: ShareBlocks() lets a
// sequence start with full blocks of another (a prompt prefix); a shared block is never written
// — a sequence that must write into a shared partial block gets a private copy first (in
// Reserve). Each sequence tracks how many positions are filled; positions are written in order.
//
// Thread-compatible: one Context drives it; distinct (layer, seq, pos) cells may be written from
// different threads.

#include <cstdint>
#include <span>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/hparams.h"

namespace foundry::engine {

class KvCache {
 public:
  // Positions per block: a multiple of attention::kMaxTile, so attention tiles never cross one.
  static constexpr uint32_t kBlockSize = 16;

  // n_blocks == 0: n_seq × ceil(n_ctx / kBlockSize) blocks (every sequence can fill its context).
  // kResourceExhausted if the pool does not fit in memory; kInvalidArgument for zero sizes.
  static Result<KvCache> Create(const Hparams& hp, uint32_t n_ctx, uint32_t n_seq,
                                uint32_t n_blocks = 0);
  // Bytes of one block (keys and values of every layer).
  static uint64_t BlockBytes(const Hparams& hp);

  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t n_seq() const { return n_seq_; }
  uint64_t bytes() const { return uint64_t(k_.size() + v_.size()) * sizeof(float); }

  // Pool counters (for /metrics and admission).
  uint32_t n_blocks() const { return uint32_t(refs_.size()); }
  uint32_t n_free_blocks() const { return uint32_t(free_.size()); }
  uint32_t n_used_blocks() const { return n_blocks() - n_free_blocks(); }

  // Filled positions of `seq`. REQUIRES: seq < n_seq().
  uint32_t seq_len(uint32_t seq) const { return len_[seq]; }
  // REQUIRES: len <= capacity(seq).
  void set_seq_len(uint32_t seq, uint32_t len) { len_[seq] = len; }
  // Positions of `seq` backed by blocks.
  uint32_t capacity(uint32_t seq) const { return uint32_t(tables_[seq].size()) * kBlockSize; }
  std::span<const uint32_t> block_table(uint32_t seq) const { return tables_[seq]; }
  uint32_t block_refs(uint32_t block) const { return refs_[block]; }

  // Blocks Reserve(seq, n_positions) would take from the pool (new blocks, plus a private copy
  // of a shared partial tail block that the next position would be written into).
  uint32_t BlocksNeeded(uint32_t seq, uint32_t n_positions) const;
  // Backs positions [0, n_positions) of `seq` with blocks. kResourceExhausted (nothing changed)
  // if the pool has too few free blocks; kOutOfRange if n_positions > n_ctx.
  Status Reserve(uint32_t seq, uint32_t n_positions);

  // Forget positions >= len of `seq` and return blocks no longer needed (len 0 frees them all).
  void Truncate(uint32_t seq, uint32_t len);
  void Free(uint32_t seq) { Truncate(seq, 0); }

  // `dst` (empty) starts with the first n_positions of `src`, sharing its blocks.
  // kInvalidArgument unless n_positions is a multiple of kBlockSize, <= seq_len(src), dst is
  // empty and dst != src.
  Status ShareBlocks(uint32_t src, uint32_t dst, uint32_t n_positions);

  // `seq` (empty) starts with `blocks`, full blocks kept by someone else (a prefix cache),
  // taking a reference on each: its length becomes blocks.size() × kBlockSize.
  // kInvalidArgument unless seq is empty, the blocks are held (refs > 0) and fit n_ctx.
  Status AdoptBlocks(uint32_t seq, std::span<const uint32_t> blocks);
  // An extra reference on a held block (REQUIRES block_refs(block) > 0), and dropping one: a
  // block whose last reference goes returns to the pool.
  void Retain(uint32_t block) { ++refs_[block]; }
  void Release(uint32_t block);

  // Row of n_embd_k_gqa (n_embd_v_gqa) floats. REQUIRES: indices in range, pos < capacity(seq).
  float* k(uint32_t layer, uint32_t seq, uint32_t pos) {
    return k_block(layer, tables_[seq][pos / kBlockSize]) + size_t(pos % kBlockSize) * dk_;
  }
  float* v(uint32_t layer, uint32_t seq, uint32_t pos) {
    return v_block(layer, tables_[seq][pos / kBlockSize]) + size_t(pos % kBlockSize) * dv_;
  }
  const float* k(uint32_t layer, uint32_t seq, uint32_t pos) const {
    return const_cast<KvCache*>(this)->k(layer, seq, pos);
  }
  const float* v(uint32_t layer, uint32_t seq, uint32_t pos) const {
    return const_cast<KvCache*>(this)->v(layer, seq, pos);
  }
  // First row of `block` in `layer`: kBlockSize rows of n_embd_k_gqa (n_embd_v_gqa) floats.
  float* k_block(uint32_t layer, uint32_t block) {
    return &k_[(size_t(layer) * n_blocks() + block) * kBlockSize * dk_];
  }
  float* v_block(uint32_t layer, uint32_t block) {
    return &v_[(size_t(layer) * n_blocks() + block) * kBlockSize * dv_];
  }
  const float* k_block(uint32_t layer, uint32_t block) const {
    return const_cast<KvCache*>(this)->k_block(layer, block);
  }
  const float* v_block(uint32_t layer, uint32_t block) const {
    return const_cast<KvCache*>(this)->v_block(layer, block);
  }

 private:
  uint32_t n_ctx_ = 0, n_seq_ = 0, n_layer_ = 0, dk_ = 0, dv_ = 0;
  std::vector<float> k_, v_;
  std::vector<uint32_t> len_;
  std::vector<std::vector<uint32_t>> tables_;  // [seq] → block ids
  std::vector<uint32_t> refs_;                 // [block] → sequences holding it
  std::vector<uint32_t> free_;                 // free block ids (a stack)
};

}  // namespace foundry::engine
