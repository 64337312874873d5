#include "foundry/core/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace foundry {
namespace {

// Reference rounding: the nearest representable half, ties to even, computed by brute force
// over neighbouring halves in double precision.
uint16_t SlowF32ToF16(float f) {
  if (std::isnan(f)) return 0x7E00;
  uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  double a = std::fabs(double(f));
  if (a >= 65520.0) return sign | 0x7C00;
  uint16_t best = 0;
  double best_d = 1e300;
  // Candidates: brute force over all finite positive halves (0x0000-0x7BFF).
  for (uint32_t h = 0; h <= 0x7BFF; ++h) {
    double v = double(F16ToF32(uint16_t(h)));
    double d = std::fabs(v - a);
    if (d < best_d || (d == best_d && (h & 1) == 0)) {
      best_d = d;
      best = uint16_t(h);
    }
  }
  return sign | best;
}

TEST(Fp16, KnownValues) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3C00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xC000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7C00);  // rounds up to inf
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(F32ToF16(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(F32ToF16(0x1p-25f), 0x0000);  // tie -> even (0)
  EXPECT_EQ(F32ToF16(3 * 0x1p-25f), 0x0002);  // 1.5 ulp tie -> even (2)
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(std::nanf("")))));
  EXPECT_EQ(F16ToF32(0x3555), 0.333251953125f);
  EXPECT_EQ(F16ToF32(0x0001), 0x1p-24f);
}

TEST(Fp16, RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;  // NaN payloads
    ASSERT_EQ(F32ToF16(F16ToF32(uint16_t(h))), h) << std::hex << h;
  }
}

TEST(Fp16, RoundsToNearestEvenLikeBruteForce) {
  uint32_t x = 2463534242u;
  for (int i = 0; i < 300; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    float f = std::ldexp(float(x % 100000) / 100000.0f, int(x % 40) - 28);
    if (x & 1) f = -f;
    ASSERT_EQ(F32ToF16(f), SlowF32ToF16(f)) << f;
    // Exact midpoints between two halves.
    uint16_t h = uint16_t(x % 0x7BFF);
    float mid = float((double(F16ToF32(h)) + double(F16ToF32(uint16_t(h + 1)))) / 2);
    ASSERT_EQ(F32ToF16(mid), SlowF32ToF16(mid)) << std::hex << h;
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(F32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(Bf16ToF32(0x3F80), 1.0f);
  // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
  EXPECT_EQ(F32ToBf16(1.0f + 0x1p-8f), 0x3F80);
  EXPECT_EQ(F32ToBf16(1.0f + 3 * 0x1p-8f), 0x3F82);
  EXPECT_EQ(F32ToBf16(std::nanf("")) & 0x7FC0, 0x7FC0);
}

}  // namespace
}  // namespace foundry
