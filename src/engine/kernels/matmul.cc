// MatMul and DequantizeRow on top of the KernelTable.

#include <algorithm>
#include <cassert>

#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

// Multiply-adds below which a chunk of rows is not worth handing to another thread: a pool wake-up
// costs a few microseconds, about this much work for the slowest (scalar) kernels.
constexpr int64_t kMinMacsPerChunk = 32 * 1024;

size_t RowBytes(const QuantOps& ops, int64_t n) {
  return size_t(n / ops.block_elems) * size_t(ops.block_bytes);
}

}  // namespace

void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightMatrix& w,
            std::span<const float> x, int64_t n_tokens, std::span<float> y,
            std::vector<std::byte>& scratch) {
  const QuantOps* ops = kernels.Get(w.type);
  assert(ops != nullptr && ops->vec_dot != nullptr);
  const QuantOps* act = kernels.Get(ops->vec_dot_type);
  assert(act != nullptr && act->from_float != nullptr);
  assert(w.n_cols % ops->block_elems == 0 && w.n_cols % act->block_elems == 0);
  assert(int64_t(x.size()) >= n_tokens * w.n_cols && int64_t(y.size()) >= n_tokens * w.n_rows);
  if (n_tokens <= 0 || w.n_rows <= 0) return;

  // 1. Each activation row once into the weight's vec_dot_type: [n_tokens, act_row_bytes].
  //    F32 weights read x in place.
  const size_t act_row_bytes = RowBytes(*act, w.n_cols);
  const std::byte* act_data = reinterpret_cast<const std::byte*>(x.data());
  if (ops->vec_dot_type != TensorType::kF32) {
    scratch.resize(size_t(n_tokens) * act_row_bytes);
    std::byte* out = scratch.data();
    pool.ParallelFor(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        act->from_float(x.data() + t * w.n_cols, out + size_t(t) * act_row_bytes, w.n_cols);
      }
    });
    act_data = scratch.data();
  }

  // 2. Output rows split over the pool; each weight row is read once and dotted with every token
  //    row while it is hot in cache.
  const int64_t macs_per_row = std::max<int64_t>(1, w.n_cols * n_tokens);
  const int64_t grain = std::max<int64_t>(1, kMinMacsPerChunk / macs_per_row);
  const auto vec_dot = ops->vec_dot;
  pool.ParallelFor(w.n_rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const std::byte* row = w.data + size_t(r) * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) {
        y[size_t(t * w.n_rows + r)] = vec_dot(w.n_cols, row, act_data + size_t(t) * act_row_bytes);
      }
    }
  });
}

void DequantizeRow(const KernelTable& kernels, const WeightMatrix& w, int64_t row,
                   std::span<float> out) {
  const QuantOps* ops = kernels.Get(w.type);
  assert(ops != nullptr && row >= 0 && row < w.n_rows && int64_t(out.size()) >= w.n_cols);
  ops->to_float(w.data + size_t(row) * w.row_bytes, out.data(), w.n_cols);
}

}  // namespace foundry::engine::kernels
