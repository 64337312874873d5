#pragma once
// Causal attention of a group of query rows against one KV head of one sequence, without
// materialising the full score matrix.
//
// The tiled kernels walk the keys in tiles of one vector register (16 keys with AVX-512): a tile
// of keys is transposed once into scratch, scores for blocks of 8 rows come from broadcast-FMA
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
  const float* k = nullptr;         // key at position j: k + j·kv_stride (head offset applied)
  const float* v = nullptr;         // value at position j: v + j·kv_stride
  size_t kv_stride = 0;
  int head_dim = 0;
  float scale = 1.0f;               // scores = scale · q·k
  float* scratch = nullptr;         // ScratchFloats(n_rows, head_dim) floats
};

size_t ScratchFloats(int n_rows, int head_dim);

// Largest key tile of any variant (the scratch is sized for it).
inline constexpr int kMaxTile = 16;

using Fn = void (*)(const Task& task);

// Two-pass reference, the spec for the others.
void AttentionRef(const Task& task);

// The variant for an ISA level the CPU supports, e.g. KernelTable::isa() (the scalar level uses
// the tiled algorithm compiled for the baseline ISA).
Fn Select(kernels::Isa isa);

}  // namespace foundry::engine::attention
