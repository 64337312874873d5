#pragma once
// Causal attention of a group of query rows against one KV head of one sequence, without
// materialising the full score matrix. Keys and values are paged: found through a block table
// (one pointer per block of the sequence), as the KvCache stores them.
//
// The tiled kernels walk the keys in tiles of one vector register (16 keys with AVX-512): a tile
// of keys (starting at a multiple of the tile size, keys before a row's first visible position
// masked) is transposed once into scratch, scores for blocks of 8 rows come from broadcast-FMA
// loops over head_dim, and an online softmax (running
// max and sum per row) rescales the accumulated output as tiles arrive. Rows may be several heads
// that share the KV head (grouped-query attention) and several positions of the same sequence, so
// one transposed key tile serves them all. AttentionRef is the two-pass reference (scores, softmax
// summed in double, weighted values); the tiled variants match it to f32 rounding.
// Thread-safety: stateless; run tasks in parallel with separate scratch.

#include <cstddef>
#include <cstdint>

#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::attention {

struct Task {
  int n_rows = 0;                   // query rows
  const float* const* q = nullptr;  // [n_rows] → head_dim floats (RoPE'd, pre-scaled if needed)
  float* const* out = nullptr;      // [n_rows] → head_dim floats written
  const int32_t* lo = nullptr;      // [n_rows] first visible key position (sliding window) ...
  const int32_t* hi = nullptr;      // [n_rows] ... last visible key position (the query's own)
  // Paged keys/values: position j lives in block j / block_size at row j % block_size;
  // key j = k[j / block_size] + (j % block_size)·kv_stride (head offset applied to each
  // pointer), value j likewise from v. block_size is a positive multiple of kMaxTile, so the
  // kernels' key tiles (aligned to their tile size) never cross a block.
  const float* const* k = nullptr;  // [blocks] → first row of the block
  const float* const* v = nullptr;
  int block_size = 0;
  size_t kv_stride = 0;             // floats between consecutive rows of a block
  int head_dim = 0;
  float scale = 1.0f;               // scores = scale · q·k
  float* scratch = nullptr;         // ScratchFloats(n_rows, head_dim) floats
};

size_t ScratchFloats(int n_rows, int head_dim);

// Largest key tile of any variant (the scratch is sized for it); block sizes are multiples.
inline constexpr int kMaxTile = 16;

inline const float* Key(const Task& t, int32_t j) {
  return t.k[j / t.block_size] + size_t(j % t.block_size) * t.kv_stride;
}
inline const float* Value(const Task& t, int32_t j) {
  return t.v[j / t.block_size] + size_t(j % t.block_size) * t.kv_stride;
}

using Fn = void (*)(const Task& task);

// Two-pass reference, the spec for the others.
void AttentionRef(const Task& task);

// The variant for an ISA level the CPU supports, e.g. KernelTable::isa() (the scalar level uses
// the tiled algorithm compiled for the baseline ISA).
Fn Select(kernels::Isa isa);

}  // namespace foundry::engine::attention
