#include "foundry/engine/context.h"

#include <gtest/gtest.h>

#include "support/shared_data.h"

namespace foundry::engine {
namespace {

using foundry::testing::SharedPath;

class ContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernels_ = kernels::SelectKernels(kernels::DetectCpu());
    auto m = Model::Load(SharedPath("models/synthetic/arch-qwen2.gguf"), kernels_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = *m;
  }
  std::unique_ptr<Context> Make(uint32_t n_seq, uint32_t n_ctx = 64) {
    auto c = Context::Create(model_, kernels_, pool_, {.n_ctx = n_ctx, .n_seq = n_seq});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }
  kernels::KernelTable kernels_;
  ThreadPool pool_{2};
  std::shared_ptr<const Model> model_;
};

TEST_F(ContextTest, InterleavedSequencesMatchSeparateRuns) {
  const std::vector<TokenId> a = {1, 50, 60, 70, 80}, b = {1, 300, 301};
  const size_t nv = model_->hparams().n_vocab;
  // Alone.
  std::vector<float> la, lb;
  {
    auto ctx = Make(1);
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < a.size(); ++i) batch.push_back({a[i], int32_t(i), 0, true});
    ASSERT_TRUE(ctx->Decode(batch, &la).ok());
  }
  {
    auto ctx = Make(1);
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < b.size(); ++i) batch.push_back({b[i], int32_t(i), 0, true});
    ASSERT_TRUE(ctx->Decode(batch, &lb).ok());
  }
  // Together in one batch, interleaved, then continued one token at a time.
  auto ctx = Make(2);
  std::vector<BatchToken> batch = {{a[0], 0, 0, true}, {b[0], 0, 1, true}, {a[1], 1, 0, true},
                                   {b[1], 1, 1, true}, {a[2], 2, 0, true}, {b[2], 2, 1, true}};
  std::vector<float> lab;
  ASSERT_TRUE(ctx->Decode(batch, &lab).ok());
  std::vector<float> l3, l4;
  BatchToken t3{a[3], 3, 0, true}, t4{a[4], 4, 0, true};
  ASSERT_TRUE(ctx->Decode(std::span(&t3, 1), &l3).ok());
  ASSERT_TRUE(ctx->Decode(std::span(&t4, 1), &l4).ok());

  auto near = [&](const float* x, const float* y) {
    for (size_t j = 0; j < nv; ++j) ASSERT_NEAR(x[j], y[j], 1e-4f) << j;
  };
  for (int i = 0; i < 3; ++i) {
    near(&lab[size_t(2 * i) * nv], &la[size_t(i) * nv]);
    near(&lab[size_t(2 * i + 1) * nv], &lb[size_t(i) * nv]);
  }
  near(l3.data(), &la[3 * nv]);
  near(l4.data(), &la[4 * nv]);
  EXPECT_EQ(ctx->kv_cache().seq_len(0), 5u);
  EXPECT_EQ(ctx->kv_cache().seq_len(1), 3u);
}

TEST_F(ContextTest, OnlyRequestedLogitsAreReturned) {
  auto ctx = Make(1);
  std::vector<BatchToken> batch = {{1, 0, 0, false}, {5, 1, 0, false}, {7, 2, 0, true}};
  std::vector<float> logits;
  ASSERT_TRUE(ctx->Decode(batch, &logits).ok());
  EXPECT_EQ(logits.size(), size_t(model_->hparams().n_vocab));
}

TEST_F(ContextTest, InvalidBatchesAreRejectedWithoutSideEffects) {
  auto ctx = Make(2, 8);
  std::vector<float> logits;
  BatchToken bad_token{TokenId(model_->hparams().n_vocab), 0, 0, true};
  EXPECT_EQ(ctx->Decode(std::span(&bad_token, 1), &logits).code(), StatusCode::kInvalidArgument);
  BatchToken bad_seq{1, 0, 2, true};
  EXPECT_EQ(ctx->Decode(std::span(&bad_seq, 1), &logits).code(), StatusCode::kInvalidArgument);
  BatchToken gap{1, 3, 0, true};
  Status st = ctx->Decode(std::span(&gap, 1), &logits);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("expected 0"), std::string::npos) << st.message();
  EXPECT_EQ(ctx->kv_cache().seq_len(0), 0u);

  std::vector<BatchToken> too_long;
  for (int i = 0; i < 10; ++i) too_long.push_back({1, i, 0, false});
  st = ctx->Decode(too_long, &logits);
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("by 1"), std::string::npos) << st.message();
  EXPECT_EQ(ctx->kv_cache().seq_len(0), 0u);
  EXPECT_TRUE(logits.empty());
}

TEST_F(ContextTest, UbatchSplittingGivesTheSameLogits) {
  std::vector<BatchToken> batch;
  for (int i = 0; i < 20; ++i) batch.push_back({TokenId(1 + i * 7), i, 0, true});
  std::vector<float> whole, split;
  ASSERT_TRUE(Make(1)->Decode(batch, &whole).ok());
  auto c = Context::Create(model_, kernels_, pool_, {.n_ctx = 64, .n_seq = 1, .n_ubatch = 3});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Decode(batch, &split).ok());
  ASSERT_EQ(whole.size(), split.size());
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(whole[i], split[i], 1e-4f) << i;
}

// Three sequences crossing block boundaries, fed interleaved (prompt chunks and single tokens
// mixed in one batch) through a pool just big enough for them, so their blocks interleave in
// the pool: each sequence's logits match a run of it alone.
TEST_F(ContextTest, PagedSequencesInterleavedInBatchesMatchRunsAlone) {
  const size_t nv = model_->hparams().n_vocab;
  const std::vector<int> lens = {37, 20, 50};
  auto token = [](size_t s, int i) { return TokenId(1 + (int(s) * 97 + i * 13) % 500); };
  std::vector<std::vector<float>> alone(lens.size());
  for (size_t s = 0; s < lens.size(); ++s) {
    std::vector<BatchToken> batch;
    for (int i = 0; i < lens[s]; ++i) batch.push_back({token(s, i), i, 0, true});
    ASSERT_TRUE(Make(1)->Decode(batch, &alone[s]).ok());
  }
  auto c = Context::Create(model_, kernels_, pool_, {.n_ctx = 64, .n_seq = 3, .n_kv_blocks = 3 + 2 + 4});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Context& ctx = **c;
  std::vector<int> next(lens.size(), 0);
  int round = 0;
  while (next[0] < lens[0] || next[1] < lens[1] || next[2] < lens[2]) {
    std::vector<BatchToken> batch;
    std::vector<std::pair<size_t, int>> who;
    // Round-robin, taking 1..5 tokens of each sequence per batch, entries of one sequence
    // consecutive within its run but the runs of different sequences alternating.
    for (int step = 0; step < 5; ++step)
      for (size_t s = 0; s < lens.size(); ++s) {
        const int take = 1 + (round + int(s) + step) % 3;
        for (int t = 0; t < take && next[s] < lens[s]; ++t, ++next[s]) {
          batch.push_back({token(s, next[s]), next[s], uint32_t(s), true});
          who.push_back({s, next[s]});
        }
      }
    ++round;
    std::vector<float> logits;
    ASSERT_TRUE(ctx.Decode(batch, &logits).ok());
    for (size_t i = 0; i < who.size(); ++i) {
      const float* want = &alone[who[i].first][size_t(who[i].second) * nv];
      for (size_t j = 0; j < nv; ++j)
        ASSERT_NEAR(logits[i * nv + j], want[j], 1e-4f) << "seq " << who[i].first << " pos " << who[i].second;
    }
  }
  EXPECT_EQ(ctx.kv_cache().n_free_blocks(), 0u);
  EXPECT_EQ(ctx.kv_cache().seq_len(2), 50u);
}

TEST_F(ContextTest, ExhaustedBlockPoolIsACleanErrorAndFreedBlocksAreReused) {
  auto c = Context::Create(model_, kernels_, pool_, {.n_ctx = 64, .n_seq = 2, .n_kv_blocks = 2});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Context& ctx = **c;
  std::vector<BatchToken> a;
  for (int i = 0; i < 20; ++i) a.push_back({TokenId(1 + i), i, 0, i == 19});
  std::vector<float> la;
  ASSERT_TRUE(ctx.Decode(a, &la).ok());
  EXPECT_EQ(ctx.kv_cache().n_used_blocks(), 2u);

  // Sequence 1 cannot get a block: the whole batch is refused, nothing changes.
  std::vector<BatchToken> mixed = {{TokenId(30), 20, 0, true}, {TokenId(5), 0, 1, true}};
  std::vector<float> logits;
  Status st = ctx.Decode(mixed, &logits);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("KV cache is full"), std::string::npos) << st.message();
  EXPECT_TRUE(logits.empty());
  EXPECT_EQ(ctx.kv_cache().seq_len(0), 20u);
  EXPECT_EQ(ctx.kv_cache().seq_len(1), 0u);
  EXPECT_EQ(ctx.kv_cache().n_used_blocks(), 2u);

  // Truncating sequence 0 into its first block frees the second; sequence 1 reuses it.
  ctx.kv_cache().Truncate(0, 10);
  EXPECT_EQ(ctx.kv_cache().n_free_blocks(), 1u);
  std::vector<BatchToken> b;
  for (int i = 0; i < 16; ++i) b.push_back({TokenId(1 + i), i, 1, i == 15});
  std::vector<float> lb;
  ASSERT_TRUE(ctx.Decode(b, &lb).ok());
  EXPECT_EQ(ctx.kv_cache().n_free_blocks(), 0u);
  // Same tokens as sequence 0's first 16: same logits at position 15 as a fresh run.
  std::vector<BatchToken> b0 = b;
  for (BatchToken& t : b0) t.seq = 0;
  std::vector<float> ref;
  ASSERT_TRUE(Make(1)->Decode(b0, &ref).ok());
  for (size_t j = 0; j < ref.size(); ++j) ASSERT_NEAR(lb[j], ref[j], 1e-4f) << j;
  // Sequence 0 continues inside its kept block; clearing both returns every block.
  BatchToken next{TokenId(7), 10, 0, true};
  ASSERT_TRUE(ctx.Decode(std::span(&next, 1), &logits).ok());
  ctx.kv_cache().Free(0);
  ctx.kv_cache().Free(1);
  EXPECT_EQ(ctx.kv_cache().n_free_blocks(), 2u);
}

TEST_F(ContextTest, KvBudgetSizesThePool) {
  const uint64_t block = KvCache::BlockBytes(model_->hparams());
  auto c = Context::Create(model_, kernels_, pool_, {.n_ctx = 4096, .n_seq = 8, .kv_budget_bytes = 5 * block + 7});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->kv_cache().n_blocks(), 5u);
  EXPECT_EQ((*c)->kv_cache().bytes(), 5 * block);
  auto tiny = Context::Create(model_, kernels_, pool_, {.n_ctx = 64, .n_seq = 1, .kv_budget_bytes = block - 1});
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.status().code(), StatusCode::kInvalidArgument);
  // Default: every sequence can fill its context.
  EXPECT_EQ(Make(3, 40)->kv_cache().n_blocks(), 3u * 3u);
}

// A sequence that starts from another's shared prompt blocks continues exactly as the source
// would, and writing after a cut inside a shared block leaves the source intact.
TEST_F(ContextTest, SharedPrefixBlocksGiveTheSameLogits) {
  const size_t nv = model_->hparams().n_vocab;
  std::vector<BatchToken> prompt;
  for (int i = 0; i < 40; ++i) prompt.push_back({TokenId(3 + i * 11), i, 0, true});
  std::vector<float> ref;
  ASSERT_TRUE(Make(1)->Decode(prompt, &ref).ok());

  auto ctx = Make(2);
  std::vector<float> l0;
  ASSERT_TRUE(ctx->Decode(std::span(prompt.data(), 33), &l0).ok());
  ASSERT_TRUE(ctx->kv_cache().ShareBlocks(0, 1, 32).ok());
  std::vector<BatchToken> rest(prompt.begin() + 32, prompt.end());
  for (BatchToken& b : rest) b.seq = 1;
  std::vector<float> l1;
  ASSERT_TRUE(ctx->Decode(rest, &l1).ok());
  for (size_t i = 0; i < l1.size(); ++i) ASSERT_NEAR(l1[i], ref[32 * nv + i], 1e-4f) << i;

  // Cut sequence 1 inside the shared second block and write different tokens there.
  ctx->kv_cache().Truncate(1, 20);
  std::vector<BatchToken> other;
  for (int i = 20; i < 26; ++i) other.push_back({TokenId(400 + i), i, 1, false});
  std::vector<float> unused;
  ASSERT_TRUE(ctx->Decode(other, &unused).ok());
  // Sequence 0 still sees its own keys.
  std::vector<BatchToken> more(prompt.begin() + 33, prompt.end());
  std::vector<float> l0b;
  ASSERT_TRUE(ctx->Decode(more, &l0b).ok());
  for (size_t i = 0; i < l0b.size(); ++i) ASSERT_NEAR(l0b[i], ref[33 * nv + i], 1e-4f) << i;
}

TEST(ModelLoad, RejectsUnsupportedArchitecturesClearly) {
  auto k = kernels::SelectKernels(kernels::DetectCpu());
  // A vocab-only file: tokenizer present, no tensors, architecture not run by this engine.
  auto m = Model::Load(SharedPath("tokenizer/ggml-vocab-bert-bge.gguf"), k);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(m.status().message().find("architecture 'bert'"), std::string::npos) << m.status().message();
}


// The scheduler batches requests together: a sequence's logits must not depend on which other
// sequences share its batch or on how its prompt was chunked, bit for bit, so that concurrent
// seeded requests give exactly what they give alone.
class BatchInvarianceTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BatchInvarianceTest, LogitsDoNotDependOnBatchComposition) {
  auto kernels = kernels::SelectKernels(kernels::DetectCpu());
  ThreadPool pool(2);
  auto m = Model::Load(SharedPath(GetParam()), kernels);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const size_t nv = (*m)->hparams().n_vocab;
  auto token = [&](size_t s, int i) { return TokenId(1 + (int(s) * 97 + i * 13) % int(std::min<size_t>(nv - 1, 500))); };
  const int n = 40;
  // Alone: prompt of n-1 in one batch, then one token.
  std::vector<float> alone;
  {
    auto c = Context::Create(*m, kernels, pool, {.n_ctx = 64, .n_seq = 1});
    ASSERT_TRUE(c.ok());
    std::vector<BatchToken> batch;
    for (int i = 0; i < n - 1; ++i) batch.push_back({token(0, i), i, 0, i == n - 2});
    std::vector<float> l;
    ASSERT_TRUE((*c)->Decode(batch, &l).ok());
    BatchToken t{token(0, n - 1), n - 1, 0, true};
    ASSERT_TRUE((*c)->Decode(std::span(&t, 1), &alone).ok());
    alone.insert(alone.begin(), l.begin(), l.end());
  }
  // Chunked prompt (7 at a time) next to 3 other sequences, then the last token in a batch of 4.
  auto c = Context::Create(*m, kernels, pool, {.n_ctx = 64, .n_seq = 4});
  ASSERT_TRUE(c.ok());
  Context& ctx = **c;
  std::vector<float> before_last;
  for (int i = 0; i < n - 1; i += 7) {
    std::vector<BatchToken> batch;
    for (uint32_t s = 1; s < 4; ++s) batch.push_back({token(s, i), int32_t(ctx.kv_cache().seq_len(s)), s, true});
    const int e = std::min(i + 7, n - 1);
    for (int j = i; j < e; ++j) batch.push_back({token(0, j), j, 0, j == n - 2});
    std::vector<float> l;
    ASSERT_TRUE(ctx.Decode(batch, &l).ok());
    if (e == n - 1) before_last.assign(l.end() - nv, l.end());
  }
  std::vector<BatchToken> batch;
  for (uint32_t s = 1; s < 3; ++s) batch.push_back({token(s, 99), int32_t(ctx.kv_cache().seq_len(s)), s, false});
  batch.push_back({token(0, n - 1), n - 1, 0, true});
  batch.push_back({token(3, 99), int32_t(ctx.kv_cache().seq_len(3)), 3, true});
  std::vector<float> l;
  ASSERT_TRUE(ctx.Decode(batch, &l).ok());
  for (size_t j = 0; j < nv; ++j) ASSERT_EQ(before_last[j], alone[j]) << "prompt logit " << j;
  for (size_t j = 0; j < nv; ++j) ASSERT_EQ(l[j], alone[nv + j]) << "decode logit " << j;
}

INSTANTIATE_TEST_SUITE_P(Models, BatchInvarianceTest,
                         ::testing::Values("models/real/tinyllama-v0-f32.gguf", "models/real/tinyllama-v0-q4_0.gguf",
                                           "models/real/tinyllama-v0-q8_0.gguf", "models/synthetic/quant-llama-Q4_K_M.gguf",
                                           "models/synthetic/quant-llama-F16.gguf", "models/synthetic/arch-qwen2.gguf"));

}  // namespace
}  // namespace foundry::engine
