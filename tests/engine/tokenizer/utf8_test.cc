// The lenient UTF-8 codec must decode exactly like the reference (formats.md §4.4 step 1).

#include "engine/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/byte_level.h"

namespace foundry::engine::tokenizer {
namespace {

using Cps = std::vector<uint32_t>;

TEST(Utf8Test, DecodesValidText) {
  EXPECT_EQ(DecodeUtf8Lenient(""), Cps{});
  EXPECT_EQ(DecodeUtf8Lenient("aé€😊"), (Cps{'a', 0xE9, 0x20AC, 0x1F60A}));
}

TEST(Utf8Test, InvalidSequencesBecomeReplacementPerByte) {
  EXPECT_EQ(DecodeUtf8Lenient("\x80"), (Cps{kReplacementChar}));  // stray continuation
  EXPECT_EQ(DecodeUtf8Lenient("\xE2\x82"), (Cps{kReplacementChar, kReplacementChar}));  // cut
  EXPECT_EQ(DecodeUtf8Lenient("\xC3\x61"), (Cps{kReplacementChar, 'a'}));  // no continuation
  EXPECT_EQ(DecodeUtf8Lenient("\xFF\xF8"), (Cps{kReplacementChar, kReplacementChar}));
}

TEST(Utf8Test, OverlongAndSurrogatesDecodeToTheirValue) {
  // The reference does not reject them; re-encoding normalises overlongs.
  EXPECT_EQ(DecodeUtf8Lenient("\xC0\x80"), (Cps{0}));
  EXPECT_EQ(DecodeUtf8Lenient("\xC1\xBF"), (Cps{0x7F}));
  EXPECT_EQ(DecodeUtf8Lenient("\xED\xA0\x80"), (Cps{0xD800}));
}

TEST(Utf8Test, AboveMaxCodepointIsInvalid) {
  // F4 90 80 80 would be U+110000 (documented departure: the reference throws later).
  EXPECT_EQ(DecodeUtf8Lenient("\xF4\x90\x80\x80"), Cps(4, kReplacementChar));
  EXPECT_EQ(DecodeUtf8Lenient("\xF4\x8F\xBF\xBF"), (Cps{0x10FFFF}));
}

TEST(Utf8Test, AppendUtf8RoundTrips) {
  for (uint32_t cp : {0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(cp, s);
    EXPECT_EQ(s.size(), cp < 0x80 ? 1u : cp < 0x800 ? 2u : cp < 0x10000 ? 3u : 4u) << cp;
    EXPECT_EQ(DecodeUtf8Lenient(s), (Cps{cp})) << cp;
  }
}

TEST(Utf8Test, SequenceLengthFromLeadByteOnly) {
  EXPECT_EQ(Utf8SequenceLength(0x41), 1u);
  EXPECT_EQ(Utf8SequenceLength(0x80), 1u);
  EXPECT_EQ(Utf8SequenceLength(0xC3), 2u);
  EXPECT_EQ(Utf8SequenceLength(0xE2), 3u);
  EXPECT_EQ(Utf8SequenceLength(0xF0), 4u);
  EXPECT_EQ(Utf8SequenceLength(0xFF), 4u);
}

TEST(ByteLevelTest, AlphabetMatchesGpt2) {
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(ByteToCodepoint('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(ByteToCodepoint(0x7F), 0x121u);
  EXPECT_EQ(ByteToCodepoint(0xAD), 0x143u);
  EXPECT_EQ(ByteToCodepoint('a'), uint32_t{'a'});
  EXPECT_EQ(ByteToCodepoint(0xE9), 0xE9u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(CodepointToByte(ByteToCodepoint(uint8_t(b))), b);
  EXPECT_EQ(CodepointToByte(' '), -1);  // raw space is not in the alphabet
  EXPECT_EQ(CodepointToByte(0x144), -1);
  std::string encoded;
  AppendByteEncoded(" \xE2\x82\xAC", encoded);
  EXPECT_EQ(encoded, "\xC4\xA0\xC3\xA2\xC4\xA4\xC2\xAC");  // "ĠâĤ¬" (0x82 -> U+0124)
}

}  // namespace
}  // namespace foundry::engine::tokenizer
