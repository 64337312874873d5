#include "foundry/runtime/generator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "foundry/runtime/grammar/grammar_matcher.h"
#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

using foundry::testing::SharedPath;
using nlohmann::json;

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    auto m = engine::Model::Load(SharedPath("models/real/stories260K.gguf"), kernels_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto c = engine::Context::Create(*m, kernels_, pool_, {.n_ctx = 128});
    ASSERT_TRUE(c.ok());
    ctx_ = std::move(c).value();
    golden_ = json::parse(foundry::testing::ReadFileText(SharedPath("golden/stories260K.json")));
  }
  std::string GoldenText(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += golden_["prompts"][0]["greedy"]["pieces"][i].get<std::string>();
    return s;
  }
  GenerateOptions Greedy(int max_tokens) {
    GenerateOptions o;
    o.max_tokens = max_tokens;
    o.sampling.temperature = 0;
    o.stop_at_eog = false;
    return o;
  }
  engine::kernels::KernelTable kernels_;
  ThreadPool pool_{2};
  std::unique_ptr<engine::Context> ctx_;
  json golden_;
};

TEST_F(GeneratorTest, GreedyMatchesGoldenAndStreamsEverything) {
  std::string streamed;
  auto r = Generate(*ctx_, "Once upon a time", Greedy(32), [&](std::string_view p) {
    streamed.append(p);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, GoldenText(32));
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->tokens.size(), 32u);
  EXPECT_EQ(r->finish, FinishReason::kLength);
  EXPECT_EQ(r->prompt_tokens, golden_["prompts"][0]["tokens"].get<std::vector<int>>());
}

TEST_F(GeneratorTest, StopStringEndsAndIsNotEmitted) {
  const std::string full = GoldenText(32);
  // A stop string that starts somewhere in the middle of the text.
  const size_t at = full.size() / 2;
  const std::string stop = full.substr(at, 6);
  const size_t first = full.find(stop);
  auto o = Greedy(32);
  o.stop = {"never-appears", stop};
  std::string streamed;
  auto r = Generate(*ctx_, "Once upon a time", o, [&](std::string_view p) {
    streamed.append(p);
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, full.substr(0, first));
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->finish, FinishReason::kStop);
}

TEST_F(GeneratorTest, CallbackCanCancel) {
  int calls = 0;
  auto r = Generate(*ctx_, "Once upon a time", Greedy(32), [&](std::string_view) { return ++calls < 3; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish, FinishReason::kCancelled);
  EXPECT_EQ(calls, 3);
  EXPECT_LT(r->tokens.size(), 32u);
}

TEST_F(GeneratorTest, ContextFullFinishesWithLength) {
  auto r = Generate(*ctx_, "Once upon a time", Greedy(-1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prompt_tokens.size() + r->tokens.size(), 128u + 1);  // last token sampled, not fed
  EXPECT_EQ(r->finish, FinishReason::kLength);
}

TEST_F(GeneratorTest, PromptOverTheContextIsOutOfRange) {
  std::string prompt;
  for (int i = 0; i < 60; ++i) prompt += "Once upon a time ";
  auto r = Generate(*ctx_, prompt, Greedy(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("context holds 128"), std::string::npos) << r.status().message();
}

TEST_F(GeneratorTest, InvalidSamplingIsRejected) {
  auto o = Greedy(4);
  o.sampling.top_p = 2.0f;
  EXPECT_EQ(Generate(*ctx_, "hi", o).status().code(), StatusCode::kInvalidArgument);
}

// Control tokens are not text, except those the caller keeps (tool-call markers). The story
// model writes a control token (<s> or </s>) now and then; with EOG not stopping generation,
// sampled runs over a few seeds find one that does.
TEST_F(GeneratorTest, KeepSpecialStreamsChosenControlTokensAsText) {
  const engine::Tokenizer& tok = ctx_->model().tokenizer();
  const char* prompt = "Tom and Sam played all day. They were best friends.";
  GenerateOptions o = Greedy(100);
  o.sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f};
  engine::TokenId control = -1;
  Result<GenerateResult> plain = Status::NotFound("no run");
  for (uint64_t seed = 0; seed < 256 && control < 0; ++seed) {
    o.sampling.seed = seed;
    plain = Generate(*ctx_, prompt, o);
    ASSERT_TRUE(plain.ok());
    for (engine::TokenId t : plain->tokens)
      if (tok.token_type(t) == engine::TokenType::kControl) control = t;
  }
  ASSERT_GE(control, 0) << "no seed made the model write a control token";
  const std::string text(tok.TokenText(control));
  const size_t n = size_t(std::count(plain->tokens.begin(), plain->tokens.end(), control));
  EXPECT_EQ(plain->text.find(text), std::string::npos);
  o.keep_special = {control};
  std::string streamed;
  auto kept = Generate(*ctx_, prompt, o, [&](std::string_view p) {
    streamed += p;
    return true;
  });
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->tokens, plain->tokens);
  EXPECT_EQ(kept->text.size(), plain->text.size() + n * text.size());
  EXPECT_NE(kept->text.find(text), std::string::npos);
  EXPECT_EQ(streamed, kept->text);
}

TEST_F(GeneratorTest, LogprobsMatchGoldenAndStreamWithTheirPieces) {
  GenerateOptions o = Greedy(16);
  o.top_logprobs = 2;
  std::string streamed;
  std::vector<engine::SampledToken> streamed_tokens;
  auto r = Generate(*ctx_, "Once upon a time", o,
                    [&](std::string_view piece, std::span<const engine::SampledToken> tokens) {
                      streamed.append(piece);
                      streamed_tokens.insert(streamed_tokens.end(), tokens.begin(), tokens.end());
                      return true;
                    });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, GoldenText(16));
  EXPECT_EQ(streamed, r->text);
  ASSERT_EQ(r->logprobs.size(), r->tokens.size());
  ASSERT_EQ(streamed_tokens.size(), r->logprobs.size());
  const json& g = golden_["prompts"][0]["greedy"];
  for (size_t i = 0; i < r->logprobs.size(); ++i) {
    const auto& lp = r->logprobs[i];
    EXPECT_EQ(lp.id, r->tokens[i]);
    EXPECT_EQ(streamed_tokens[i].id, lp.id);
    // Greedy (temperature 1 for the report): the chosen token is the top one, and its
    // log-probability is the golden top-1 logit minus the golden log-sum-exp (6 digits each).
    ASSERT_EQ(lp.top.size(), 2u);
    EXPECT_EQ(lp.top[0].id, lp.id);
    EXPECT_EQ(lp.top[0].logprob, lp.logprob);
    EXPECT_EQ(lp.top[1].id, g["second_ids"][i].get<int>()) << i;
    EXPECT_NEAR(lp.logprob, g["top1_logit"][i].get<double>() - g["logsumexp"][i].get<double>(), 2e-3) << i;
    EXPECT_LE(lp.top[1].logprob, lp.top[0].logprob);
  }
  // Without top_logprobs nothing is reported.
  auto plain = Generate(*ctx_, "Once upon a time", Greedy(4));
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->logprobs.empty());
}

TEST_F(GeneratorTest, LogprobsExcludeTheEndOfGenerationToken) {
  // tinyllama-v0's greedy story ends with EOS after about a hundred tokens.
  auto m = engine::Model::Load(SharedPath("models/real/tinyllama-v0-f32.gguf"), kernels_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto ctx = engine::Context::Create(*m, kernels_, pool_, {.n_ctx = 512});
  ASSERT_TRUE(ctx.ok());
  GenerateOptions o = Greedy(400);
  o.stop_at_eog = true;
  o.top_logprobs = 0;
  auto r = Generate(**ctx, "Once upon a time", o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->finish, FinishReason::kStop);
  EXPECT_EQ(r->logprobs.size() + 1, r->tokens.size());
  for (const auto& lp : r->logprobs) EXPECT_TRUE(lp.top.empty());
}

std::shared_ptr<const grammar::Grammar> MakeGrammar(std::string_view gbnf) {
  auto g = grammar::ParseGrammar(gbnf);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::make_shared<const grammar::Grammar>(std::move(g).value());
}

bool GrammarAccepts(const std::shared_ptr<const grammar::Grammar>& g, std::string_view text) {
  grammar::GrammarMatcher m(g);
  auto st = m.Walk(m.start(), text);
  return st != grammar::GrammarMatcher::kDead && m.IsAccepting(st);
}

TEST_F(GeneratorTest, GrammarShapesTheOutputAndStopsWhenComplete) {
  auto o = Greedy(64);
  o.grammar = MakeGrammar(R"(root ::= " The " [a-z]+ " " [a-z]+ ".")");
  std::string streamed;
  auto r = Generate(*ctx_, "Once upon a time", o, [&](std::string_view p) {
    streamed.append(p);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(GrammarAccepts(o.grammar, r->text)) << r->text;
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_EQ(streamed, r->text);
  EXPECT_LT(r->tokens.size(), 64u);
}

TEST_F(GeneratorTest, GrammarWithEogStopsEvenWithoutStopAtEog) {
  // "!" may be followed by more, so ending early means choosing EOG; sampled, not greedy.
  auto o = Greedy(16);
  o.sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 3};
  o.grammar = MakeGrammar(R"(root ::= "!"{0,3})");
  auto r = Generate(*ctx_, "Once upon a time", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_TRUE(GrammarAccepts(o.grammar, r->text)) << r->text;
  EXPECT_LE(r->tokens.size(), 4u);
}

TEST_F(GeneratorTest, GrammarOfTheEmptyStringGeneratesNothing) {
  auto o = Greedy(8);
  o.grammar = MakeGrammar(R"(root ::= "")");
  auto r = Generate(*ctx_, "Once upon a time", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_EQ(r->text, "");
  EXPECT_EQ(r->finish, FinishReason::kStop);
}

TEST_F(GeneratorTest, GrammarFinishesWithinATightBudget) {
  // Unbounded letters: only the token budget makes the output close in time.
  for (int max_tokens : {2, 3, 6}) {
    auto o = Greedy(max_tokens);
    o.grammar = MakeGrammar(R"(root ::= "[" [a-z]* "]")");
    auto r = Generate(*ctx_, "Once upon a time", o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(GrammarAccepts(o.grammar, r->text)) << max_tokens << ": " << r->text;
    EXPECT_LE(r->tokens.size(), size_t(max_tokens));
  }
}

TEST_F(GeneratorTest, GrammarVocabularyOfAnotherModelIsRejected) {
  auto file = engine::GgufFile::Open(SharedPath("tokenizer/ggml-vocab-qwen2.gguf"));
  ASSERT_TRUE(file.ok());
  auto tok = engine::Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok());
  auto o = Greedy(4);
  o.grammar = MakeGrammar(R"(root ::= "x")");
  o.grammar_vocabulary = grammar::TokenVocabulary::Build(**tok).value();
  EXPECT_EQ(Generate(*ctx_, "hi", o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foundry::runtime
