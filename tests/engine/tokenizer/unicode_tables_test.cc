// Spot checks of the NFD-first and lowercase tables against values from the Unicode 14 data.

#include "engine/tokenizer/unicode_tables.h"

#include <gtest/gtest.h>

namespace foundry::engine::tokenizer {
namespace {

TEST(NfdFirstTest, PrecomposedLettersMapToTheirBase) {
  EXPECT_EQ(NfdFirst(0xE9), uint32_t{'e'});    // é
  EXPECT_EQ(NfdFirst(0xC5), uint32_t{'A'});    // Å
  EXPECT_EQ(NfdFirst(0x212B), uint32_t{'A'});  // Å ANGSTROM SIGN
  EXPECT_EQ(NfdFirst(0x1EED), uint32_t{'u'});  // ử
  EXPECT_EQ(NfdFirst(0x1EC7), uint32_t{'e'});  // ệ
  EXPECT_EQ(NfdFirst(0x1E02), uint32_t{'B'});  // Ḃ (alternating run)
  EXPECT_EQ(NfdFirst(0x1E03), uint32_t{'b'});  // ḃ
  EXPECT_EQ(NfdFirst(0x0419), 0x0418u);        // Й -> И
  EXPECT_EQ(NfdFirst(0x1F00), 0x03B1u);        // ἀ -> α
  EXPECT_EQ(NfdFirst(0xAC00), 0x1100u);        // 가 -> ᄀ
  EXPECT_EQ(NfdFirst(0xD55C), 0x1112u);        // 한 -> ᄒ
  EXPECT_EQ(NfdFirst(0xD7A3), 0x1112u);        // last Hangul syllable
}

TEST(NfdFirstTest, OthersUnchanged) {
  for (uint32_t cp : {uint32_t{'a'}, uint32_t{' '}, 0x0418u, 0x4E00u, 0x1F600u, 0x10FFFFu,
                      0xF900u /* CJK compatibility ideograph: documented gap */}) {
    EXPECT_EQ(NfdFirst(cp), cp) << std::hex << cp;
  }
}

TEST(ToLowerFirstTest, MapsUppercase) {
  EXPECT_EQ(ToLowerFirst('A'), uint32_t{'a'});
  EXPECT_EQ(ToLowerFirst('Z'), uint32_t{'z'});
  EXPECT_EQ(ToLowerFirst(0xC0), 0xE0u);           // À
  EXPECT_EQ(ToLowerFirst(0x100), 0x101u);         // Ā (stride-2 run)
  EXPECT_EQ(ToLowerFirst(0x101), 0x101u);         // ā already lower
  EXPECT_EQ(ToLowerFirst(0x130), uint32_t{'i'});  // İ -> "i̇", first code point
  EXPECT_EQ(ToLowerFirst(0x411), 0x431u);         // Б
  EXPECT_EQ(ToLowerFirst(0x3A3), 0x3C3u);         // Σ
  EXPECT_EQ(ToLowerFirst(0xFF21), 0xFF41u);       // Ａ
  EXPECT_EQ(ToLowerFirst(0x10400), 0x10428u);     // Deseret
}

TEST(ToLowerFirstTest, OthersUnchanged) {
  for (uint32_t cp : {uint32_t{'a'}, uint32_t{'1'}, uint32_t{' '}, 0xDFu, 0x4E00u, 0x1F600u}) {
    EXPECT_EQ(ToLowerFirst(cp), cp) << std::hex << cp;
  }
}

}  // namespace
}  // namespace foundry::engine::tokenizer
