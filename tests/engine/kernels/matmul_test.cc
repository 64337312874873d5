// (e) MatMul against a naive loop (the reference from_float per token, the reference vec_dot per
// output), for every weight type, several shapes (1 token, odd row counts, rows spread over
// threads), with 1- and 2-thread pools and both the reference and the best kernels. Also
// DequantizeRow and scratch reuse.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using test_util::ActKind;
using test_util::BlockKind;
using test_util::ReferenceOf;

struct Shape {
  int64_t n_rows, n_cols, n_tokens;
};
// n_cols a multiple of 256 (every weight type's block); rows odd, 1, and enough to split.
constexpr Shape kShapes[] = {{1, 256, 1},   {7, 512, 1},   {33, 256, 3},
                             {257, 512, 2}, {64, 1024, 5}, {300, 256, 1}};

struct Naive {
  std::vector<float> y;           // [n_tokens, n_rows]
  std::vector<double> tolerance;  // per output: F32DotTolerance of that row × token
};

Naive NaiveMatMul(TensorType type, const std::vector<uint8_t>& w, const Shape& s,
                  const std::vector<float>& x) {
  const KernelTable table = SelectKernels(DetectCpu(), Isa::kScalar);
  const QuantOps* ops = table.Get(type);
  const size_t row_bytes = size_t(s.n_cols / ops->block_elems) * size_t(ops->block_bytes);
  Naive out;
  out.y.resize(size_t(s.n_rows * s.n_tokens));
  out.tolerance.resize(out.y.size());
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const std::span<const float> xt(x.data() + t * s.n_cols, size_t(s.n_cols));
    for (int64_t r = 0; r < s.n_rows; ++r) {
      const std::span<const uint8_t> row(w.data() + size_t(r) * row_bytes, row_bytes);
      const auto c = test_util::MakeDotCase(type, ops->vec_dot_type, row, xt);
      out.y[size_t(t * s.n_rows + r)] = ReferenceOf(type).vec_dot(s.n_cols, c.w.data(), c.a.data());
      out.tolerance[size_t(t * s.n_rows + r)] = test_util::F32DotTolerance(c);
    }
  }
  return out;
}

TEST(MatMulTest, MatchesNaiveLoop) {
  ThreadPool pool1(1), pool2(2);
  const CpuFeatures cpu = DetectCpu();
  const KernelTable scalar = SelectKernels(cpu, Isa::kScalar);
  const KernelTable best = SelectKernels(cpu);
  std::vector<std::byte> scratch;  // shared across calls: grows and shrinks
  for (TensorType type : test_util::kWeightTypes) {
    std::mt19937 rng(uint32_t(type) * 7 + 1);
    for (const Shape& s : kShapes) {
      const QuantOps* ops = scalar.Get(type);
      const int64_t row_blocks = s.n_cols / ops->block_elems;
      const auto w = test_util::MakeBlocks(type, s.n_rows * row_blocks, BlockKind::kRandom, rng);
      const auto x = test_util::MakeActivations(s.n_cols * s.n_tokens, ActKind::kNormal, rng);
      const Naive naive = NaiveMatMul(type, w, s, x);
      const WeightMatrix wm{.type = type,
                            .n_cols = s.n_cols,
                            .n_rows = s.n_rows,
                            .row_bytes = size_t(row_blocks) * size_t(ops->block_bytes),
                            .data = reinterpret_cast<const std::byte*>(w.data())};
      for (ThreadPool* pool : {&pool1, &pool2}) {
        for (const KernelTable* table : {&scalar, &best}) {
          std::vector<float> y(naive.y.size(), std::nanf(""));
          MatMul(*table, *pool, wm, x, s.n_tokens, y, scratch);
          for (size_t i = 0; i < y.size(); ++i) {
            // The reference table computes each output with the very functions of the naive
            // loop: equal bits, however rows are split. SIMD kernels: f32-rounding bound.
            if (table == &scalar) {
              ASSERT_EQ(y[i], naive.y[i]) << TensorTypeName(type) << " output " << i;
            } else {
              ASSERT_LE(std::fabs(double(y[i]) - naive.y[i]), naive.tolerance[i])
                  << TensorTypeName(type) << " output " << i << " isa " << IsaName(table->isa());
            }
          }
        }
      }
    }
  }
}

TEST(MatMulTest, DequantizeRowMatchesToFloatOfThatRow) {
  const KernelTable table = SelectKernels(DetectCpu());
  std::mt19937 rng(9);
  for (TensorType type : test_util::kWeightTypes) {
    const QuantOps* ops = table.Get(type);
    const int64_t n_cols = 512, n_rows = 5;
    const size_t row_bytes = size_t(n_cols / ops->block_elems) * size_t(ops->block_bytes);
    const auto w =
        test_util::MakeBlocks(type, n_rows * n_cols / ops->block_elems, BlockKind::kRandom, rng);
    const WeightMatrix wm{.type = type,
                          .n_cols = n_cols,
                          .n_rows = n_rows,
                          .row_bytes = row_bytes,
                          .data = reinterpret_cast<const std::byte*>(w.data())};
    std::vector<float> all(static_cast<size_t>(n_cols * n_rows)), row(static_cast<size_t>(n_cols));
    ReferenceOf(type).to_float(w.data(), all.data(), n_cols * n_rows);
    for (int64_t r = 0; r < n_rows; ++r) {
      DequantizeRow(table, wm, r, row);
      for (int64_t i = 0; i < n_cols; ++i)
        ASSERT_EQ(row[size_t(i)], all[size_t(r * n_cols + i)]) << TensorTypeName(type);
    }
  }
}

// Rows that are not packed back to back (row_bytes larger than the row) are honoured.
TEST(MatMulTest, HonoursRowStride) {
  const KernelTable table = SelectKernels(DetectCpu());
  ThreadPool pool(2);
  std::mt19937 rng(4);
  const TensorType type = TensorType::kQ4_K;
  const int64_t n_cols = 512, n_rows = 9;
  const size_t packed = 2 * 144, stride = packed + 32;
  const auto dense = test_util::MakeBlocks(type, n_rows * 2, BlockKind::kRandom, rng);
  std::vector<uint8_t> strided(stride * size_t(n_rows), 0xEE);
  for (int64_t r = 0; r < n_rows; ++r)
    std::memcpy(strided.data() + size_t(r) * stride, dense.data() + size_t(r) * packed, packed);
  const auto x = test_util::MakeActivations(n_cols, ActKind::kNormal, rng);
  std::vector<float> y_dense(static_cast<size_t>(n_rows)), y_strided(static_cast<size_t>(n_rows));
  std::vector<std::byte> scratch;
  MatMul(table, pool,
         {type, n_cols, n_rows, packed, reinterpret_cast<const std::byte*>(dense.data())}, x, 1,
         y_dense, scratch);
  MatMul(table, pool,
         {type, n_cols, n_rows, stride, reinterpret_cast<const std::byte*>(strided.data())}, x, 1,
         y_strided, scratch);
  EXPECT_EQ(y_dense, y_strided);
}

}  // namespace
}  // namespace foundry::engine::kernels
