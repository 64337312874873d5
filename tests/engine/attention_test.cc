#include "foundry/engine/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace foundry::engine::attention {
namespace {

using kernels::Isa;

struct Case {
  int n_rows, n_keys, head_dim, window;
};

// Keys/values of n_keys positions, `stride` floats apart within a block, stored as blocks of
// block_size positions in a shuffled order (as a KvCache pool hands them out).
struct Paged {
  Paged(int n_keys, int block_size, size_t stride, std::mt19937& rng) : block_size(block_size) {
    const int n_blocks = (n_keys + block_size - 1) / block_size + 2;  // spare blocks stay unused
    const size_t block_floats = size_t(block_size) * stride;
    k.resize(size_t(n_blocks) * block_floats);
    v.resize(k.size());
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (float& x : k) x = nd(rng);
    for (float& x : v) x = nd(rng);
    std::vector<int> order(static_cast<size_t>(n_blocks));
    for (int i = 0; i < n_blocks; ++i) order[size_t(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < (n_keys + block_size - 1) / block_size; ++i) {
      kb.push_back(&k[size_t(order[size_t(i)]) * block_floats]);
      vb.push_back(&v[size_t(order[size_t(i)]) * block_floats]);
    }
  }
  int block_size;
  std::vector<float> k, v;
  std::vector<const float*> kb, vb;
};

// Every variant the CPU has against the two-pass reference, on random data in shuffled block
// tables of two block sizes, with causal and sliding-window masks (window starts off the tile
// grid), rows at different positions, tails of the key tile, and a single key.
TEST(Attention, TiledVariantsMatchTheReference) {
  const Isa best = kernels::DetectCpu().best();
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isa > best) continue;  // the CPU cannot run it; lower levels are still covered
    const Fn fn = Select(isa);
    for (int block_size : {16, 32})
    for (Case c : {Case{1, 1, 64, 0}, Case{7, 5, 64, 0}, Case{28, 33, 64, 0}, Case{14, 100, 128, 0},
                   Case{8, 70, 256, 32}, Case{3, 17, 8, 4}, Case{5, 200, 96, 0}, Case{9, 53, 64, 13},
                   Case{6, 97, 32, 35}}) {
      const size_t stride = size_t(c.head_dim) * 3;  // keys of other heads interleaved
      Paged kv(c.n_keys, block_size, stride, rng);
      std::vector<float> q(size_t(c.n_rows) * c.head_dim);
      for (float& x : q) x = nd(rng) * 2.0f;
      std::vector<const float*> qp;
      std::vector<float> want(q.size()), got(q.size());
      std::vector<float*> wp, gp;
      std::vector<int32_t> lo, hi;
      for (int r = 0; r < c.n_rows; ++r) {
        qp.push_back(&q[size_t(r) * c.head_dim]);
        wp.push_back(&want[size_t(r) * c.head_dim]);
        gp.push_back(&got[size_t(r) * c.head_dim]);
        const int32_t pos = c.n_keys - 1 - (r % 3);  // rows at the last few positions
        hi.push_back(std::max(0, pos));
        lo.push_back(c.window ? std::max(0, hi.back() - c.window + 1) : 0);
      }
      std::vector<float> scratch(ScratchFloats(c.n_rows, c.head_dim));
      Task t{.n_rows = c.n_rows, .q = qp.data(), .out = wp.data(), .lo = lo.data(), .hi = hi.data(),
             .k = kv.kb.data(), .v = kv.vb.data(), .block_size = block_size, .kv_stride = stride,
             .head_dim = c.head_dim,
             .scale = 1.0f / std::sqrt(float(c.head_dim)), .scratch = scratch.data()};
      AttentionRef(t);
      t.out = gp.data();
      fn(t);
      // Outputs are convex combinations of N(0,1) values: f32 rounding of a few hundred terms
      // stays well below 1e-5.
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5f) << IsaName(isa) << " rows " << c.n_rows << " keys " << c.n_keys
                                            << " hd " << c.head_dim << " block " << block_size
                                            << " window " << c.window << " at " << i;
    }
  }
}

TEST(Attention, SingleVisibleKeyReturnsItsValue) {
  std::vector<float> k = {1, 2, 3, 4}, v = {5, 6, 7, 8}, q = {1, 0, 0, 0}, out(4);
  k.resize(16 * 4, 0.0f);  // one block of 16 positions, only the first filled
  v.resize(16 * 4, 0.0f);
  const float* qp = q.data();
  float* op = out.data();
  const float* kb = k.data();
  const float* vb = v.data();
  int32_t lo = 0, hi = 0;
  std::vector<float> scratch(ScratchFloats(1, 4));
  Task t{.n_rows = 1, .q = &qp, .out = &op, .lo = &lo, .hi = &hi, .k = &kb, .v = &vb,
         .block_size = 16, .kv_stride = 4, .head_dim = 4, .scale = 1.0f, .scratch = scratch.data()};
  Select(kernels::DetectCpu().best())(t);
  EXPECT_EQ(out, std::vector<float>(v.begin(), v.begin() + 4));
}

// A window that starts inside the second block: only keys [lo, hi] count, whichever block they
// are in (the kernels' tiles start on the tile grid below lo and mask the keys before it).
TEST(Attention, WindowStartingInsideABlockIgnoresEarlierKeys) {
  const int hd = 4, bs = 16;
  std::vector<float> k(size_t(2 * bs * hd), 0.0f), v(k.size());
  // Blocks in reverse order: positions 0..15 in the second half of the storage.
  const float* kb[] = {k.data() + bs * hd, k.data()};
  const float* vb[] = {v.data() + bs * hd, v.data()};
  std::vector<float> q(size_t(hd), 0.0f), out(static_cast<size_t>(hd));
  const float* qp = q.data();
  float* op = out.data();
  int32_t lo = 21, hi = 27;  // positions 21..27 = rows 5..11 of storage block 0
  // Visible positions have value (0, 1, 2, 3), all others 1000.
  for (int j = 0; j < 2 * bs; ++j)
    for (int d = 0; d < hd; ++d)
      (j < bs ? v[size_t((bs + j) * hd + d)] : v[size_t((j - bs) * hd + d)]) = j >= lo && j <= hi ? float(d) : 1000.0f;
  std::vector<float> scratch(ScratchFloats(1, hd));
  const Isa best = kernels::DetectCpu().best();
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isa > best) continue;
    Task t{.n_rows = 1, .q = &qp, .out = &op, .lo = &lo, .hi = &hi, .k = kb, .v = vb,
           .block_size = bs, .kv_stride = size_t(hd), .head_dim = hd, .scale = 1.0f,
           .scratch = scratch.data()};
    Select(isa)(t);
    // Equal scores: the mean of the visible values, each d.
    for (int d = 0; d < hd; ++d) EXPECT_NEAR(out[size_t(d)], float(d), 1e-5f) << IsaName(isa);
  }
}

}  // namespace
}  // namespace foundry::engine::attention
