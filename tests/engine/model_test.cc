#include "foundry/engine/model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "foundry/engine/context.h"
#include "foundry/engine/gguf/gguf_writer.h"
#include "support/shared_data.h"

namespace foundry::engine {
namespace {

// The shared phi3 test model turned into a LongRoPE one (as phi-3.5-mini / phi-4-mini): a 131072
// training context over an original 4096, and short (all 1) / long (all 4) frequency factors.
std::filesystem::path WriteLongRopeModel() {
  auto src = GgufFile::Open(foundry::testing::SharedPath("models/synthetic/arch-phi3.gguf"));
  EXPECT_TRUE(src.ok()) << src.status().ToString();
  GgufWriter w;
  uint32_t n_rot = 0;
  for (const GgufKv& kv : src->metadata()) {
    if (kv.key == "phi3.context_length" || kv.key == "phi3.rope.scaling.original_context_length")
      continue;
    if (kv.key == "phi3.rope.dimension_count") n_rot = uint32_t(*kv.value.AsUint());
    w.AddValue(kv.key, kv.value);
  }
  if (n_rot == 0) n_rot = 64;  // head dim of this model
  w.AddU32("phi3.context_length", 131072);
  w.AddU32("phi3.rope.scaling.original_context_length", 4096);
  for (const TensorInfo& t : src->tensors()) {
    std::vector<int64_t> shape(t.ne, t.ne + t.n_dims);
    EXPECT_TRUE(w.AddTensor(t.name, t.type, shape, {t.data, t.n_bytes}).ok());
  }
  const std::vector<int64_t> shape = {int64_t(n_rot / 2)};
  for (auto [name, value] : {std::pair{"rope_factors_short.weight", 1.0f},
                             std::pair{"rope_factors_long.weight", 4.0f}}) {
    std::vector<float> f(n_rot / 2, value);
    EXPECT_TRUE(w.AddTensor(name, TensorType::kF32, shape, std::as_bytes(std::span(f))).ok());
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("foundry_longrope_" + std::to_string(getpid()) + ".gguf");
  EXPECT_TRUE(w.WriteFile(path).ok());
  return path;
}

// The factors are chosen for the context the model runs with: with no context size asked for,
// that is the default one (4096 here, not the 131072 training context), so the short factors.
TEST(ModelTest, LongRopeFactorsFollowTheDefaultContext) {
  const auto path = WriteLongRopeModel();
  const auto kernels = kernels::SelectKernels(kernels::DetectCpu());
  struct Case {
    uint32_t n_ctx;
    float factor;
  };
  for (Case c : {Case{0, 1.0f}, Case{4096, 1.0f}, Case{8192, 4.0f}}) {
    SCOPED_TRACE("n_ctx " + std::to_string(c.n_ctx));
    auto m = Model::Load(path, kernels, {.n_ctx = c.n_ctx});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_FALSE((*m)->rope_factors().empty());
    for (float f : (*m)->rope_factors()) ASSERT_EQ(f, c.factor);
    if (c.n_ctx == 0) {
      EXPECT_EQ((*m)->hparams().default_n_ctx(), 4096u);
      ThreadPool pool(1);
      auto ctx = Context::Create(*m, kernels, pool, {});
      ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
      EXPECT_EQ((*ctx)->n_ctx(), 4096u);
    }
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace foundry::engine
