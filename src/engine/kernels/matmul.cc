// MatMul (plain vec_dot path and packed tiled path) and DequantizeRow.

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>

#include "engine/kernels/packed.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

// Multiply-adds below which a piece of rows is not worth handing to another thread: a pool wake-up
// costs about a microsecond, about this much work for the slowest (scalar) kernels.
constexpr int64_t kMinMacsPerChunk = 32 * 1024;

// Smallest piece of a thread's range of rows or row groups that another thread may steal (weight
// bytes): big enough that claiming it (one compare-and-swap) is noise, small enough to even out a
// thread slowed down by other processes.
constexpr int64_t kMinStealBytes = 32 * 1024;

// Activation bytes (codes) of one token chunk of the packed path: with the weights of the group
// being worked on (≤ ~50 KB for the widest rows we see) it stays in a 512 KB – 1 MB L2.
constexpr int64_t kTokenChunkBytes = 256 * 1024;

size_t RowBytes(const QuantOps& ops, int64_t n) {
  return size_t(n / ops.block_elems) * size_t(ops.block_bytes);
}

size_t AlignUp64(size_t n) { return (n + 63) / 64 * 64; }

// A range of chunks [front, back) that its owner takes from the front and other threads steal
// from the back, both with one compare-and-swap of the packed pair, so each chunk is taken
// exactly once. Owners walk their range in address order: during decode each thread streams one
// contiguous stretch of weights, which the hardware prefetchers follow (handing out small pieces
// round-robin instead cut decode bandwidth by a third on 896-wide matrices).
class alignas(64) StealableRange {
 public:
  void Reset(uint32_t n) { state_.store(uint64_t(n) << 32, std::memory_order_relaxed); }
  // The next chunk from the front (owner) or the back (thief); -1 when none is left.
  int64_t TakeFront() { return Take(true); }
  int64_t TakeBack() { return Take(false); }

 private:
  int64_t Take(bool front) {
    uint64_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
      const uint32_t f = uint32_t(s), b = uint32_t(s >> 32);
      if (f >= b) return -1;
      const uint64_t next = front ? s + 1 : s - (uint64_t(1) << 32);
      if (state_.compare_exchange_weak(s, next, std::memory_order_relaxed))
        return front ? f : b - 1;
    }
  }
  std::atomic<uint64_t> state_{0};  // front in the low, back in the high 32 bits
};

// fn(begin, end) over pieces of [0, n): each thread of the pool owns a contiguous range (as equal
// as possible) and walks it in order in pieces of `piece` items; a thread that is done steals
// pieces from the back of the others' ranges. Each item is covered exactly once.
template <class F>
void SplitContiguous(ThreadPool& pool, int64_t n, int64_t piece, F&& fn) {
  piece = std::max<int64_t>(1, piece);
  const int64_t n_ranges = std::clamp<int64_t>((n + piece - 1) / piece, 1, pool.size());
  piece = std::min(piece, (n + n_ranges - 1) / n_ranges);
  std::vector<StealableRange> ranges(static_cast<size_t>(n_ranges));
  auto range_begin = [&](int64_t p) { return n * p / n_ranges; };
  for (int64_t p = 0; p < n_ranges; ++p)
    ranges[size_t(p)].Reset(uint32_t((range_begin(p + 1) - range_begin(p) + piece - 1) / piece));
  auto run = [&](int64_t p, int64_t c) {
    const int64_t b = range_begin(p) + c * piece;
    fn(b, std::min(range_begin(p + 1), b + piece));
  };
  pool.Run(n_ranges, [&](int64_t p) {
    for (int64_t c; (c = ranges[size_t(p)].TakeFront()) >= 0;) run(p, c);
    for (int64_t i = 1; i < n_ranges; ++i) {
      const int64_t q = (p + i) % n_ranges;
      for (int64_t c; (c = ranges[size_t(q)].TakeBack()) >= 0;) run(q, c);
    }
  });
}

// Every output a vec_dot of one weight row and one converted activation row.
void PlainMatMul(const KernelTable& kernels, const QuantOps& ops, ThreadPool& pool,
                 const WeightMatrix& w, std::span<const float> x, int64_t n_tokens,
                 std::span<float> y, std::vector<std::byte>& scratch) {
  const QuantOps* act = kernels.Get(ops.vec_dot_type);
  assert(act != nullptr && act->from_float != nullptr);
  assert(w.n_cols % act->block_elems == 0);

  // 1. Each activation row once into the weight's vec_dot_type: [n_tokens, act_row_bytes].
  //    F32 weights read x in place.
  const size_t act_row_bytes = RowBytes(*act, w.n_cols);
  const std::byte* act_data = reinterpret_cast<const std::byte*>(x.data());
  if (ops.vec_dot_type != TensorType::kF32) {
    scratch.resize(size_t(n_tokens) * act_row_bytes);
    std::byte* out = scratch.data();
    pool.ParallelFor(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        act->from_float(x.data() + t * w.n_cols, out + size_t(t) * act_row_bytes, w.n_cols);
      }
    });
    act_data = scratch.data();
  }

  // 2. Output rows split over the pool in contiguous ranges (one weight stream per thread); each
  //    weight row is read once and dotted with every token row while it is hot in cache.
  const int64_t macs_per_row = std::max<int64_t>(1, w.n_cols * n_tokens);
  const int64_t piece = std::max({int64_t(1), kMinMacsPerChunk / macs_per_row,
                                  kMinStealBytes / int64_t(std::max<size_t>(1, w.row_bytes))});
  const auto vec_dot = ops.vec_dot;
  SplitContiguous(pool, w.n_rows, piece, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const std::byte* row = w.data + size_t(r) * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) {
        y[size_t(t * w.n_rows + r)] = vec_dot(w.n_cols, row, act_data + size_t(t) * act_row_bytes);
      }
    }
  });
}

// The activation panel of the packed kernels (packed.h) for one input: [n_tokens][n_cols] codes,
// [n_tokens][nb] scales, [n_tokens][nb·aux] words, in `scratch`.
struct Panel {
  const int8_t* qs;
  const float* d;
  const int32_t* aux;
};

Panel PreparePanel(const KernelTable& kernels, const QuantOps& ops, ThreadPool& pool,
                   int64_t n_cols, std::span<const float> x, int64_t n_tokens,
                   std::vector<std::byte>& scratch) {
  const PackedFormat& fmt = *ops.packed;
  const QuantOps* act = kernels.Get(ops.vec_dot_type);
  assert(act != nullptr && act->from_float != nullptr);
  const int64_t nb = n_cols / fmt.block_elems;
  const size_t act_row_bytes = RowBytes(*act, n_cols);
  // Then one converted row per preparing thread.
  const int64_t n_prep = n_tokens < 4 ? 1 : std::min<int64_t>(pool.size(), n_tokens);
  const size_t qs_bytes = AlignUp64(size_t(n_tokens * n_cols));
  const size_t d_bytes = AlignUp64(size_t(n_tokens * nb) * sizeof(float));
  const size_t aux_bytes = AlignUp64(size_t(n_tokens * nb * fmt.aux_per_block) * sizeof(int32_t));
  const size_t tmp_bytes = AlignUp64(act_row_bytes);
  scratch.resize(qs_bytes + d_bytes + aux_bytes + size_t(n_prep) * tmp_bytes + 64);
  std::byte* base = scratch.data();
  base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;
  auto* act_qs = reinterpret_cast<int8_t*>(base);
  auto* act_d = reinterpret_cast<float*>(base + qs_bytes);
  auto* act_aux = reinterpret_cast<int32_t*>(base + qs_bytes + d_bytes);
  std::byte* tmp = base + qs_bytes + d_bytes + aux_bytes;
  auto prepare = [&](int64_t c) {
    std::byte* row = tmp + size_t(c) * tmp_bytes;
    for (int64_t t = n_tokens * c / n_prep; t < n_tokens * (c + 1) / n_prep; ++t) {
      act->from_float(x.data() + t * n_cols, row, n_cols);
      fmt.prepare_act(row, nb, act_qs + t * n_cols, act_d + t * nb,
                      act_aux + t * nb * fmt.aux_per_block);
    }
  };
  pool.Run(n_prep, prepare);
  return {act_qs, act_d, act_aux};
}

// Tiles of 16 rows × up to 8 tokens from the packed copies (packed.h) of several matrices of one
// packed format that read the same input (q, k and v; gate and up): one panel, and one loop over
// the groups of all of them, so the small matrices share the pool's start and end with the big
// one instead of each paying for its own (in decode a 128-row k or v is a few microseconds of
// weights, about what a loop's start and final wait cost).
void PackedMatMuls(const KernelTable& kernels, const QuantOps& ops, ThreadPool& pool,
                   std::span<const WeightMatrix* const> ws, std::span<const float> x,
                   int64_t n_tokens, std::span<float* const> ys, std::vector<std::byte>& scratch) {
  const PackedFormat& fmt = *ops.packed;
  const int64_t n_cols = ws[0]->n_cols;
  const int64_t nb = n_cols / fmt.block_elems;
  const Panel panel = PreparePanel(kernels, ops, pool, n_cols, x, n_tokens, scratch);
  // Groups of rows over the threads, numbered across the matrices in order; inside a chunk of
  // groups, token chunks (activations in L2) outside, groups inside (a group's weights stay in
  // L1/L2 across the chunk's token tiles).
  constexpr size_t kMaxMatrices = 4;
  assert(ws.size() <= kMaxMatrices && ws.size() == ys.size());
  PackedGemmArgs args[kMaxMatrices];
  int64_t first_group[kMaxMatrices + 1] = {0};
  for (size_t m = 0; m < ws.size(); ++m) {
    const WeightMatrix& w = *ws[m];
    args[m] = {.w = w.packed,
               .group_bytes = PackedGroupBytes(fmt, nb),
               .n_blocks = nb,
               .n_cols = n_cols,
               .n_rows = w.n_rows,
               .act_qs = panel.qs,
               .act_d = panel.d,
               .act_aux = panel.aux,
               .aux_per_block = fmt.aux_per_block,
               .y = ys[m]};
    first_group[m + 1] = first_group[m] + (w.n_rows + kGroupRows - 1) / kGroupRows;
  }
  const int64_t n_groups = first_group[ws.size()];
  const int64_t token_chunk = std::max<int64_t>(8, kTokenChunkBytes / n_cols / 8 * 8);
  const PackedGemmFn gemm = ops.packed_gemm;
  // Each thread owns a contiguous range of groups, cut into chunks that others may steal.
  SplitContiguous(pool, n_groups, kMinStealBytes / int64_t(args[0].group_bytes),
                  [&](int64_t g0, int64_t g1) {
                    for (size_t m = 0; m < ws.size(); ++m) {
                      const int64_t b = std::max(g0, first_group[m]);
                      const int64_t e = std::min(g1, first_group[m + 1]);
                      if (b >= e) continue;
                      for (int64_t t = 0; t < n_tokens; t += token_chunk)
                        gemm(args[m], b - first_group[m], e - first_group[m], t,
                             std::min(n_tokens, t + token_chunk));
                    }
                  });
}

}  // namespace

void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightMatrix& w,
            std::span<const float> x, int64_t n_tokens, std::span<float> y,
            std::vector<std::byte>& scratch) {
  const QuantOps* ops = kernels.Get(w.type);
  assert(ops != nullptr && ops->vec_dot != nullptr);
  assert(w.n_cols % ops->block_elems == 0);
  assert(int64_t(x.size()) >= n_tokens * w.n_cols && int64_t(y.size()) >= n_tokens * w.n_rows);
  if (n_tokens <= 0 || w.n_rows <= 0) return;
  if (w.packed != nullptr && ops->packed_gemm != nullptr) {
    const WeightMatrix* ws[] = {&w};
    float* ys[] = {y.data()};
    PackedMatMuls(kernels, *ops, pool, ws, x, n_tokens, ys, scratch);
  } else {
    PlainMatMul(kernels, *ops, pool, w, x, n_tokens, y, scratch);
  }
}

void MatMuls(const KernelTable& kernels, ThreadPool& pool,
             std::span<const WeightMatrix* const> ws, std::span<const float> x, int64_t n_tokens,
             std::span<const std::span<float>> ys, std::vector<std::byte>& scratch) {
  assert(ws.size() == ys.size() && !ws.empty());
  // Fused when every matrix has a packed copy in one and the same packed format (hence the same
  // activation panel) and the same width; otherwise one after the other.
  const QuantOps* ops = kernels.Get(ws[0]->type);
  bool fused = ws.size() <= 4 && n_tokens > 0 && ops != nullptr && ops->packed_gemm != nullptr;
  for (const WeightMatrix* w : ws) {
    const QuantOps* o = kernels.Get(w->type);
    fused = fused && w->packed != nullptr && o != nullptr && o->packed == ops->packed &&
            o->packed_gemm == ops->packed_gemm && w->n_cols == ws[0]->n_cols && w->n_rows > 0;
  }
  if (!fused) {
    for (size_t m = 0; m < ws.size(); ++m) MatMul(kernels, pool, *ws[m], x, n_tokens, ys[m], scratch);
    return;
  }
  float* yp[4];
  for (size_t m = 0; m < ws.size(); ++m) {
    assert(int64_t(ys[m].size()) >= n_tokens * ws[m]->n_rows);
    yp[m] = ys[m].data();
  }
  assert(int64_t(x.size()) >= n_tokens * ws[0]->n_cols);
  PackedMatMuls(kernels, *ops, pool, ws, x, n_tokens, std::span<float* const>(yp, ws.size()),
                scratch);
}

void DequantizeRow(const KernelTable& kernels, const WeightMatrix& w, int64_t row,
                   std::span<float> out) {
  const QuantOps* ops = kernels.Get(w.type);
  assert(ops != nullptr && row >= 0 && row < w.n_rows && int64_t(out.size()) >= w.n_cols);
  ops->to_float(w.data + size_t(row) * w.row_bytes, out.data(), w.n_cols);
}

}  // namespace foundry::engine::kernels
