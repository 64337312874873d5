// WordPiece normalization and matching (formats.md §4.6) on a hand-made vocabulary.

#include "engine/tokenizer/wpm.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "engine/tokenizer/vocab_builder.h"

namespace foundry::engine::testing {
namespace {

using Ids = std::vector<TokenId>;
using Strings = std::vector<std::string>;

constexpr const char* kMark = "\xE2\x96\x81";  // U+2581, the word-initial marker

// 0 [PAD], 100 [UNK], 101 [CLS], 102 [SEP], 103 [MASK]; pieces from 104 on.
TinyVocab SmallBert() {
  TinyVocab t{.model = "bert"};
  for (int i = 0; i < 104; ++i) {
    t.tokens.push_back("[unused" + std::to_string(i) + "]");
  }
  t.tokens[0] = std::string("[PAD]");
  t.tokens[100] = std::string("[UNK]");
  t.tokens[101] = std::string("[CLS]");
  t.tokens[102] = std::string("[SEP]");
  t.tokens[103] = std::string("[MASK]");
  for (const char* piece : {"hello", "he", "world", ",", "!", "cafe", "我"}) {
    t.tokens.push_back(std::string(kMark) + piece);  // 104..110
  }
  t.tokens.emplace_back("llo");  // 111, a continuation piece
  t.types.assign(t.tokens.size(), kNormal);
  for (int id : {0, 100, 101, 102, 103}) t.types[size_t(id)] = kControl;
  return t;
}

class WpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = LoadTiny(WriterFor(SmallBert()));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vocab_ = std::make_unique<tokenizer::Vocab>(std::move(v).value());
    auto wpm = tokenizer::WpmEncoder::Create();
    ASSERT_TRUE(wpm.ok()) << wpm.status().ToString();
    wpm_ = std::make_unique<tokenizer::WpmEncoder>(std::move(wpm).value());
  }

  std::unique_ptr<tokenizer::Vocab> vocab_;
  std::unique_ptr<tokenizer::WpmEncoder> wpm_;
};

TEST_F(WpmTest, WordsAreNormalizedAndSplit) {
  EXPECT_EQ(wpm_->Words(*vocab_, "Héllo, WORLD!"), (Strings{"hello", ",", "world", "!"}));
  // NBSP and ideographic space split words; CJK ideographs stand alone.
  EXPECT_EQ(wpm_->Words(*vocab_, "a\u00A0b\u3000我想c"), (Strings{"a", "b", "我", "想", "c"}));
  // Control and format characters (U+200D ZWJ), NUL and U+FFFD vanish; a combining mark is
  // stripped with the accents.
  EXPECT_EQ(wpm_->Words(*vocab_, std::string("x\x01y\xE2\x80\x8Dz\0w\xEF\xBF\xBDv", 13)),
            (Strings{"xyzwv"}));
  EXPECT_EQ(wpm_->Words(*vocab_, "cafe\u0301"), (Strings{"cafe"}));
  // ASCII symbols split, non-ASCII symbols do not.
  EXPECT_EQ(wpm_->Words(*vocab_, "1+1=2 €5"), (Strings{"1", "+", "1", "=", "2", "€5"}));
  EXPECT_TRUE(wpm_->Words(*vocab_, " \t\n").empty());
}

TEST_F(WpmTest, GreedyLongestMatchWithUnkFallback) {
  Ids out;
  wpm_->Encode(*vocab_, "Hello, hello! hexyz café 我", out);
  // "hello" whole; "hexyz": ▁he matches but "xyz" cannot -> the whole word is one [UNK].
  EXPECT_EQ(out, (Ids{104, 107, 104, 108, 100, 109, 110}));
}

TEST_F(WpmTest, TokenizerFramesWithClsAndSep) {
  auto tok = TokenizerOf(WriterFor(SmallBert()));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->Encode("hello world", {}), (Ids{101, 104, 106, 102}));
  EXPECT_EQ((*tok)->Encode("", {}), (Ids{101, 102}));
  EXPECT_EQ((*tok)->Encode("hello", {.add_special = false}), (Ids{104}));
  // Pieces: the marker renders as a space; clean-up removes it before punctuation.
  EXPECT_EQ((*tok)->TokenToPiece(104), " hello");
  EXPECT_EQ((*tok)->Decode(Ids{104, 107, 106, 108}), " hello, world!");
}

TEST(WpmOptionsTest, LowercaseAndStripAccentsCanBeTurnedOff) {
  GgufWriter w = WriterFor(SmallBert());
  w.AddBool("tokenizer.ggml.normalizer.lowercase", false);
  auto v = LoadTiny(w);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->lowercase);
  EXPECT_FALSE(v->strip_accents);  // defaults to lowercase
  auto wpm = tokenizer::WpmEncoder::Create();
  ASSERT_TRUE(wpm.ok());
  EXPECT_EQ(wpm->Words(*v, "Héllo"), (Strings{"Héllo"}));
}

}  // namespace
}  // namespace foundry::engine::testing
