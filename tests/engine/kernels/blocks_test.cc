// src/engine/kernels/blocks.h: field offsets of every block layout (formats.md §2) and the SWAR
// scale unpackers the SIMD kernels use, checked exhaustively against the spec-shaped ones.

#include "engine/kernels/blocks.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

namespace foundry::engine::kernels {
namespace {

TEST(BlocksTest, FieldOffsetsMatchTheSpec) {
  EXPECT_EQ(offsetof(BlockQ4_0, qs), 2u);
  EXPECT_EQ(offsetof(BlockQ4_1, m), 2u);
  EXPECT_EQ(offsetof(BlockQ4_1, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ5_0, qh), 2u);
  EXPECT_EQ(offsetof(BlockQ5_0, qs), 6u);
  EXPECT_EQ(offsetof(BlockQ5_1, qh), 4u);
  EXPECT_EQ(offsetof(BlockQ5_1, qs), 8u);
  EXPECT_EQ(offsetof(BlockQ8_0, qs), 2u);
  EXPECT_EQ(offsetof(BlockQ8_1, s), 2u);
  EXPECT_EQ(offsetof(BlockQ8_1, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ2_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ2_K, d), 80u);
  EXPECT_EQ(offsetof(BlockQ2_K, dmin), 82u);
  EXPECT_EQ(offsetof(BlockQ3_K, qs), 32u);
  EXPECT_EQ(offsetof(BlockQ3_K, scales), 96u);
  EXPECT_EQ(offsetof(BlockQ3_K, d), 108u);
  EXPECT_EQ(offsetof(BlockQ4_K, scales), 4u);
  EXPECT_EQ(offsetof(BlockQ4_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qh), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qs), 48u);
  EXPECT_EQ(offsetof(BlockQ6_K, qh), 128u);
  EXPECT_EQ(offsetof(BlockQ6_K, scales), 192u);
  EXPECT_EQ(offsetof(BlockQ6_K, d), 208u);
  EXPECT_EQ(offsetof(BlockQ8_K, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ8_K, bsums), 260u);
  EXPECT_EQ(offsetof(BlockIQ4_NL, qs), 2u);
  EXPECT_EQ(offsetof(BlockIQ4_XS, scales_h), 2u);
  EXPECT_EQ(offsetof(BlockIQ4_XS, scales_l), 4u);
  EXPECT_EQ(offsetof(BlockIQ4_XS, qs), 8u);
}

// Output byte j of both unpackers depends only on the bytes j, j + 4 and j + 8 of the 12 (for
// each j < 4), so setting every such triple to (a, b, c) at once and trying all 2^24 triples
// covers every input each output can see.
TEST(BlocksTest, SwarScaleUnpackersMatchTheSpecExhaustively) {
  for (uint32_t abc = 0; abc < (1u << 24); ++abc) {
    uint8_t s[12];
    for (int j = 0; j < 4; ++j) {
      s[j] = uint8_t(abc);
      s[j + 4] = uint8_t(abc >> 8);
      s[j + 8] = uint8_t(abc >> 16);
    }
    uint8_t sc[8], m[8], sc_swar[8], m_swar[8];
    UnpackQ4KScales(s, sc, m);
    UnpackQ4KScalesSwar(s, sc_swar, m_swar);
    int8_t sc3[16], sc3_swar[16];
    UnpackQ3KScales(s, sc3);
    UnpackQ3KScalesSwar(s, sc3_swar);
    if (std::memcmp(sc, sc_swar, 8) != 0 || std::memcmp(m, m_swar, 8) != 0 ||
        std::memcmp(sc3, sc3_swar, 16) != 0) {
      FAIL() << "bytes (a, b, c) = 0x" << std::hex << abc;
    }
  }
}

// Hand-checked Q4_K/Q5_K unpacking: scales 10, 17, …, 59 and mins 63, 58, …, 28 (all needing
// their high bits for k ≥ 4) packed by the spec's rule, then unpacked.
TEST(BlocksTest, Q4KScalesHandPacked) {
  auto want_sc = [](int k) { return 10 + 7 * k; };
  auto want_m = [](int k) { return 63 - 5 * k; };
  uint8_t s[12] = {};
  for (int k = 0; k < 4; ++k) {
    s[k] = uint8_t(want_sc(k));
    s[k + 4] = uint8_t(want_m(k));
  }
  for (int k = 4; k < 8; ++k) {
    s[k + 4] = uint8_t((want_sc(k) & 15) | ((want_m(k) & 15) << 4));
    s[k - 4] = uint8_t(s[k - 4] | ((want_sc(k) >> 4) << 6));
    s[k] = uint8_t(s[k] | ((want_m(k) >> 4) << 6));
  }
  uint8_t sc[8], m[8];
  UnpackQ4KScales(s, sc, m);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(sc[k], want_sc(k)) << k;
    EXPECT_EQ(m[k], want_m(k)) << k;
  }
}

}  // namespace
}  // namespace foundry::engine::kernels
