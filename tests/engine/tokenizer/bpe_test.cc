// Byte-level BPE merging (formats.md §4.4) on a hand-made vocabulary.

#include "engine/tokenizer/bpe.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/vocab_builder.h"

namespace foundry::engine::testing {
namespace {

using Ids = std::vector<TokenId>;

TinyVocab SmallBpe(const std::string& pre) {
  TinyVocab t{.model = "gpt2", .pre = pre};
  // 0..4 single characters, then merge results.
  t.tokens = {"a", "b", "c", "Ġ", "d", "ab", "bc", "abc", "Ġa", "cab"};
  t.merges = {"b c", "a b", "ab c", "Ġ a"};
  return t;
}

Ids Word(const tokenizer::Vocab& v, std::string_view word) {
  Ids out;
  tokenizer::EncodeBpeWord(v, word, out);
  return out;
}

TEST(BpeTest, LowestRankMergesFirst) {
  auto v = LoadTiny(WriterFor(SmallBpe("gpt-2")));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  // "abc": "b c" (rank 0) beats "a b" (rank 1); then no merge "a bc" exists.
  EXPECT_EQ(Word(*v, "abc"), (Ids{0, 6}));
  EXPECT_EQ(Word(*v, "ab"), (Ids{5}));
  EXPECT_EQ(Word(*v, "Ġa"), (Ids{8}));
  EXPECT_TRUE(Word(*v, "").empty());
}

TEST(BpeTest, IgnoreMergesEmitsWholeTokens) {
  auto v = LoadTiny(WriterFor(SmallBpe("llama-bpe")));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Word(*v, "abc"), (Ids{7}));  // "abc" is a token: merges are not consulted
  EXPECT_EQ(Word(*v, "cab"), (Ids{9}));  // no merge could build it
  EXPECT_EQ(Word(*v, "ca"), (Ids{2, 0}));
}

TEST(BpeTest, SymbolsNotInTheVocabularyFallBackToSingleBytes) {
  auto v = LoadTiny(WriterFor(SmallBpe("gpt-2")));
  ASSERT_TRUE(v.ok());
  // "é" (C3 A9) is no token; neither byte is a one-byte token: dropped as in the reference.
  EXPECT_EQ(Word(*v, "aéd"), (Ids{0, 4}));
}

TEST(BpeTest, FullPipelineByteEncodesPreTokens) {
  auto tok = TokenizerOf(WriterFor(SmallBpe("gpt-2")));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  // Pre-tokens "ab", " a", "bc"? No: gpt-2 splits "ab abc" into "ab" and " abc".
  // " abc" -> "Ġabc": "b c" first, then "Ġ a" -> "Ġa", leaving Ġa + bc.
  EXPECT_EQ((*tok)->Encode("ab abc", {}), (Ids{5, 8, 6}));
  // BPE adds no BOS by default, and here there is none (default id 11 is outside the vocab).
  EXPECT_EQ((*tok)->bos_id(), -1);
}

}  // namespace
}  // namespace foundry::engine::testing
