#include "foundry/engine/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace foundry::engine::ops {
namespace {

TEST(Ops, RmsNorm) {
  std::vector<float> x = {1, 2, 3, 4}, w = {1, 1, 2, 0.5f}, out(4);
  RmsNorm(x, w, 0.0f, out);
  const float r = 1.0f / std::sqrt(30.0f / 4);
  EXPECT_FLOAT_EQ(out[0], 1 * r);
  EXPECT_FLOAT_EQ(out[2], 3 * r * 2);
  EXPECT_FLOAT_EQ(out[3], 4 * r * 0.5f);
  RmsNorm(x, {}, 0.0f, x);  // in place, no weight
  EXPECT_FLOAT_EQ(x[1], 2 * r);
}

TEST(Ops, SoftmaxHandlesMaskedEntries) {
  std::vector<float> x = {1.0f, -std::numeric_limits<float>::infinity(), 1.0f};
  Softmax(x);
  EXPECT_FLOAT_EQ(x[0], 0.5f);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_FLOAT_EQ(x[2], 0.5f);
}

TEST(Ops, RopePairsAdjacentOrHalfSplit) {
  // One head of 4 dims, position 1, base 10000: θ0 = 1, θ1 = 1/100.
  RopeParams p{.style = RopeStyle::kNormal, .n_rot = 4, .freq_base = 10000.0f};
  std::vector<float> cs(4);
  RopeAngles(p, 1, cs);
  EXPECT_FLOAT_EQ(cs[0], std::cos(1.0f));
  EXPECT_FLOAT_EQ(cs[3], std::sin(0.01f));
  std::vector<float> v = {1, 0, 1, 0};
  ApplyRope(p, cs, v.data(), 1, 4);
  // NORMAL: pairs (0,1) and (2,3).
  EXPECT_FLOAT_EQ(v[0], std::cos(1.0f));
  EXPECT_FLOAT_EQ(v[1], std::sin(1.0f));
  EXPECT_FLOAT_EQ(v[3], std::sin(0.01f));

  p.style = RopeStyle::kNeox;
  std::vector<float> u = {1, 1, 0, 0};
  ApplyRope(p, cs, u.data(), 1, 4);
  // NEOX: pairs (0,2) and (1,3).
  EXPECT_FLOAT_EQ(u[0], std::cos(1.0f));
  EXPECT_FLOAT_EQ(u[2], std::sin(1.0f));
  EXPECT_FLOAT_EQ(u[1], std::cos(0.01f));
  EXPECT_FLOAT_EQ(u[3], std::sin(0.01f));

  // Position 0 is the identity; frequency factors divide the angles.
  std::vector<float> ff = {2.0f, 1.0f};
  p.freq_factors = ff;
  RopeAngles(p, 1, cs);
  EXPECT_FLOAT_EQ(cs[1], std::sin(0.5f));
}

TEST(Ops, GeluTableEdges) {
  EXPECT_EQ(GeluTanhF16(-10.0f), 0.0f);
  EXPECT_EQ(GeluTanhF16(12.5f), 12.5f);
  EXPECT_NEAR(GeluTanhF16(1.0f), 0.841192f, 1e-3f);
  EXPECT_NEAR(GeluTanhF16(-1.0f), -0.158808f, 1e-3f);
}

TEST(Ops, GatedActivations) {
  std::vector<float> g = {0.0f, 1.0f}, u = {2.0f, 3.0f};
  GatedActivation(Activation::kSilu, g, u);
  EXPECT_FLOAT_EQ(g[0], 0.0f);
  EXPECT_FLOAT_EQ(g[1], 3.0f / (1.0f + std::exp(-1.0f)));
}

// The vectorised SiLU (blocks of four, then a scalar tail) against std::exp over the whole range,
// including values whose exponent over/underflows.
TEST(Ops, SiluMatchesStdExpEverywhere) {
  std::vector<float> g, u, want;
  for (float x = -120.0f; x <= 120.0f; x += 0.0371f) g.push_back(x);
  for (float x : {-1e30f, -88.5f, -87.5f, 87.5f, 88.5f, 1e30f, 0.0f, -0.0f}) g.push_back(x);
  g.push_back(0.5f);  // a length that is not a multiple of four
  for (size_t i = 0; i < g.size(); ++i) {
    u.push_back(1.0f + float(i % 7));
    want.push_back(g[i] / (1.0f + std::exp(-g[i])) * u.back());
  }
  GatedActivation(Activation::kSilu, g, u);
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], want[i], 4e-7f * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
}

}  // namespace
}  // namespace foundry::engine::ops
