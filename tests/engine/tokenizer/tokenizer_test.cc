// The public Tokenizer API on the shared vocabularies: accessors, special-token handling with
// parse_special, EOG detection, and robustness on arbitrary bytes.

#include "foundry/engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/tokenizer/test_vectors.h"

namespace foundry::engine::testing {
namespace {

using Ids = std::vector<TokenId>;

TEST(TokenizerTest, Qwen2Accessors) {
  auto tok = LoadTokenizer(VocabPath("qwen2"));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), VocabKind::kBpe);
  EXPECT_EQ(tok->model_name(), "gpt2");
  EXPECT_EQ(tok->pre(), "qwen2");
  EXPECT_EQ(tok->n_vocab(), 151936);
  EXPECT_EQ(tok->bos_id(), 151643);
  EXPECT_EQ(tok->eos_id(), 151643);
  EXPECT_FALSE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  EXPECT_EQ(tok->TokenText(151643), "<|endoftext|>");
  const TokenId im_start = 151644, im_end = 151645;
  EXPECT_EQ(tok->TokenText(im_end), "<|im_end|>");
  EXPECT_TRUE(tok->IsEog(151643));
  EXPECT_TRUE(tok->IsEog(im_end));
  EXPECT_FALSE(tok->IsEog(im_start));
  EXPECT_FALSE(tok->IsEog(0));
  EXPECT_EQ(tok->token_type(im_end), TokenType::kControl);  // forced: it ends a turn
  EXPECT_EQ(tok->token_type(0), TokenType::kNormal);
  EXPECT_EQ(tok->token_type(-1), TokenType::kUndefined);
}

TEST(TokenizerTest, ParseSpecialControlsChatMarkers) {
  auto tok = LoadTokenizer(VocabPath("qwen2"));
  ASSERT_NE(tok, nullptr);
  const std::string text = "<|im_start|>user\nHi<|im_end|>";
  const Ids parsed = tok->Encode(text, {.add_special = false, .parse_special = true});
  ASSERT_GE(parsed.size(), 3u);
  EXPECT_EQ(parsed.front(), 151644);
  EXPECT_EQ(parsed.back(), 151645);
  // Both markers are CONTROL in this vocabulary: without parse_special they are plain text.
  const Ids plain = tok->Encode(text, {.add_special = false, .parse_special = false});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 151644), 0);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 151645), 0);
  // USER_DEFINED tokens ("[PAD151646]" here) are matched either way.
  EXPECT_EQ(tok->Encode("x[PAD151646]", {.add_special = false}).back(), 151646);
  EXPECT_EQ(tok->Decode(parsed), text);
  EXPECT_EQ(tok->Decode(plain), text);
}

TEST(TokenizerTest, SpmAccessors) {
  auto tok = LoadTokenizer(VocabPath("llama-spm"));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), VocabKind::kSpm);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->eot_id(), -1);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_TRUE(tok->IsEog(2));
  EXPECT_EQ(tok->token_type(0), TokenType::kUnknown);
  EXPECT_EQ(tok->token_type(1), TokenType::kControl);
  EXPECT_EQ(tok->token_type(3), TokenType::kByte);
  EXPECT_EQ(tok->Encode("Hello", {.add_special = true}).front(), 1);
}

TEST(TokenizerTest, WpmAccessors) {
  auto tok = LoadTokenizer(VocabPath("bert-bge"));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), VocabKind::kWpm);
  EXPECT_EQ(tok->bos_id(), 101);
  EXPECT_EQ(tok->sep_id(), 102);
  EXPECT_EQ(tok->unk_id(), 100);
  EXPECT_EQ(tok->pad_id(), 0);
  const Ids ids = tok->Encode("Hello world", {});
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
}

TEST(TokenizerTest, ArbitraryBytesNeverCrash) {
  // Random byte strings (mostly invalid UTF-8) through every tokenizer kind; SPM and BPE
  // vocabularies with full byte coverage must also reproduce the bytes on decode where the
  // input is valid UTF-8 and clean-up does not apply.
  std::mt19937 rng(1234);
  for (const char* name : {"llama-spm", "qwen2", "bert-bge", "deepseek-llm", "falcon"}) {
    auto tok = LoadTokenizer(VocabPath(name));
    ASSERT_NE(tok, nullptr);
    for (int i = 0; i < 200; ++i) {
      std::string s(size_t(rng() % 40), '\0');
      for (char& c : s) c = static_cast<char>(rng() % 256);
      const Ids ids = tok->Encode(s, {.add_special = true, .parse_special = (i % 2) == 1});
      for (TokenId id : ids) ASSERT_TRUE(id >= 0 && id < tok->n_vocab()) << name;
      (void)tok->Decode(ids);
    }
  }
}

TEST(TokenizerTest, InvalidUtf8BecomesReplacementCharacterInBpe) {
  auto tok = LoadTokenizer(VocabPath("qwen2"));
  ASSERT_NE(tok, nullptr);
  // A lone 0xFF byte is decoded as U+FFFD, so it tokenizes like the character itself.
  EXPECT_EQ(tok->Encode("a\xFF\x62", {.add_special = false}),
            tok->Encode("a\uFFFDb", {.add_special = false}));
}

}  // namespace
}  // namespace foundry::engine::testing
