// The packed (16-row interleaved) path: layouts against their reference inverse, and every packed
// kernel this CPU can run against the reference vec_dot, through MatMul and PackWeights.
//
// (a) pack_group / unpack_row round trip, bit for bit, for every packed format: odd row counts
//     (1, 15, 16, 17, 33: the last group padded), one and several block columns, random and code-
//     sweep blocks (every byte value in every field); padding rows unpack to all-zero blocks.
// (b) MatMul with packed weights against the naive reference loop (reference from_float, reference
//     vec_dot per output) within test_util::F32DotTolerance: the integer block sums are exact in
//     the packed kernels, only the f32 combination order differs. Shapes cover row tails (rows not
//     a multiple of 16), token tails (not a multiple of the 8-token tile, and a single token), one
//     and several block columns (odd counts: half-filled two-block units), 1 and 2 threads; edge
//     blocks (zero scale, largest scale, code sweep) and saturating/mixed activations; a large
//     batch over several token chunks and stealable pieces of the row ranges.
// (c) The packed result does not depend on the thread count or on the other tokens of the call
//     (bit for bit), as the MatMul contract says.
// (d) Tables without a packed kernel (scalar) neither pack nor read packed weights; every table
//     row with a packed kernel carries its type's layout.
// (e) PackWeights over a list packs the packable matrices into one buffer, leaves the others
//     alone, and rejects a shape that is not whole blocks.

#include "engine/kernels/packed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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
using T = TensorType;

constexpr TensorType kPackedTypes[] = {T::kQ4_0, T::kQ5_0, T::kQ8_0, T::kQ4_K, T::kQ6_K};

WeightMatrix View(TensorType type, const std::vector<uint8_t>& w, int64_t n_rows, int64_t n_cols) {
  const int be = test_util::BlockElems(type), bb = test_util::BlockBytes(type);
  return WeightMatrix{.type = type,
                      .n_cols = n_cols,
                      .n_rows = n_rows,
                      .row_bytes = size_t(n_cols / be) * size_t(bb),
                      .data = reinterpret_cast<const std::byte*>(w.data())};
}

TEST(PackedFormatTest, EveryPackedTypeHasAFormatWithItsBlockGeometry) {
  for (TensorType type : kPackedTypes) {
    const PackedFormat* fmt = FindPackedFormat(type);
    ASSERT_NE(fmt, nullptr) << TensorTypeName(type);
    EXPECT_EQ(fmt->block_elems, test_util::BlockElems(type));
    EXPECT_EQ(fmt->block_bytes, test_util::BlockBytes(type));
    // A layout reorders the original bytes of its 16 rows, nothing more (plus the empty half of
    // an odd last two-block unit).
    EXPECT_EQ(fmt->unit_bytes, fmt->unit_blocks * kGroupRows * fmt->block_bytes);
    EXPECT_EQ(PackedGroupBytes(*fmt, 3),
              size_t((3 + fmt->unit_blocks - 1) / fmt->unit_blocks) * size_t(fmt->unit_bytes));
  }
  EXPECT_EQ(FindPackedFormat(T::kQ4_1), nullptr);
  EXPECT_EQ(FindPackedFormat(T::kF32), nullptr);
}

TEST(PackedFormatTest, PackThenUnpackIsTheIdentity) {
  for (TensorType type : kPackedTypes) {
    const PackedFormat& fmt = *FindPackedFormat(type);
    std::mt19937 rng(uint32_t(type) + 3);
    for (int64_t n_rows : {1, 15, 16, 17, 33}) {
      for (int64_t nb : {1, 3}) {
        for (BlockKind kind : {BlockKind::kRandom, BlockKind::kCodeSweep}) {
          const auto w = test_util::MakeBlocks(type, n_rows * nb, kind, rng);
          const size_t row_bytes = size_t(nb * fmt.block_bytes);
          const size_t group_bytes = PackedGroupBytes(fmt, nb);
          ASSERT_EQ(group_bytes % 64, 0u);
          const int64_t n_groups = (n_rows + kGroupRows - 1) / kGroupRows;
          std::vector<std::byte> packed(size_t(n_groups) * group_bytes, std::byte{0});
          for (int64_t g = 0; g < n_groups; ++g)
            fmt.pack_group(reinterpret_cast<const std::byte*>(w.data()), row_bytes, n_rows, nb, g,
                           packed.data() + size_t(g) * group_bytes);
          std::vector<uint8_t> row(row_bytes), zero(row_bytes, 0);
          for (int64_t r = 0; r < n_groups * kGroupRows; ++r) {
            fmt.unpack_row(packed.data() + size_t(r / kGroupRows) * group_bytes, nb,
                           int(r % kGroupRows), reinterpret_cast<std::byte*>(row.data()));
            const uint8_t* want = r < n_rows ? w.data() + size_t(r) * row_bytes : zero.data();
            ASSERT_EQ(std::memcmp(row.data(), want, row_bytes), 0)
                << TensorTypeName(type) << " rows=" << n_rows << " nb=" << nb << " row " << r << " "
                << test_util::KindName(kind);
          }
        }
      }
    }
  }
}

// Naive reference: reference from_float per token, reference vec_dot per output.
struct Naive {
  std::vector<float> y;
  std::vector<double> tolerance;
};
Naive NaiveMatMul(const WeightMatrix& wm, const std::vector<float>& x, int64_t n_tokens) {
  const KernelTable scalar = SelectKernels(DetectCpu(), Isa::kScalar);
  const QuantOps* ops = scalar.Get(wm.type);
  Naive out;
  out.y.resize(size_t(wm.n_rows * n_tokens));
  out.tolerance.resize(out.y.size());
  for (int64_t t = 0; t < n_tokens; ++t) {
    const std::span<const float> xt(x.data() + t * wm.n_cols, size_t(wm.n_cols));
    for (int64_t r = 0; r < wm.n_rows; ++r) {
      const std::span<const uint8_t> row(
          reinterpret_cast<const uint8_t*>(wm.data) + size_t(r) * wm.row_bytes, wm.row_bytes);
      const auto c = test_util::MakeDotCase(wm.type, ops->vec_dot_type, row, xt);
      const size_t i = size_t(t * wm.n_rows + r);
      out.y[i] = ReferenceOf(wm.type).vec_dot(wm.n_cols, c.w.data(), c.a.data());
      out.tolerance[i] = test_util::F32DotTolerance(c);
    }
  }
  return out;
}

// The ISA levels of this CPU that have at least one packed kernel.
std::vector<Isa> PackedIsas() {
  std::vector<Isa> out;
  for (Isa isa : test_util::HostIsas()) {
    const KernelTable table = SelectKernels(DetectCpu(), isa);
    for (TensorType type : kPackedTypes)
      if (table.Get(type)->packed_gemm != nullptr) {
        out.push_back(isa);
        break;
      }
  }
  return out;
}

TEST(PackedMatMulTest, MatchesReferenceOnRandomShapes) {
  const std::vector<Isa> isas = PackedIsas();
  if (isas.empty())
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  ThreadPool pool1(1), pool2(2);
  std::vector<std::byte> scratch;
  int checked = 0;
  for (Isa isa : isas) {
    const KernelTable table = SelectKernels(DetectCpu(), isa);
    for (TensorType type : kPackedTypes) {
      if (table.Get(type)->packed_gemm == nullptr) continue;
      const int be = test_util::BlockElems(type);
      std::mt19937 rng(uint32_t(type) * 31 + uint32_t(isa));
      struct Shape {
        int64_t n_rows, n_blocks, n_tokens;
      };
      // Rows: below, at and past one group, several groups with a tail; tokens: 1, a tile tail,
      // a full tile, a tile plus a tail, several tiles.
      const Shape shapes[] = {{1, 1, 1},  {15, 3, 2},  {16, 2, 8}, {17, 1, 9},
                              {33, 3, 7}, {45, 2, 19}, {64, 1, 1}, {100, 4, 3}};
      for (const Shape& s : shapes) {
        const int64_t n_cols = s.n_blocks * be;
        const auto w = test_util::MakeBlocks(type, s.n_rows * s.n_blocks, BlockKind::kRandom, rng);
        const auto x = test_util::MakeActivations(n_cols * s.n_tokens, ActKind::kNormal, rng);
        WeightMatrix wm = View(type, w, s.n_rows, n_cols);
        const Naive naive = NaiveMatMul(wm, x, s.n_tokens);
        auto packed = PackWeights(table, wm);
        ASSERT_TRUE(packed.ok()) << packed.status().message();
        ASSERT_FALSE(packed->empty());
        wm.packed = packed->data();
        std::vector<float> y1(naive.y.size(), std::nanf("")), y2(naive.y.size(), std::nanf(""));
        MatMul(table, pool1, wm, x, s.n_tokens, y1, scratch);
        MatMul(table, pool2, wm, x, s.n_tokens, y2, scratch);
        for (size_t i = 0; i < naive.y.size(); ++i) {
          ASSERT_LE(std::fabs(double(y1[i]) - naive.y[i]), naive.tolerance[i])
              << TensorTypeName(type) << " " << IsaName(isa) << " rows=" << s.n_rows
              << " cols=" << n_cols << " tokens=" << s.n_tokens << " output " << i;
          ASSERT_EQ(y1[i], y2[i]) << "thread count changed output " << i;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(PackedMatMulTest, EdgeBlocksAndActivations) {
  const std::vector<Isa> isas = PackedIsas();
  if (isas.empty())
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  ThreadPool pool(2);
  std::vector<std::byte> scratch;
  for (Isa isa : isas) {
    const KernelTable table = SelectKernels(DetectCpu(), isa);
    for (TensorType type : kPackedTypes) {
      if (table.Get(type)->packed_gemm == nullptr) continue;
      const int be = test_util::BlockElems(type);
      std::mt19937 rng(uint32_t(type) + 77);
      // 17 rows × enough blocks that a code sweep passes every byte value through every field.
      const int64_t n_rows = 17, n_blocks = be == 32 ? 9 : 2, n_tokens = 10;
      const int64_t n_cols = n_blocks * be;
      for (BlockKind kind : {BlockKind::kZeroScale, BlockKind::kMaxScale, BlockKind::kCodeSweep}) {
        for (ActKind act : {ActKind::kSaturating, ActKind::kMixed}) {
          const auto w = test_util::MakeBlocks(type, n_rows * n_blocks, kind, rng);
          const auto x = test_util::MakeActivations(n_cols * n_tokens, act, rng);
          WeightMatrix wm = View(type, w, n_rows, n_cols);
          const Naive naive = NaiveMatMul(wm, x, n_tokens);
          auto packed = PackWeights(table, wm);
          ASSERT_TRUE(packed.ok());
          wm.packed = packed->data();
          std::vector<float> y(naive.y.size(), std::nanf(""));
          MatMul(table, pool, wm, x, n_tokens, y, scratch);
          for (size_t i = 0; i < y.size(); ++i) {
            ASSERT_TRUE(std::isfinite(naive.y[i]));
            ASSERT_LE(std::fabs(double(y[i]) - naive.y[i]), naive.tolerance[i])
                << TensorTypeName(type) << " " << IsaName(isa) << " " << test_util::KindName(kind)
                << " act=" << int(act) << " output " << i;
          }
        }
      }
    }
  }
}

// Long rows and a large batch: MatMul cuts the tokens into several L2-sized chunks (128 tokens
// for 2048 columns) and each thread's range of row groups into stealable pieces; every output
// must still match the reference, and 1 and 2 threads must agree bit for bit.
TEST(PackedMatMulTest, LargeBatchAcrossTokenChunksAndStolenPieces) {
  const std::vector<Isa> isas = PackedIsas();
  if (isas.empty())
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  ThreadPool pool1(1), pool2(2);
  std::vector<std::byte> scratch;
  const int64_t n_rows = 77, n_cols = 2048, n_tokens = 137;
  for (TensorType type : {T::kQ4_0, T::kQ6_K}) {
    std::mt19937 rng(uint32_t(type) + 123);
    const int be = test_util::BlockElems(type);
    const auto w = test_util::MakeBlocks(type, n_rows * n_cols / be, BlockKind::kRandom, rng);
    const auto x = test_util::MakeActivations(n_cols * n_tokens, ActKind::kNormal, rng);
    WeightMatrix wm = View(type, w, n_rows, n_cols);
    const Naive naive = NaiveMatMul(wm, x, n_tokens);
    for (Isa isa : isas) {
      const KernelTable table = SelectKernels(DetectCpu(), isa);
      auto packed = PackWeights(table, wm);
      ASSERT_TRUE(packed.ok());
      WeightMatrix pw = wm;
      pw.packed = packed->data();
      std::vector<float> y1(naive.y.size()), y2(naive.y.size());
      MatMul(table, pool1, pw, x, n_tokens, y1, scratch);
      MatMul(table, pool2, pw, x, n_tokens, y2, scratch);
      for (size_t i = 0; i < y1.size(); ++i) {
        ASSERT_LE(std::fabs(double(y1[i]) - naive.y[i]), naive.tolerance[i])
            << TensorTypeName(type) << " " << IsaName(isa) << " output " << i;
        ASSERT_EQ(y1[i], y2[i]) << "thread count changed output " << i;
      }
    }
  }
}

// A token's outputs are the same bits whether it is computed alone (the decode GEMV), inside a
// full tile, or in a tile tail.
TEST(PackedMatMulTest, TokenOutputsDoNotDependOnTheBatch) {
  const std::vector<Isa> isas = PackedIsas();
  if (isas.empty())
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  ThreadPool pool(2);
  std::vector<std::byte> scratch;
  for (Isa isa : isas) {
    const KernelTable table = SelectKernels(DetectCpu(), isa);
    for (TensorType type : kPackedTypes) {
      if (table.Get(type)->packed_gemm == nullptr) continue;
      const int be = test_util::BlockElems(type);
      std::mt19937 rng(uint32_t(type) + 5);
      const int64_t n_rows = 40, n_cols = 2 * be, n_tokens = 13;
      const auto w = test_util::MakeBlocks(type, n_rows * 2, BlockKind::kRandom, rng);
      const auto x = test_util::MakeActivations(n_cols * n_tokens, ActKind::kNormal, rng);
      WeightMatrix wm = View(type, w, n_rows, n_cols);
      auto packed = PackWeights(table, wm);
      ASSERT_TRUE(packed.ok());
      wm.packed = packed->data();
      std::vector<float> all(static_cast<size_t>(n_rows * n_tokens)),
          one(static_cast<size_t>(n_rows));
      MatMul(table, pool, wm, x, n_tokens, all, scratch);
      for (int64_t t = 0; t < n_tokens; ++t) {
        MatMul(table, pool, wm,
               std::span<const float>(x).subspan(size_t(t * n_cols), size_t(n_cols)), 1, one,
               scratch);
        for (int64_t r = 0; r < n_rows; ++r)
          ASSERT_EQ(one[size_t(r)], all[size_t(t * n_rows + r)])
              << TensorTypeName(type) << " token " << t << " row " << r;
      }
    }
  }
}

// MatMuls (several matrices, one input: q/k/v, gate/up) gives each matrix exactly MatMul's bits,
// fused (same packed format) or not (a mix of packed formats, or of packed and plain matrices).
TEST(PackedMatMulTest, MatMulsEqualsMatMulPerMatrix) {
  const std::vector<Isa> isas = PackedIsas();
  if (isas.empty())
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  ThreadPool pool(2);
  std::vector<std::byte> scratch;
  const int64_t n_cols = 512;
  struct Mat {
    TensorType type;
    int64_t rows;
  };
  const std::vector<std::vector<Mat>> sets = {
      {{T::kQ4_0, 70}, {T::kQ4_0, 16}, {T::kQ4_0, 3}},   // fused, tails of groups
      {{T::kQ8_0, 33}, {T::kQ8_0, 128}},                 // fused
      {{T::kQ4_0, 40}, {T::kQ8_0, 24}, {T::kQ6_K, 17}},  // mixed formats: one by one
      {{T::kQ4_0, 20}, {T::kF32, 9}}};                   // packed + plain
  for (Isa isa : isas) {
    const KernelTable table = SelectKernels(DetectCpu(), isa);
    for (size_t si = 0; si < sets.size(); ++si) {
      for (int64_t n_tokens : {1, 5, 19}) {
        std::mt19937 rng(uint32_t(si * 100 + n_tokens));
        const auto x = test_util::MakeActivations(n_cols * n_tokens, ActKind::kNormal, rng);
        std::vector<std::vector<uint8_t>> data;
        std::vector<WeightMatrix> mats;
        std::vector<PackedWeights> packs;
        for (const Mat& m : sets[si]) {
          const int be = test_util::BlockElems(m.type);
          data.push_back(test_util::MakeBlocks(m.type, m.rows * n_cols / be, BlockKind::kRandom, rng));
        }
        for (size_t i = 0; i < sets[si].size(); ++i) {
          mats.push_back(View(sets[si][i].type, data[i], sets[si][i].rows, n_cols));
          auto p = PackWeights(table, mats.back());
          ASSERT_TRUE(p.ok());
          mats.back().packed = p->empty() ? nullptr : p->data();
          packs.push_back(std::move(p).value());
        }
        std::vector<const WeightMatrix*> ws;
        std::vector<std::vector<float>> want, got;
        for (const WeightMatrix& m : mats) {
          ws.push_back(&m);
          want.emplace_back(size_t(m.n_rows * n_tokens));
          got.emplace_back(size_t(m.n_rows * n_tokens), -1.0f);
          MatMul(table, pool, m, x, n_tokens, want.back(), scratch);
        }
        std::vector<std::span<float>> ys(got.begin(), got.end());
        MatMuls(table, pool, ws, x, n_tokens, ys, scratch);
        for (size_t i = 0; i < mats.size(); ++i)
          for (size_t j = 0; j < want[i].size(); ++j)
            ASSERT_EQ(got[i][j], want[i][j]) << IsaName(isa) << " set " << si << " matrix " << i
                                             << " tokens " << n_tokens << " output " << j;
      }
    }
  }
}

// Every ISA: a row has a packed kernel exactly when it has its type's layout; AVX2 and AVX-512
// have one for each packable type (the formats the speed targets use); the reference has none.
TEST(PackedKernelTableTest, PackedKernelsComeWithTheirLayout) {
  CpuFeatures all;
  all.avx2 = all.fma = all.f16c = true;
  all.avx512f = all.avx512bw = all.avx512vl = all.avx512dq = all.avx512vnni = true;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    const KernelTable table = SelectKernels(all, isa);
    for (uint32_t id = 0; id < 48; ++id) {
      const QuantOps* ops = table.Get(TensorType(id));
      if (ops == nullptr) continue;
      EXPECT_EQ(ops->packed != nullptr, ops->packed_gemm != nullptr) << id << " " << IsaName(isa);
      if (ops->packed) {
        EXPECT_EQ(ops->packed, FindPackedFormat(ops->type));
      }
    }
    for (TensorType type : kPackedTypes) {
      EXPECT_EQ(table.Get(type)->packed_gemm != nullptr, isa != Isa::kScalar)
          << TensorTypeName(type) << " " << IsaName(isa);
    }
  }
}

// The scalar table has no packed kernels: PackWeights returns nothing to keep, and weights packed
// under another table are ignored (the plain reference path runs, bit for bit).
TEST(PackedMatMulTest, ScalarTableNeitherPacksNorReadsPackedWeights) {
  const KernelTable scalar = SelectKernels(DetectCpu(), Isa::kScalar);
  ThreadPool pool(2);
  std::vector<std::byte> scratch;
  for (TensorType type : kPackedTypes) {
    EXPECT_EQ(scalar.Get(type)->packed_gemm, nullptr);
    EXPECT_EQ(scalar.Get(type)->packed, nullptr);
    std::mt19937 rng{uint32_t(type)};
    const int64_t n_rows = 20, n_cols = test_util::BlockElems(type);
    const auto w = test_util::MakeBlocks(type, n_rows, BlockKind::kRandom, rng);
    const auto x = test_util::MakeActivations(n_cols * 3, ActKind::kNormal, rng);
    WeightMatrix wm = View(type, w, n_rows, n_cols);
    auto none = PackWeights(scalar, wm);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    // Garbage where packed weights would be: must not be read.
    std::vector<std::byte> garbage(1 << 16, std::byte{0xAB});
    wm.packed = garbage.data();
    std::vector<float> y(size_t(n_rows * 3));
    MatMul(scalar, pool, wm, x, 3, y, scratch);
    const Naive naive = NaiveMatMul(wm, x, 3);
    EXPECT_EQ(y, naive.y) << TensorTypeName(type);
  }
}

// The loader's overload: one buffer for every packable matrix; other types and null entries are
// left alone; each copy computes what the matrix alone computes.
TEST(PackedWeightsTest, PacksAListIntoOneBuffer) {
  const KernelTable table = SelectKernels(DetectCpu());
  if (table.Get(T::kQ4_0)->packed_gemm == nullptr)
    GTEST_SKIP() << "this CPU has no ISA level with packed kernels (AVX2 or AVX-512)";
  std::mt19937 rng(11);
  const auto w0 = test_util::MakeBlocks(T::kQ4_0, 33 * 3, BlockKind::kRandom, rng);
  const auto w1 = test_util::MakeBlocks(T::kQ6_K, 20 * 1, BlockKind::kRandom, rng);
  const auto w2 = test_util::MakeBlocks(T::kQ4_1, 5 * 1, BlockKind::kRandom, rng);  // no layout
  WeightMatrix m0 = View(T::kQ4_0, w0, 33, 96), m1 = View(T::kQ6_K, w1, 20, 256),
               m2 = View(T::kQ4_1, w2, 5, 32);
  WeightMatrix* list[] = {&m0, nullptr, &m1, &m2};
  auto packed = PackWeights(table, list);
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  ASSERT_FALSE(packed->empty());
  EXPECT_EQ(m2.packed, nullptr);
  for (const WeightMatrix* m : {&m0, &m1}) {
    ASSERT_NE(m->packed, nullptr);
    EXPECT_GE(m->packed, packed->data());
    EXPECT_LT(m->packed, packed->data() + packed->size_bytes());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(m->packed) % 64, 0u);
    // Same bits as the matrix packed on its own.
    auto alone =
        PackWeights(table, WeightMatrix{m->type, m->n_cols, m->n_rows, m->row_bytes, m->data});
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ(std::memcmp(alone->data(), m->packed, alone->size_bytes()), 0)
        << TensorTypeName(m->type);
  }

  WeightMatrix bad = View(T::kQ4_K, w1, 2, 256);
  bad.n_cols = 300;  // not whole 256-element blocks
  WeightMatrix* bad_list[] = {&bad};
  EXPECT_EQ(PackWeights(table, bad_list).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foundry::engine::kernels
