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

TEST(ModelLoad, RejectsUnsupportedArchitecturesClearly) {
  auto k = kernels::SelectKernels(kernels::DetectCpu());
  // A vocab-only file: tokenizer present, no tensors, architecture not run by this engine.
  auto m = Model::Load(SharedPath("tokenizer/ggml-vocab-bert-bge.gguf"), k);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(m.status().message().find("architecture 'bert'"), std::string::npos) << m.status().message();
}

}  // namespace
}  // namespace foundry::engine
