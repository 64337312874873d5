#include "foundry/engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <cmath>
#include <map>

namespace foundry::engine {
namespace {

std::vector<float> Logits() { return {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f}; }

TEST(Sampler, GreedyPicksArgmaxLowestIdOnTies) {
  Sampler s({.temperature = 0.0f});
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(Sampler, SameSeedSameTokens) {
  SamplerParams p{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 42};
  Sampler a(p), b(p);
  std::vector<TokenId> xa, xb;
  for (int i = 0; i < 200; ++i) {
    xa.push_back(a.Sample(Logits()));
    xb.push_back(b.Sample(Logits()));
  }
  EXPECT_EQ(xa, xb);
  p.seed = 43;
  Sampler c(p);
  std::vector<TokenId> xc;
  for (int i = 0; i < 200; ++i) xc.push_back(c.Sample(Logits()));
  EXPECT_NE(xa, xc);
}

TEST(Sampler, TemperatureOneFollowsSoftmax) {
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 7});
  auto lg = Logits();
  std::map<TokenId, int> counts;
  const int n = 40000;
  for (int i = 0; i < n; ++i) counts[s.Sample(lg)]++;
  double z = 0;
  for (float l : lg) z += std::exp(l);
  for (size_t i = 0; i < lg.size(); ++i) {
    double p = std::exp(lg[i]) / z;
    double se = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(double(counts[TokenId(i)]) / n, p, 5 * se + 1e-4) << "token " << i;
  }
}

// The uncut draw over a vocabulary-sized vector (its own vectorised exp): masked tokens (-inf)
// and tokens far below the best are never drawn, and the frequencies follow the softmax.
TEST(Sampler, UncutDrawOverALargeVocabularyFollowsSoftmaxAndSkipsMaskedTokens) {
  std::vector<float> lg(5003, -INFINITY);  // odd size: a tail after the blocks of 8
  const std::vector<std::pair<size_t, float>> live = {
      {3, 2.0f}, {17, 0.0f}, {4096, 1.0f}, {5000, 2.5f}, {5002, -1.5f}, {777, -200.0f}};
  for (auto [i, l] : live) lg[i] = l;
  for (float t : {1.0f, 0.7f}) {
    Sampler s({.temperature = t, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 11});
    std::map<TokenId, int> counts;
    const int n = 20000;
    for (int k = 0; k < n; ++k) counts[s.Sample(lg)]++;
    double z = 0;
    for (auto [i, l] : live) z += std::exp(double(l) / t);
    int drawn = 0;
    for (auto [i, l] : live) {
      const double p = std::exp(double(l) / t) / z;
      const double se = std::sqrt(p * (1 - p) / n);
      EXPECT_NEAR(double(counts[TokenId(i)]) / n, p, 5 * se + 1e-4) << "token " << i << " T " << t;
      drawn += counts[TokenId(i)];
    }
    EXPECT_EQ(drawn, n) << "a masked token was drawn";
    EXPECT_EQ(counts[777], 0);  // exp(-200) underflows: never drawn
  }
}

TEST(Sampler, TopKKeepsOnlyTheBest) {
  Sampler s({.temperature = 5.0f, .top_k = 2, .top_p = 1.0f, .min_p = 0.0f, .seed = 1});
  for (int i = 0; i < 500; ++i) {
    TokenId t = s.Sample(Logits());
    ASSERT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(Sampler, TopPAndMinPCut) {
  // p ≈ [0.04, 0.33, 0.12, 0.33, 0.006, 0.02]: top_p 0.6 keeps ids 1 and 3.
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 0.6f, .min_p = 0.0f, .seed = 3});
  for (int i = 0; i < 500; ++i) {
    TokenId t = s.Sample(Logits());
    ASSERT_TRUE(t == 1 || t == 3) << t;
  }
  // min_p 0.3: keep p >= 0.3·p_max -> ids 1, 3, 2 (0.12/0.33 = 0.37).
  Sampler m({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.3f, .seed = 3});
  std::map<TokenId, int> seen;
  for (int i = 0; i < 2000; ++i) seen[m.Sample(Logits())]++;
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_GT(seen[2], 0);
}

// A flat distribution over a big vocabulary: top_p's head holds thousands of tokens, more than
// the first prefix the sampler sorts, so it must grow the sorted head to find the cut.
TEST(Sampler, TopPOverALargeVocabularyKeepsExactlyTheSmallestHeadHoldingTheMass) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<float> lg(8192);
  for (float& l : lg) l = normal(rng);
  std::vector<TokenId> order(lg.size());
  for (size_t i = 0; i < lg.size(); ++i) order[i] = TokenId(i);
  std::sort(order.begin(), order.end(), [&](TokenId a, TokenId b) { return lg[size_t(a)] > lg[size_t(b)] || (lg[size_t(a)] == lg[size_t(b)] && a < b); });
  const float max = lg[size_t(order[0])];
  double z = 0;
  for (float l : lg) z += std::exp(l - max);
  std::vector<int> rank(lg.size());
  size_t keep = 0;
  double cum = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    rank[size_t(order[i])] = int(i);
    if (keep == 0) {
      cum += float(std::exp(lg[size_t(order[i])] - max) / z);
      if (cum >= 0.5) keep = i + 1;
    }
  }
  ASSERT_GT(keep, 512u);  // beyond the first two sorted prefixes
  Sampler s({.temperature = 1.0f, .top_k = 0, .top_p = 0.5f, .min_p = 0.0f, .seed = 9});
  int max_rank = 0;
  for (int i = 0; i < 2000; ++i) {
    const TokenId t = s.Sample(lg);
    ASSERT_LT(size_t(rank[size_t(t)]), keep) << t;
    max_rank = std::max(max_rank, rank[size_t(t)]);
  }
  EXPECT_GT(size_t(max_rank), keep * 3 / 4);  // the whole head is drawn from
}

TEST(Sampler, PenaltiesChangeTheGreedyChoice) {
  Sampler s({.temperature = 0.0f, .repeat_penalty = 2.0f});
  s.Accept(1);
  s.Accept(3);
  EXPECT_EQ(s.Sample(Logits()), 2);  // 3.0 / 2 = 1.5 < 2.0

  Sampler f({.temperature = 0.0f, .frequency_penalty = 0.6f});
  f.Accept(1);
  f.Accept(1);  // 3.0 - 1.2 = 1.8
  EXPECT_EQ(f.Sample(Logits()), 3);

  Sampler p({.temperature = 0.0f, .presence_penalty = 2.5f});
  p.Accept(1);
  p.Accept(3);
  EXPECT_EQ(p.Sample(Logits()), 2);

  // Window: only the last token counts.
  Sampler w({.temperature = 0.0f, .repeat_penalty = 10.0f, .penalty_last_n = 1});
  w.Accept(1);
  w.Accept(4);
  EXPECT_EQ(w.Sample(Logits()), 1);
}

TEST(SamplerParams, Validation) {
  EXPECT_TRUE(SamplerParams{}.Validate().ok());
  EXPECT_FALSE(SamplerParams{.top_p = 0.0f}.Validate().ok());
  EXPECT_FALSE(SamplerParams{.min_p = 1.5f}.Validate().ok());
  EXPECT_FALSE(SamplerParams{.repeat_penalty = 0.0f}.Validate().ok());
  EXPECT_FALSE(SamplerParams{.temperature = NAN}.Validate().ok());
}

// log-softmax of logits / t in double: the reference for the reported log-probabilities.
std::vector<double> LogSoftmax(const std::vector<float>& logits, double t) {
  double max = -INFINITY, sum = 0;
  for (float l : logits) max = std::max(max, double(l) / t);
  for (float l : logits) sum += std::exp(double(l) / t - max);
  std::vector<double> out;
  for (float l : logits) out.push_back(double(l) / t - max - std::log(sum));
  return out;
}

TEST(SamplerLogprobs, ReportsTheTemperatureScaledLogSoftmaxAndTheTopTokens) {
  for (float t : {0.0f, 0.5f, 1.0f, 1.7f}) {
    SCOPED_TRACE(t);
    // Top-k / top-p / min-p cut the draw, not the reported distribution.
    Sampler s({.temperature = t, .top_k = 2, .top_p = 0.9f, .min_p = 0.05f, .seed = 3});
    SampledToken out;
    const TokenId id = s.Sample(Logits(), 4, &out);
    const auto want = LogSoftmax(Logits(), t > 0 ? t : 1.0);
    EXPECT_EQ(out.id, id);
    EXPECT_NEAR(out.logprob, want[size_t(id)], 1e-6);
    // Most likely first; the tie between ids 1 and 3 goes to the lower id.
    ASSERT_EQ(out.top.size(), 4u);
    const std::vector<TokenId> order = {1, 3, 2, 0};
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(out.top[i].id, order[i]);
      EXPECT_NEAR(out.top[i].logprob, want[size_t(order[i])], 1e-6);
    }
  }
  Sampler greedy({.temperature = 0.0f});
  SampledToken g;
  EXPECT_EQ(greedy.Sample(Logits(), 0, &g), 1);
  EXPECT_TRUE(g.top.empty());
  Sampler all({.temperature = 1.0f});
  EXPECT_EQ((all.Sample(Logits(), 100, &g), g.top.size()), Logits().size());  // capped at the vocabulary
}

TEST(SamplerLogprobs, DrawsTheSameTokensAsPlainSampling) {
  SamplerParams p{.temperature = 0.9f, .top_k = 4, .top_p = 0.95f, .min_p = 0.0f, .repeat_penalty = 1.3f, .seed = 11};
  Sampler a(p), b(p);
  for (int i = 0; i < 200; ++i) {
    SampledToken out;
    const TokenId x = a.Sample(Logits());
    const TokenId y = b.Sample(Logits(), 2, &out);
    ASSERT_EQ(x, y) << "draw " << i;
    a.Accept(x);
    b.Accept(y);
  }
}

TEST(SamplerLogprobs, PenaltiesShapeTheReportedDistribution) {
  Sampler s({.temperature = 1.0f, .presence_penalty = 1.0f, .seed = 1});
  s.Accept(1);  // token 1 loses 1.0: logits become {1, 2, 2, 3, -1, 0.5}
  SampledToken out;
  s.Sample(Logits(), 1, &out);
  std::vector<float> penalized = Logits();
  penalized[1] -= 1.0f;
  ASSERT_EQ(out.top.size(), 1u);
  EXPECT_EQ(out.top[0].id, 3);
  EXPECT_NEAR(out.top[0].logprob, LogSoftmax(penalized, 1.0)[3], 1e-6);
}

}  // namespace
}  // namespace foundry::engine
