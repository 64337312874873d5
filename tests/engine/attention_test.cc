#include "foundry/engine/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace foundry::engine::attention {
namespace {

using kernels::Isa;

struct Case {
  int n_rows, n_keys, head_dim, window;
};

// Every variant the CPU has against the two-pass reference, on random data with causal and
// sliding-window masks, rows at different positions, tails of the key tile, and a single key.
TEST(Attention, TiledVariantsMatchTheReference) {
  const Isa best = kernels::DetectCpu().best();
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (isa > best) continue;  // the CPU cannot run it; lower levels are still covered
    const Fn fn = Select(isa);
    for (Case c : {Case{1, 1, 64, 0}, Case{7, 5, 64, 0}, Case{28, 33, 64, 0}, Case{14, 100, 128, 0},
                   Case{8, 70, 256, 32}, Case{3, 17, 8, 4}, Case{5, 200, 96, 0}}) {
      const size_t stride = size_t(c.head_dim) * 3;  // keys of other heads interleaved
      std::vector<float> k(size_t(c.n_keys) * stride), v(k.size()), q(size_t(c.n_rows) * c.head_dim);
      for (float& x : k) x = nd(rng);
      for (float& x : v) x = nd(rng);
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
             .k = k.data(), .v = v.data(), .kv_stride = stride, .head_dim = c.head_dim,
             .scale = 1.0f / std::sqrt(float(c.head_dim)), .scratch = scratch.data()};
      AttentionRef(t);
      t.out = gp.data();
      fn(t);
      // Outputs are convex combinations of N(0,1) values: f32 rounding of a few hundred terms
      // stays well below 1e-5.
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-5f) << IsaName(isa) << " rows " << c.n_rows << " keys " << c.n_keys
                                            << " hd " << c.head_dim << " at " << i;
    }
  }
}

TEST(Attention, SingleVisibleKeyReturnsItsValue) {
  std::vector<float> k = {1, 2, 3, 4}, v = {5, 6, 7, 8}, q = {1, 0, 0, 0}, out(4);
  const float* qp = q.data();
  float* op = out.data();
  int32_t lo = 0, hi = 0;
  std::vector<float> scratch(ScratchFloats(1, 4));
  Task t{.n_rows = 1, .q = &qp, .out = &op, .lo = &lo, .hi = &hi, .k = k.data(), .v = v.data(),
         .kv_stride = 4, .head_dim = 4, .scale = 1.0f, .scratch = scratch.data()};
  Select(kernels::DetectCpu().best())(t);
  EXPECT_EQ(out, v);
}

}  // namespace
}  // namespace foundry::engine::attention
