#include "foundry/runtime/grammar/grammar_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/runtime/grammar/json_schema.h"
#include "support/shared_data.h"

namespace foundry::runtime::grammar {
namespace {

using foundry::testing::SharedPath;

class GrammarConstraintTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto file = engine::GgufFile::Open(SharedPath("tokenizer/ggml-vocab-qwen2.gguf"));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto tok = engine::Tokenizer::FromGguf(*file);
    ASSERT_TRUE(tok.ok());
    tokenizer_ = std::move(tok).value().release();
    auto v = TokenVocabulary::Build(*tokenizer_);
    ASSERT_TRUE(v.ok());
    vocab_ = new std::shared_ptr<const TokenVocabulary>(*v);
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete vocab_;
  }
  static std::shared_ptr<const Grammar> G(std::string_view gbnf) {
    Result<Grammar> g = ParseGrammar(gbnf);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return std::make_shared<const Grammar>(std::move(g).value());
  }
  static bool Bit(std::span<const uint64_t> m, engine::TokenId t) { return (m[size_t(t) >> 6] >> (t & 63)) & 1; }

  // The mask after `prefix` equals the brute-force answer: a token is allowed iff the
  // matcher survives all its bytes (EOG iff accepting).
  void ExpectMaskIsExact(const std::shared_ptr<const Grammar>& g, std::string_view prefix) {
    GrammarConstraint c(g, *vocab_);
    for (engine::TokenId t : tokenizer_->Encode(prefix, {.add_special = false})) ASSERT_TRUE(c.Accept(t).ok());
    auto mask = c.ComputeMask(0);
    ASSERT_TRUE(mask.ok()) << mask.status().ToString();
    GrammarMatcher m(g);
    ASSERT_TRUE(m.Accept(prefix).ok());
    const bool accepting = m.IsAccepting(m.state());
    size_t n_allowed = 0;
    for (engine::TokenId t = 0; t < (*vocab_)->n_vocab(); ++t) {
      bool want;
      if ((*vocab_)->is_eog(t)) want = accepting;
      else if ((*vocab_)->bytes(t).empty()) want = false;
      else want = m.Walk(m.state(), (*vocab_)->bytes(t)) != GrammarMatcher::kDead;
      ASSERT_EQ(Bit(*mask, t), want) << "token " << t << " '" << (*vocab_)->bytes(t) << "' after '" << prefix << "'";
      n_allowed += want;
    }
    EXPECT_GT(n_allowed, 0u);
  }

  static engine::Tokenizer* tokenizer_;
  static std::shared_ptr<const TokenVocabulary>* vocab_;
};
engine::Tokenizer* GrammarConstraintTest::tokenizer_ = nullptr;
std::shared_ptr<const TokenVocabulary>* GrammarConstraintTest::vocab_ = nullptr;

TEST_F(GrammarConstraintTest, TrieHoldsEveryTextToken) {
  const TokenVocabulary& v = **vocab_;
  EXPECT_EQ(v.n_vocab(), tokenizer_->n_vocab());
  size_t with_text = 0;
  for (engine::TokenId t = 0; t < v.n_vocab(); ++t) with_text += !v.bytes(t).empty();
  size_t in_trie = 0;
  for (size_t i = 0; i < v.n_nodes(); ++i) {
    in_trie += v.node_tokens(i).size();
    EXPECT_GT(v.subtree_end(i), i);
  }
  EXPECT_EQ(in_trie, with_text);
  EXPECT_FALSE(v.eog_tokens().empty());  // <|endoftext|>, <|im_end|>
  for (engine::TokenId t : v.eog_tokens()) EXPECT_TRUE(v.bytes(t).empty());
}

// A control token passed as text (a tool-call marker the generator streams as text) takes part
// with its text, so a grammar literal can be produced by that single token.
TEST_F(GrammarConstraintTest, ControlTokensAsTextTakePart) {
  const auto ids = tokenizer_->Encode("<|im_start|>", {.add_special = false, .parse_special = true});
  ASSERT_EQ(ids.size(), 1u);
  const engine::TokenId marker = ids[0];
  ASSERT_EQ(tokenizer_->token_type(marker), engine::TokenType::kControl);
  EXPECT_EQ((*vocab_)->bytes(marker), "");  // not by default
  auto v = TokenVocabulary::Build(*tokenizer_, std::span(&marker, 1));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)->bytes(marker), "<|im_start|>");
  GrammarConstraint c(G(R"(root ::= "<|im_start|>" "x")"), *v);
  auto m = c.ComputeMask(0);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(Bit(*m, marker));
  ASSERT_TRUE(c.Accept(marker).ok());
  EXPECT_EQ(c.MinBytesToAccept(), 1u);
  GrammarConstraint plain(G(R"(root ::= "<|im_start|>" "x")"), *vocab_);
  m = plain.ComputeMask(0);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(Bit(*m, marker));
  EXPECT_EQ(plain.Accept(marker).code(), StatusCode::kInvalidArgument);
}

TEST_F(GrammarConstraintTest, MaskMatchesBruteForce) {
  auto json = std::make_shared<const Grammar>(JsonObjectGrammar());
  ExpectMaskIsExact(json, "");
  ExpectMaskIsExact(json, "{\"ke");
  ExpectMaskIsExact(json, "{\"key\": [1, 2.5");
  ExpectMaskIsExact(json, "{\"key\": \"日本");
  ExpectMaskIsExact(json, "{\"a\": {}}");  // complete: only EOG
  ExpectMaskIsExact(G(R"(root ::= "yes" | "no" | [0-9]{2,4} "!"?)"), "");
  ExpectMaskIsExact(G(R"(root ::= "say " [^\n]* "\n")"), "say hel");
}

TEST_F(GrammarConstraintTest, ApplySetsDisallowedLogitsToMinusInfinity) {
  GrammarConstraint c(G(R"(root ::= "true" | "false")"), *vocab_);
  std::vector<float> logits(size_t((*vocab_)->n_vocab()), 1.0f);
  ASSERT_TRUE(c.Apply(logits, 0).ok());
  size_t finite = 0;
  for (engine::TokenId t = 0; t < (*vocab_)->n_vocab(); ++t) {
    if (std::isfinite(logits[size_t(t)])) {
      ++finite;
      std::string_view b = (*vocab_)->bytes(t);
      EXPECT_TRUE(std::string_view("true").starts_with(b) || std::string_view("false").starts_with(b)) << b;
    }
  }
  EXPECT_GE(finite, 4u);  // at least t, tr, f, fa ... and the whole words
}

TEST_F(GrammarConstraintTest, BudgetForcesTheShortestCompletion) {
  // A string that may run forever; with 3 tokens left only tokens that can still close it fit.
  auto g = G(R"(root ::= "\"" [a-z]* "\"")");
  GrammarConstraint d(g, *vocab_);
  for (engine::TokenId t : tokenizer_->Encode("\"abc", {.add_special = false})) ASSERT_TRUE(d.Accept(t).ok());
  EXPECT_EQ(d.MinBytesToAccept(), 1u);
  // Budget 1: the token must complete the sentence (the closing quote).
  auto m1 = d.ComputeMask(1);
  ASSERT_TRUE(m1.ok());
  for (engine::TokenId t = 0; t < (*vocab_)->n_vocab(); ++t)
    if (Bit(*m1, t)) {
      EXPECT_EQ((*vocab_)->bytes(t), "\"") << t;
    }
  // Budget 2: a token may add letters only if one byte is left for the quote: any token that
  // keeps it open still needs exactly 1 more byte, which fits.
  auto m2 = d.ComputeMask(2);
  ASSERT_TRUE(m2.ok());
  EXPECT_TRUE(Bit(*m2, tokenizer_->Encode("def", {.add_special = false})[0]));
}

// Regression: where the output may end and no further token fits the budget, only EOG is
// allowed (it used to fall back to the whole grammar mask, so parallel tool calls could start
// a call that max_tokens then cut).
TEST_F(GrammarConstraintTest, BudgetEndsAnAcceptingOutputWhenNothingElseFits) {
  auto g = G(R"(root ::= "x" (";" "0123456789")*)");
  GrammarConstraint c(g, *vocab_);
  ASSERT_TRUE(c.Accept(tokenizer_->Encode("x", {.add_special = false})[0]).ok());
  ASSERT_TRUE(c.IsAccepting());
  const engine::TokenId semi = tokenizer_->Encode(";", {.add_special = false})[0];
  auto wide = c.ComputeMask(0);  // no budget: another item may start
  ASSERT_TRUE(wide.ok());
  EXPECT_TRUE(Bit(*wide, semi));
  auto tight = c.ComputeMask(5);  // ";" + 10 digits cannot fit in 4 more tokens
  ASSERT_TRUE(tight.ok());
  for (engine::TokenId t = 0; t < (*vocab_)->n_vocab(); ++t)
    if (Bit(*tight, t)) {
      EXPECT_TRUE((*vocab_)->is_eog(t)) << t << " '" << (*vocab_)->bytes(t) << "'";
    }
  EXPECT_TRUE(Bit(*tight, (*vocab_)->eog_tokens()[0]));
  auto roomy = c.ComputeMask(12);  // it fits again (from the cache)
  ASSERT_TRUE(roomy.ok());
  EXPECT_TRUE(Bit(*roomy, semi));
}

TEST_F(GrammarConstraintTest, EogOnlyWhereTheGrammarCanEnd) {
  auto g = G(R"(root ::= "a" "b"?)");
  GrammarConstraint c(g, *vocab_);
  const engine::TokenId eog = (*vocab_)->eog_tokens()[0];
  EXPECT_EQ(c.Accept(eog).code(), StatusCode::kInvalidArgument);
  auto m = c.ComputeMask(0);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(Bit(*m, eog));
  ASSERT_TRUE(c.Accept(tokenizer_->Encode("a", {.add_special = false})[0]).ok());
  EXPECT_TRUE(c.IsAccepting());
  EXPECT_FALSE(c.IsComplete());
  m = c.ComputeMask(0);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(Bit(*m, eog));
  ASSERT_TRUE(c.Accept(eog).ok());
  EXPECT_TRUE(c.IsComplete());
}

TEST_F(GrammarConstraintTest, RejectedTokenLeavesTheStateAlone) {
  GrammarConstraint c(G(R"(root ::= "ab")"), *vocab_);
  EXPECT_EQ(c.Accept(tokenizer_->Encode("x", {.add_special = false})[0]).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(c.Accept(tokenizer_->Encode("ab", {.add_special = false})[0]).ok());
  EXPECT_TRUE(c.IsComplete());
}

}  // namespace
}  // namespace foundry::runtime::grammar
