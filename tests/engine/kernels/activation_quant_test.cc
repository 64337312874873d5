// (b) Activation quantizers (formats.md §3.2): hand-checked cases, tie rounding, the Q8_1 sum
// and Q8_K sign conventions, and round-trip bounds. Every case runs through the reference and
// through each SIMD from_float this CPU has, which must agree bit for bit.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/kernels/blocks.h"
#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/core/fp16.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using test_util::HostQuantizers;
using test_util::IsaQuantizer;

template <class Block>
std::vector<Block> Quantize(const IsaQuantizer& q, const std::vector<float>& x, int block_elems) {
  std::vector<Block> out(x.size() / size_t(block_elems));
  q.fn(x.data(), out.data(), int64_t(x.size()));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Q8_0

TEST(Q8_0QuantizeTest, TiesRoundToEven) {
  // amax = 127 makes d = 1 and id = 127/127 = 1 exactly, so x·id = x and each .5 is a true tie.
  std::vector<float> x(32, 0.0f);
  const float in[] = {127.0f, 0.5f, 1.5f,   2.5f,    -0.5f,       -1.5f,
                      -2.5f,  3.5f, 126.5f, -126.5f, 0.49999997f, 0.50000006f};
  const int expect[] = {127, 0, 2, 2, 0, -2, -2, 4, 126, -126, 0, 1};
  std::copy(std::begin(in), std::end(in), x.begin());
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_0)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_0>(q, x, 32);
    EXPECT_EQ(b[0].d, 0x3C00);  // fp16(1.0)
    for (size_t i = 0; i < std::size(expect); ++i) EXPECT_EQ(b[0].qs[i], expect[i]) << i;
    for (size_t i = std::size(expect); i < 32; ++i) EXPECT_EQ(b[0].qs[i], 0) << i;
  }
}

TEST(Q8_0QuantizeTest, ScaledTiesRoundToEven) {
  // amax = 254: d = 2, id = 0.5 (both exact), so 5·id = 2.5 → 2 and 7·id = 3.5 → 4.
  std::vector<float> x(32, 0.0f);
  x[0] = -254.0f;
  x[1] = 5.0f;
  x[2] = 7.0f;
  x[3] = -5.0f;
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_0)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_0>(q, x, 32);
    EXPECT_EQ(b[0].d, F32ToF16(2.0f));
    EXPECT_EQ(b[0].qs[0], -127);
    EXPECT_EQ(b[0].qs[1], 2);
    EXPECT_EQ(b[0].qs[2], 4);
    EXPECT_EQ(b[0].qs[3], -2);
  }
}

TEST(Q8_0QuantizeTest, ZeroBlockHasZeroScale) {
  std::vector<float> x(64, 0.0f);
  x[40] = 3.0f;  // the second block is not zero
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_0)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_0>(q, x, 32);
    EXPECT_EQ(b[0].d, 0);
    for (int8_t v : b[0].qs) EXPECT_EQ(v, 0);
    EXPECT_EQ(b[1].qs[8], 127);
    EXPECT_EQ(F16ToF32(b[1].d), F16ToF32(F32ToF16(3.0f / 127.0f)));
  }
}

// |x − D·q| ≤ d/2 (rounding to the grid of d) + 127·|d − D| (D = fp16(d), |d − D| ≤ 2^-11·d for
// normal f16) ≤ d·(0.5 + 127·2^-11) ≈ 0.562·d, plus f32 noise; the largest |x| maps to ±127.
TEST(Q8_0QuantizeTest, RoundTripWithinHalfStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float scale : {0.01f, 1.0f, 300.0f}) {
    std::vector<float> x(32 * 64);
    for (auto& v : x) v = scale * normal(rng);
    for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_0)) {
      SCOPED_TRACE(IsaName(q.isa));
      const auto blocks = Quantize<BlockQ8_0>(q, x, 32);
      for (size_t b = 0; b < blocks.size(); ++b) {
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b * 32 + size_t(i)]));
        const double d = amax / 127.0;
        const double big_d = F16ToF32(blocks[b].d);
        for (int i = 0; i < 32; ++i) {
          const double xi = x[b * 32 + size_t(i)];
          EXPECT_LE(std::abs(blocks[b].qs[i]), 127);
          EXPECT_LE(std::fabs(xi - big_d * blocks[b].qs[i]), d * (0.5 + 127 * 0x1p-11) + 1e-6 * d);
          if (std::fabs(xi) == amax) {
            EXPECT_EQ(std::abs(blocks[b].qs[i]), 127);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Q8_1

// d and q are exactly Q8_0's; s = fp16(d·Σq) with the unrounded f32 d = amax/127.
TEST(Q8_1QuantizeTest, MatchesQ8_0AndSumUsesUnroundedScale) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(32 * 200);
  for (auto& v : x) v = normal(rng) + 0.3f;  // a bias keeps Σq away from 0
  const auto q8_0 = Quantize<BlockQ8_0>(HostQuantizers(TensorType::kQ8_0)[0], x, 32);
  int discriminating = 0;  // blocks where fp16(D·Σq) would differ from fp16(d·Σq)
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_1)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_1>(q, x, 32);
    discriminating = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      ASSERT_EQ(b[i].d, q8_0[i].d);
      ASSERT_EQ(std::memcmp(b[i].qs, q8_0[i].qs, 32), 0);
      float amax = 0.0f;
      for (int e = 0; e < 32; ++e) amax = std::max(amax, std::fabs(x[i * 32 + size_t(e)]));
      const float d = amax / 127.0f;
      int qsum = 0;
      for (int8_t v : b[i].qs) qsum += v;
      EXPECT_EQ(b[i].s, F32ToF16(d * float(qsum))) << "block " << i;
      if (F32ToF16(F16ToF32(b[i].d) * float(qsum)) != b[i].s) ++discriminating;
    }
  }
  // The data must be able to tell the two rules apart, or the check above proves nothing.
  EXPECT_GT(discriminating, 10);
}

// ---------------------------------------------------------------------------------------------
// Q8_K

TEST(Q8_KQuantizeTest, LargestPositiveGivesNegativeScale) {
  std::vector<float> x(256, 0.25f);
  x[5] = 3.0f;
  x[6] = -2.0f;
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_K>(q, x, 256);
    const float iscale = -127.0f / 3.0f;
    EXPECT_EQ(std::bit_cast<uint32_t>(b[0].d), std::bit_cast<uint32_t>(1.0f / iscale));
    EXPECT_LT(b[0].d, 0.0f);
    EXPECT_EQ(b[0].qs[5], -127);                                 // xm itself maps to −127
    EXPECT_EQ(b[0].qs[6], int(std::nearbyint(iscale * -2.0f)));  // 84.67 → 85
    EXPECT_EQ(b[0].qs[0], int(std::nearbyint(iscale * 0.25f)));  // −10.58 → −11
  }
}

TEST(Q8_KQuantizeTest, LargestNegativeGivesPositiveScale) {
  std::vector<float> x(256, 0.0f);
  x[200] = -8.0f;
  x[201] = 8.0f;  // equal |x| later: the first occurrence wins, and its negation maps to +127
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_K>(q, x, 256);
    EXPECT_GT(b[0].d, 0.0f);
    EXPECT_EQ(b[0].qs[200], -127);
    EXPECT_EQ(b[0].qs[201], 127);
  }
  std::swap(x[200], x[201]);  // now +8 comes first: d < 0
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_K>(q, x, 256);
    EXPECT_LT(b[0].d, 0.0f);
    EXPECT_EQ(b[0].qs[200], -127);
    EXPECT_EQ(b[0].qs[201], 127);
  }
}

TEST(Q8_KQuantizeTest, TiesRoundToEvenAndBsums) {
  // xm = −127 gives iscale = 1 and d = 1 exactly, so q = round_half_even(x).
  std::vector<float> x(256, 0.0f);
  x[0] = -127.0f;
  const float in[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 100.5f, 101.5f};
  const int expect[] = {0, 2, 2, 0, -2, -2, 100, 102};
  for (size_t i = 0; i < std::size(in); ++i) x[20 + i] = in[i];
  for (int i = 0; i < 16; ++i) x[size_t(240 + i)] = float(i) - 7.5f;  // Σ of ties in group 15
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto b = Quantize<BlockQ8_K>(q, x, 256);
    EXPECT_EQ(b[0].d, 1.0f);
    EXPECT_EQ(b[0].qs[0], -127);
    for (size_t i = 0; i < std::size(in); ++i) EXPECT_EQ(b[0].qs[20 + i], expect[i]) << in[i];
    for (int k = 0; k < 16; ++k) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += b[0].qs[16 * k + i];
      EXPECT_EQ(b[0].bsums[k], sum) << "group " << k;
    }
    // −7.5 … 7.5 round to −8 −6 −6 −4 −4 −2 −2 0 0 2 2 4 4 6 6 8: Σ = 0, and group 1 holds
    // 0.5 + 1.5 + 2.5 − 0.5 − 1.5 − 2.5 + 100.5 + 101.5 → 0+2+2+0−2−2+100+102 = 202.
    EXPECT_EQ(b[0].bsums[15], 0);
    EXPECT_EQ(b[0].bsums[1], 202);
  }
}

TEST(Q8_KQuantizeTest, ZeroBlock) {
  std::vector<float> x(512, 0.0f);
  x[300] = 1.0f;
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    auto b = Quantize<BlockQ8_K>(q, x, 256);
    EXPECT_EQ(b[0].d, 0.0f);
    for (int8_t v : b[0].qs) EXPECT_EQ(v, 0);
    for (int16_t s : b[0].bsums) EXPECT_EQ(s, 0);
    EXPECT_EQ(b[1].qs[300 - 256], -127);
  }
}

// |x − d·q| ≤ |d|/2 (+ f32 noise: iscale·x and d = 1/iscale are rounded), |q| ≤ 127.
TEST(Q8_KQuantizeTest, RoundTripWithinHalfStep) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(256 * 40);
  for (size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * float(1 + (i / 256) % 5) * 10.0f;
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kQ8_K)) {
    SCOPED_TRACE(IsaName(q.isa));
    const auto blocks = Quantize<BlockQ8_K>(q, x, 256);
    for (size_t b = 0; b < blocks.size(); ++b) {
      const double d = std::fabs(blocks[b].d);
      for (int i = 0; i < 256; ++i) {
        const double xi = x[b * 256 + size_t(i)];
        EXPECT_LE(std::abs(blocks[b].qs[i]), 127);
        EXPECT_LE(std::fabs(xi - double(blocks[b].d) * blocks[b].qs[i]), d * (0.5 + 1e-5));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// F16 and BF16

TEST(F16QuantizeTest, RoundsToNearestEven) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {1.0f + 0x1p-11f,      // tie between 1 and 1 + 2^-10 → 1 (even)
                                1.0f + 3 * 0x1p-11f,  // tie → 1 + 2^-9 (even)
                                65519.0f,             // below the overflow threshold → 65504
                                65520.0f,             // rounds past the largest finite → inf
                                0x1p-25f,             // half the smallest subnormal, tie → 0
                                3 * 0x1p-25f,         // tie between 1 and 2 subnormal ulps → 2
                                -0.0f,
                                -2.0f,
                                nan};
  const uint16_t expect[] = {0x3C00, 0x3C02, 0x7BFF, 0x7C00, 0x0000,
                             0x0002, 0x8000, 0xC000, 0x7E00};
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kF16)) {
    SCOPED_TRACE(IsaName(q.isa));
    std::vector<uint16_t> h(x.size());
    q.fn(x.data(), h.data(), int64_t(x.size()));
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(h[i], expect[i]) << "x[" << i << "] = " << x[i];
  }
}

TEST(BF16QuantizeTest, RoundsToNearestEvenAndQuietsNaN) {
  const std::vector<float> x = {
      1.0f + 0x1p-8f,                     // tie → 1 (even)
      1.0f + 3 * 0x1p-8f,                 // tie → 1 + 2^-6
      std::bit_cast<float>(0x7F800001u),  // signalling NaN → quiet, (u >> 16) | 0x40
      std::numeric_limits<float>::infinity(), -1.5f};
  const uint16_t expect[] = {0x3F80, 0x3F82, 0x7FC0, 0x7F80, 0xBFC0};
  for (const IsaQuantizer& q : HostQuantizers(TensorType::kBF16)) {
    SCOPED_TRACE(IsaName(q.isa));
    std::vector<uint16_t> h(x.size());
    q.fn(x.data(), h.data(), int64_t(x.size()));
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(h[i], expect[i]) << "x[" << i << "] = " << x[i];
  }
}

// Relative round-trip error ≤ half an ulp: 2^-11 for f16 (normal range), 2^-8 for bf16.
TEST(FloatQuantizeTest, RoundTripWithinHalfUlp) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 100.0f);
  std::vector<float> x(1001);
  for (auto& v : x) v = normal(rng);
  for (auto [type, rel] :
       {std::pair{TensorType::kF16, 0x1p-11}, std::pair{TensorType::kBF16, 0x1p-8}}) {
    for (const IsaQuantizer& q : HostQuantizers(type)) {
      SCOPED_TRACE(IsaName(q.isa));
      std::vector<uint16_t> h(x.size());
      q.fn(x.data(), h.data(), int64_t(x.size()));
      std::vector<float> back(x.size());
      test_util::ReferenceOf(type).to_float(h.data(), back.data(), int64_t(x.size()));
      for (size_t i = 0; i < x.size(); ++i) {
        if (std::fabs(x[i]) < 0x1p-14f) continue;  // f16 subnormal range: absolute error
        EXPECT_LE(std::fabs(double(back[i]) - x[i]), rel * std::fabs(x[i])) << x[i];
      }
    }
  }
}

}  // namespace
}  // namespace foundry::engine::kernels
