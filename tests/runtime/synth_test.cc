#include "foundry/runtime/synth.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>

#include "foundry/engine/context.h"
#include "foundry/engine/model.h"
#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

using foundry::testing::SharedPath;

std::filesystem::path TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("foundry_synth_" + std::to_string(::getpid()) + "_" + name);
}

struct Case {
  std::string shape, type, vocab;
};

class SynthTest : public ::testing::TestWithParam<Case> {};

TEST_P(SynthTest, WritesALoadableModelThatRuns) {
  const Case& c = GetParam();
  SynthOptions o{.shape = c.shape, .type = c.type, .vocab = SharedPath(c.vocab),
                 .output = TempPath(c.shape + "_" + c.type + ".gguf"), .n_layer_override = 2};
  auto rep = WriteSynthModel(o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  auto model = engine::Model::Load(o.output, kernels);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->hparams().n_layer, 2u);
  ThreadPool pool(2);
  auto ctx = engine::Context::Create(*model, kernels, pool, {.n_ctx = 16});
  ASSERT_TRUE(ctx.ok());
  std::vector<engine::BatchToken> batch = {{1, 0, 0, false}, {2, 1, 0, true}};
  std::vector<float> logits;
  ASSERT_TRUE((*ctx)->Decode(batch, &logits).ok());
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
  std::filesystem::remove(o.output);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SynthTest,
    ::testing::Values(Case{"qwen2.5-0.5b", "q4_0", "tokenizer/ggml-vocab-qwen2.gguf"},
                      Case{"qwen2.5-0.5b", "q4_k_m", "tokenizer/ggml-vocab-qwen2.gguf"},
                      Case{"llama-3.2-1b", "q8_0", "tokenizer/ggml-vocab-llama-bpe.gguf"},
                      Case{"phi-4-mini", "iq4_xs", "tokenizer/ggml-vocab-phi-3.gguf"},
                      Case{"qwen3-0.6b", "q6_k", "tokenizer/ggml-vocab-qwen2.gguf"},
                      Case{"gemma3-1b", "bf16", "tokenizer/ggml-vocab-llama-spm.gguf"}),
    [](const auto& info) {
      std::string n = info.param.shape + "_" + info.param.type;
      for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(Synth, FollowsTheQuantizationRecipe) {
  // qwen2.5-0.5b rows of 896 are not whole 256-blocks: Q4_K falls back to Q5_0 and Q6_K to Q8_0,
  // as llama-quantize does; ffn_down (rows of 4864) keeps K-quants.
  SynthOptions o{.shape = "qwen2.5-0.5b", .type = "q4_k_m", .vocab = SharedPath("tokenizer/ggml-vocab-qwen2.gguf"),
                 .output = TempPath("recipe.gguf"), .n_layer_override = 0};
  o.n_layer_override = 8;
  auto rep = WriteSynthModel(o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  auto f = engine::GgufFile::Open(o.output);
  ASSERT_TRUE(f.ok());
  auto type = [&](const std::string& n) { return engine::TensorTypeName(f->FindTensor(n)->type); };
  EXPECT_EQ(type("token_embd.weight"), "Q8_0");
  EXPECT_EQ(type("blk.0.attn_q.weight"), "Q5_0");
  EXPECT_EQ(type("blk.0.attn_v.weight"), "Q8_0");   // use-more-bits layer: Q6_K -> Q8_0
  EXPECT_EQ(type("blk.1.attn_v.weight"), "Q5_0");
  EXPECT_EQ(type("blk.0.ffn_down.weight"), "Q6_K");
  EXPECT_EQ(type("blk.1.ffn_down.weight"), "Q4_K");
  EXPECT_EQ(f->FindTensor("token_embd.weight")->ne[1], 151936);
  EXPECT_EQ(*f->GetString("tokenizer.ggml.pre"), "qwen2");
  std::filesystem::remove(o.output);
}

TEST(Synth, RejectsUnknownNames) {
  SynthOptions o{.shape = "gpt-5", .type = "q4_0", .vocab = SharedPath("tokenizer/ggml-vocab-qwen2.gguf"),
                 .output = TempPath("x.gguf")};
  EXPECT_EQ(WriteSynthModel(o).status().code(), StatusCode::kInvalidArgument);
  o.shape = "qwen2.5-0.5b";
  o.type = "q9_9";
  EXPECT_EQ(WriteSynthModel(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

}  // namespace
}  // namespace foundry::runtime
