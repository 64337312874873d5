// SentencePiece encoding (formats.md §4.3) on a hand-made vocabulary.

#include "engine/tokenizer/spm.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/vocab_builder.h"

namespace foundry::engine::testing {
namespace {

using Ids = std::vector<TokenId>;

Ids Spm(const tokenizer::Vocab& v, std::string_view text) {
  Ids out;
  tokenizer::EncodeSpm(v, tokenizer::EscapeSpmWhitespace(text), out);
  return out;
}

TEST(SpmTest, EscapesSpaces) { EXPECT_EQ(tokenizer::EscapeSpmWhitespace(" a  b"), "▁a▁▁b"); }

TEST(SpmTest, MergesHighestScoreFirst) {
  auto v = LoadTiny(WriterFor(SmallSpm()));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  // "▁ab": pairs ▁a (-1) and ab (-3); ▁a merges first, then ▁a+b = ▁ab (-0.5).
  EXPECT_EQ(Spm(*v, " ab"), (Ids{8}));
  EXPECT_EQ(Spm(*v, " ba"), (Ids{3, 5, 4}));  // ▁b and ba are not tokens
  EXPECT_EQ(Spm(*v, "ab"), (Ids{7}));
  EXPECT_TRUE(Spm(*v, "").empty());
}

TEST(SpmTest, ByteFallback) {
  auto v = LoadTiny(WriterFor(SmallSpm()));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Spm(*v, "a\nA"), (Ids{4, 9, 10}));  // <0x0A>, <0x41>
  // 'z' has no byte token: UNK (id 0) instead of the reference's failure.
  EXPECT_EQ(Spm(*v, "z"), (Ids{0}));
  // A multi-byte character falls back byte by byte.
  EXPECT_EQ(Spm(*v, "\xC3\xA9"), (Ids{0, 0}));
}

TEST(SpmTest, TiesGoToTheLeftmostPair) {
  TinyVocab t;
  t.tokens = {"<unk>", "<s>", "</s>", "x", "xx"};
  t.scores = {0, 0, 0, 0, -1};
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Spm(*v, "xxx"), (Ids{4, 3}));
}

TEST(SpmTest, TokenizerAddsPrefixAndSpecials) {
  auto tok = TokenizerOf(WriterFor(SmallSpm()));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->Encode("ab", {}), (Ids{1, 8}));  // BOS, then "▁ab"
  EXPECT_EQ((*tok)->Encode("", {}), (Ids{1}));
  EXPECT_EQ((*tok)->Encode("", {.add_special = false}), Ids{});
  // Text after a special token gets the prefix space again.
  EXPECT_EQ((*tok)->Encode("ab<|user|>ab", {.add_special = false}), (Ids{8, 11, 8}));
  // </s> is CONTROL: plain text unless parse_special.
  EXPECT_EQ((*tok)->Encode("</s>", {.add_special = false, .parse_special = true}), (Ids{2}));
}

}  // namespace
}  // namespace foundry::engine::testing
