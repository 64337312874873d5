// Vocabulary loading: the defaults and override rules of formats.md §4.1, the name rules of
// §4.2, and a clean Status for every kind of malformed tokenizer metadata.

#include "engine/tokenizer/vocab.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "engine/tokenizer/vocab_builder.h"
#include "support/shared_data.h"

namespace foundry::engine::testing {
namespace {

using tokenizer::kAttrControl;
using tokenizer::kAttrRstrip;
using tokenizer::kAttrUserDefined;

void ExpectError(const GgufWriter& w, StatusCode code, std::string_view needle) {
  auto vocab = LoadTiny(w);
  ASSERT_FALSE(vocab.ok());
  EXPECT_EQ(vocab.status().code(), code) << vocab.status().ToString();
  EXPECT_NE(vocab.status().message().find(needle), std::string::npos)
      << vocab.status().ToString() << " should mention " << needle;
  // The public entry point reports the same error.
  auto tok = TokenizerOf(w);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), code);
}

TEST(VocabTest, LoadsSpmDefaults) {
  auto v = LoadTiny(WriterFor(SmallSpm()));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->kind, VocabKind::kSpm);
  EXPECT_EQ(v->n_vocab(), 12);
  EXPECT_EQ(v->bos_id, 1);
  EXPECT_EQ(v->eos_id, 2);
  EXPECT_EQ(v->unk_id, 0);
  EXPECT_EQ(v->sep_id, -1);
  EXPECT_TRUE(v->add_bos);
  EXPECT_FALSE(v->add_eos);
  EXPECT_TRUE(v->add_space_prefix);
  EXPECT_FALSE(v->clean_spaces);
  EXPECT_EQ(v->Find("ab"), 7);
  EXPECT_EQ(v->Find("abc"), -1);
  EXPECT_EQ(v->text(8), "▁ab");
  EXPECT_FLOAT_EQ(v->scores[8], -0.5f);
  EXPECT_EQ(v->byte_tokens['\n'], 9);
  EXPECT_EQ(v->byte_tokens['A'], 10);
  EXPECT_EQ(v->byte_tokens['a'], 4);  // no <0x61>: the one-byte token "a"
  EXPECT_EQ(v->byte_tokens['z'], -1);
  EXPECT_EQ(v->max_token_bytes, 8u);  // "<|user|>"
  // Partition candidates: control, user-defined and unknown tokens, longest first.
  EXPECT_EQ(v->special_tokens, (std::vector<TokenId>{11, 0, 2, 1}));
  EXPECT_EQ(v->eog_ids, (std::vector<TokenId>{2}));  // EOS
}

TEST(VocabTest, SpecialIdKeysOverrideOnlyInsideTheVocabulary) {
  GgufWriter w = WriterFor(SmallSpm());
  w.AddU32("tokenizer.ggml.bos_token_id", 0xFFFFFFFFu);  // out of range: keeps default 1
  w.AddU32("tokenizer.ggml.eos_token_id", 11);
  w.AddU32("tokenizer.ggml.seperator_token_id", 3);
  w.AddU32("tokenizer.ggml.padding_token_id", 12);  // == n_vocab: ignored
  w.AddBool("tokenizer.ggml.add_bos_token", false);
  w.AddBool("tokenizer.ggml.add_eos_token", true);
  w.AddBool("tokenizer.ggml.add_space_prefix", false);
  auto v = LoadTiny(w);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->bos_id, 1);
  EXPECT_EQ(v->eos_id, 11);
  EXPECT_EQ(v->sep_id, 3);
  EXPECT_EQ(v->pad_id, -1);
  EXPECT_FALSE(v->add_bos);
  EXPECT_TRUE(v->add_eos);
  EXPECT_FALSE(v->add_space_prefix);
}

TEST(VocabTest, DefaultIdsOutsideTheVocabularyAreDisabled) {
  // BPE defaults BOS/EOS to 11; this vocabulary has 4 tokens.
  TinyVocab t{
      .model = "gpt2", .pre = "gpt-2", .tokens = {"a", "b", "ab", "\xC4\xA0"}, .merges = {"a b"}};
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->bos_id, -1);
  EXPECT_EQ(v->eos_id, -1);
  EXPECT_TRUE(v->eog_ids.empty());
  EXPECT_EQ(v->MergeRank("a", "b"), 0);
  EXPECT_EQ(v->MergeRank("b", "a"), -1);
}

TEST(VocabTest, MergeRanksKeepTheFirstOfDuplicatesAndSplitAtTheFirstInnerSpace) {
  TinyVocab t{.model = "gpt2",
              .pre = "gpt-2",
              .tokens = {"a", "b", " ", "x", "ab"},
              .merges = {"a b", "nospace", "  x", "a b", "b ", "a b c"}};
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->n_merges(), 6);
  EXPECT_EQ(v->MergeRank("a", "b"), 0);   // the duplicate at rank 3 does not replace it
  EXPECT_EQ(v->MergeRank(" ", "x"), 2);   // "  x": the split is at index >= 1
  EXPECT_EQ(v->MergeRank("b", ""), 4);    // nothing after the space
  EXPECT_EQ(v->MergeRank("a", "b c"), 5); // only the first inner space splits
  EXPECT_EQ(v->MergeRank("a b", "c"), -1);
  EXPECT_EQ(v->MergeRank("", ""), 1);     // a merge without a space reads as ("", "")
  EXPECT_EQ(v->merge(1), std::make_pair(std::string_view(), std::string_view()));
  EXPECT_EQ(v->merge(5), std::make_pair(std::string_view("a"), std::string_view("b c")));
  EXPECT_EQ(v->MergeRank("nospace", ""), -1);
}

TEST(VocabTest, LargeBpeVocabularyStaysCompact) {
  // qwen2: 151,936 tokens and 151,387 merges. The tables are ~10 MiB (node-based hash maps took
  // ~25 MiB); the texts alone are ~2.5 MiB.
  auto file = GgufFile::Open(foundry::testing::SharedPath("tokenizer/ggml-vocab-qwen2.gguf"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto v = tokenizer::LoadVocab(*file);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_GT(v->n_vocab(), 150000);
  ASSERT_GT(v->n_merges(), 150000);
  EXPECT_LT(v->memory_bytes(), size_t(12) << 20);
  EXPECT_GT(v->memory_bytes(), v->text_arena.size() + v->merge_arena.size());
  // Every token and every merge is found again through the compact indexes.
  for (TokenId id = 0; id < v->n_vocab(); ++id) ASSERT_EQ(v->Find(v->text(id)), id);
  for (int32_t r = 0; r < v->n_merges(); ++r) {
    const auto [left, right] = v->merge(r);
    ASSERT_LE(v->MergeRank(left, right), r);  // a duplicate finds its first occurrence
  }
}

TEST(VocabTest, BpePreTokenizerFlags) {
  TinyVocab t{.model = "gpt2", .pre = "llama-bpe", .tokens = {"a", "b"}, .merges = {"a b"}};
  auto llama3 = LoadTiny(WriterFor(t));
  ASSERT_TRUE(llama3.ok()) << llama3.status().ToString();
  EXPECT_TRUE(llama3->ignore_merges);
  EXPECT_TRUE(llama3->add_bos);
  EXPECT_TRUE(llama3->clean_spaces);

  t.pre = "qwen2";
  auto qwen2 = LoadTiny(WriterFor(t));
  ASSERT_TRUE(qwen2.ok());
  EXPECT_FALSE(qwen2->ignore_merges);
  EXPECT_FALSE(qwen2->add_bos);
  EXPECT_FALSE(qwen2->clean_spaces);

  t.pre = "";  // absent: "default"
  auto absent = LoadTiny(WriterFor(t));
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->pre_spec->name, "default");

  for (const char* alias : {"llama3", "llama-v3", "falcon3", "deepseek-r1-qwen", "stablelm2",
                            "phi-2", "olmo", "mpt", "starcoder", "refact", "falcon", "default"}) {
    t.pre = alias;
    EXPECT_TRUE(LoadTiny(WriterFor(t)).ok()) << alias;
  }
}

TEST(VocabTest, WpmDefaults) {
  TinyVocab t{.model = "bert", .tokens = {}};
  for (int i = 0; i < 110; ++i) {
    char token[16];  // (snprintf: GCC 12 -Wrestrict misfires on string concatenation here)
    std::snprintf(token, sizeof token, "t%d", i);
    t.tokens.emplace_back(token);
  }
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->kind, VocabKind::kWpm);
  EXPECT_EQ(v->bos_id, 101);
  EXPECT_EQ(v->unk_id, 100);
  EXPECT_EQ(v->sep_id, 102);
  EXPECT_EQ(v->pad_id, 0);
  EXPECT_EQ(v->mask_id, 103);
  EXPECT_EQ(v->eos_id, -1);
  EXPECT_TRUE(v->lowercase);
  EXPECT_TRUE(v->strip_accents);
  EXPECT_TRUE(v->clean_spaces);
}

TEST(VocabTest, EndOfTurnTokensAreFoundByTextAndForcedToControl) {
  TinyVocab t{.model = "gpt2",
              .pre = "qwen2",
              .tokens = {"a", "b", "<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|im_start|>"},
              .types = {kNormal, kNormal, kControl, kUserDefined, kUserDefined, kUserDefined},
              .merges = {"a b"}};
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->eot_id, 2);  // both texts qualify; the lowest id wins
  EXPECT_EQ(v->fim_pad_id, 4);
  EXPECT_EQ(v->eog_ids, (std::vector<TokenId>{2, 3, 4}));
  EXPECT_TRUE(v->attrs[3] & kAttrControl);
  EXPECT_TRUE(v->attrs[4] & kAttrControl);
  EXPECT_FALSE(v->attrs[5] & kAttrControl);  // <|im_start|> stays user-defined
  EXPECT_TRUE(v->attrs[5] & kAttrUserDefined);
}

TEST(VocabTest, EmptyTokenTextIsRenamed) {
  TinyVocab t = SmallSpm();
  t.tokens[4] = "";
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->text(4), "[EMPTY_4]");
  EXPECT_EQ(v->Find("[EMPTY_4]"), 4);
}

TEST(VocabTest, IntegerScoresAreConvertedByValue) {
  TinyVocab t = SmallSpm();
  t.scores.clear();
  GgufWriter w = WriterFor(t);
  w.AddI32Array("tokenizer.ggml.scores",
                std::vector<int32_t>{0, 0, 0, -1, -2, -2, -1, -3, 7, 0, 0, 0});
  auto v = LoadTiny(w);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FLOAT_EQ(v->scores[7], -3.0f);
  EXPECT_FLOAT_EQ(v->scores[8], 7.0f);
}

TEST(VocabTest, Phi3NameSetsRstripOnSpecialTokens) {
  TinyVocab t = SmallSpm();
  t.tokens.push_back("<|endoftext|>");
  t.scores.push_back(0);
  t.types.push_back(kControl);
  t.name = "Phi-3 mini";
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->attrs[11] & kAttrRstrip);   // <|user|>
  EXPECT_TRUE(v->attrs[2] & kAttrRstrip);    // </s>
  EXPECT_FALSE(v->attrs[0] & kAttrRstrip);   // <unk>
  EXPECT_FALSE(v->attrs[1] & kAttrRstrip);   // <s>
  EXPECT_FALSE(v->attrs[12] & kAttrRstrip);  // <|endoftext|>

  t.name = "tiny-llama";
  auto other = LoadTiny(WriterFor(t));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->attrs[11] & kAttrRstrip);
}

// Malformed metadata: each gives a clean Status naming the problem.

TEST(VocabErrorTest, MissingModel) {
  GgufWriter w;
  w.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{"a"});
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.model");
}

TEST(VocabErrorTest, ModelNotAString) {
  GgufWriter w;
  w.AddU32("tokenizer.ggml.model", 1);
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.model");
}

TEST(VocabErrorTest, UnknownModel) {
  TinyVocab t = SmallSpm();
  t.model = "t5";
  ExpectError(WriterFor(t), StatusCode::kUnimplemented, "'t5'");
}

TEST(VocabErrorTest, UnknownPreTokenizer) {
  TinyVocab t{.model = "gpt2", .pre = "no-such-pre", .tokens = {"a", "b"}, .merges = {"a b"}};
  ExpectError(WriterFor(t), StatusCode::kUnimplemented, "'no-such-pre'");
}

TEST(VocabErrorTest, MissingTokens) {
  TinyVocab t = SmallSpm();
  t.tokens.clear();
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "tokenizer.ggml.tokens");
}

TEST(VocabErrorTest, TokensNotStrings) {
  GgufWriter w;
  w.AddString("tokenizer.ggml.model", "llama");
  w.AddF32Array("tokenizer.ggml.tokens", std::vector<float>{1, 2});
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.tokens");
}

TEST(VocabErrorTest, EmptyTokenList) {
  GgufWriter w;
  w.AddString("tokenizer.ggml.model", "llama");
  w.AddStringArray("tokenizer.ggml.tokens", std::vector<std::string>{});
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.tokens");
}

TEST(VocabErrorTest, ScoresShorterThanTokens) {
  TinyVocab t = SmallSpm();
  t.scores.pop_back();
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "tokenizer.ggml.scores");
}

TEST(VocabErrorTest, ScoresNotNumbers) {
  TinyVocab t = SmallSpm();
  t.scores.clear();
  GgufWriter w = WriterFor(t);
  w.AddStringArray("tokenizer.ggml.scores", t.tokens);
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.scores");
}

TEST(VocabErrorTest, TokenTypesShorterThanTokens) {
  TinyVocab t = SmallSpm();
  t.types.resize(3);
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "tokenizer.ggml.token_type");
}

TEST(VocabErrorTest, DuplicateToken) {
  TinyVocab t = SmallSpm();
  t.tokens[5] = std::string("a");  // (not = "a": GCC 12 -Wrestrict false positive)
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "duplicate token 'a'");
}

TEST(VocabErrorTest, BpeWithoutMerges) {
  TinyVocab t{.model = "gpt2", .pre = "gpt-2", .tokens = {"a", "b"}};
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "tokenizer.ggml.merges");
}

TEST(VocabErrorTest, SpecialIdNotAnInteger) {
  GgufWriter w = WriterFor(SmallSpm());
  w.AddString("tokenizer.ggml.bos_token_id", "1");
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.bos_token_id");
}

TEST(VocabErrorTest, FlagNotABool) {
  GgufWriter w = WriterFor(SmallSpm());
  w.AddU32("tokenizer.ggml.add_bos_token", 1);
  ExpectError(w, StatusCode::kInvalidArgument, "tokenizer.ggml.add_bos_token");
}

TEST(VocabErrorTest, Phi3VocabularyWithoutEndOfText) {
  TinyVocab t = SmallSpm();
  t.name = "phi3-mini";
  ExpectError(WriterFor(t), StatusCode::kInvalidArgument, "<|endoftext|>");
}

}  // namespace
}  // namespace foundry::engine::testing
