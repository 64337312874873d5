#include "foundry/runtime/model_manager.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

using foundry::testing::SharedPath;
using namespace std::chrono_literals;

class ModelManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    files_ = {{"stories", SharedPath("models/real/stories260K.gguf")},
              {"llama", SharedPath("models/synthetic/arch-llama.gguf")},
              {"qwen", SharedPath("models/synthetic/arch-qwen2.gguf")},
              {"broken", SharedPath("models/real/tinyllamas-stories-260k-q8_0.gguf")}};
  }
  std::unique_ptr<ModelManager> Make(ModelManagerOptions o) {
    o.clock = [this] { return now_; };
    o.n_ctx = 64;
    return std::make_unique<ModelManager>(
        kernels_, pool_,
        [this](const std::string& id) -> Result<std::filesystem::path> {
          auto it = files_.find(id);
          if (it == files_.end()) return Status::NotFound("No model found for " + id);
          return it->second;
        },
        o);
  }
  engine::kernels::KernelTable kernels_;
  ThreadPool pool_{1};
  std::map<std::string, std::filesystem::path> files_;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(ModelManagerTest, LoadsOnDemandAndReusesTheLoadedModel) {
  auto mm = Make({});
  auto a = mm->Acquire("stories");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = mm->Acquire("stories");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_TRUE(mm->IsLoaded("stories"));
  ASSERT_EQ(mm->List().size(), 1u);
  EXPECT_GT(mm->List()[0].bytes, 0u);
}

TEST_F(ModelManagerTest, UnknownAndBrokenModelsAreClearErrors) {
  auto mm = Make({});
  EXPECT_EQ(mm->Acquire("nope").status().code(), StatusCode::kNotFound);
  auto r = mm->Acquire("broken");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(mm->List().empty());
}

TEST_F(ModelManagerTest, TtlExpiresIdleModelsAndUseRenewsIt) {
  auto mm = Make({.default_ttl = 600s});
  ASSERT_TRUE(mm->Acquire("stories").ok());
  ASSERT_TRUE(mm->Acquire("llama", 30s).ok());
  now_ += 20s;
  ASSERT_TRUE(mm->Acquire("llama").ok());  // renews: expires at 50 s
  now_ += 20s;                             // t = 40 s
  EXPECT_EQ(mm->Sweep(), 0u);
  now_ += 15s;                             // t = 55 s
  EXPECT_EQ(mm->Sweep(), 1u);
  EXPECT_FALSE(mm->IsLoaded("llama"));
  EXPECT_TRUE(mm->IsLoaded("stories"));
  now_ += 600s;
  EXPECT_EQ(mm->Sweep(), 1u);
  EXPECT_TRUE(mm->List().empty());
}

TEST_F(ModelManagerTest, ModelsInUseSurviveSweepAndUnloadWithoutForce) {
  auto mm = Make({.default_ttl = 1s});
  auto held = mm->Acquire("stories");
  ASSERT_TRUE(held.ok());
  now_ += 10s;
  EXPECT_EQ(mm->Sweep(), 0u);
  EXPECT_EQ(mm->Unload("stories", false).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(mm->Unload("stories", true).ok());
  EXPECT_FALSE(mm->IsLoaded("stories"));
  // The holder can still finish its request.
  GenerateOptions o;
  o.max_tokens = 4;
  o.sampling.temperature = 0;
  auto r = Generate(*(*held)->scheduler, "Once upon a time", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->tokens.empty());
  EXPECT_EQ(mm->Unload("stories", true).code(), StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, LeastRecentlyUsedIsEvictedBeyondMaxLoaded) {
  auto mm = Make({.max_loaded = 2});
  ASSERT_TRUE(mm->Acquire("stories").ok());
  now_ += 1s;
  ASSERT_TRUE(mm->Acquire("llama").ok());
  now_ += 1s;
  ASSERT_TRUE(mm->Acquire("stories").ok());  // llama is now the LRU
  now_ += 1s;
  ASSERT_TRUE(mm->Acquire("qwen").ok());
  EXPECT_TRUE(mm->IsLoaded("stories"));
  EXPECT_FALSE(mm->IsLoaded("llama"));
  EXPECT_TRUE(mm->IsLoaded("qwen"));
  mm->UnloadAll();
  EXPECT_TRUE(mm->List().empty());
}

TEST_F(ModelManagerTest, MemoryBudgetEvictsOrRefuses) {
  auto probe = Make({});
  auto s = probe->Acquire("stories");
  auto l = probe->Acquire("llama");
  ASSERT_TRUE(s.ok() && l.ok());
  const uint64_t both = (*s)->bytes + (*l)->bytes;
  s = Status::Cancelled("release");
  l = Status::Cancelled("release");

  auto mm = Make({.memory_budget_bytes = both - 1});
  ASSERT_TRUE(mm->Acquire("stories").ok());
  ASSERT_TRUE(mm->Acquire("llama").ok());  // evicts stories to fit
  EXPECT_FALSE(mm->IsLoaded("stories"));

  auto tiny = Make({.memory_budget_bytes = 1024});
  auto r = tiny->Acquire("llama");
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("memory budget"), std::string::npos) << r.status().message();
}

TEST_F(ModelManagerTest, StatsCountQueuedAndRunningRequestsAndKvBlocks) {
  ModelManagerOptions opts;
  opts.max_running = 1;
  opts.scheduler.max_buffered_pieces = 1;  // a request nobody reads from holds its slot
  auto mm = Make(opts);
  EXPECT_EQ(mm->Stats().loaded_models, 0u);
  auto m = mm->Acquire("stories");
  ASSERT_TRUE(m.ok());
  ServingStats s = mm->Stats();
  EXPECT_EQ(s.loaded_models, 1u);
  EXPECT_EQ(s.loaded_bytes, mm->List()[0].bytes);
  EXPECT_EQ(mm->List()[0].n_ctx, 64u);
  EXPECT_EQ(s.kv_blocks_total, 8u);  // default budget: two contexts of 64 positions
  EXPECT_EQ(s.kv_blocks_free, 8u);
  EXPECT_EQ(s.kv_blocks_used, 0u);
  EXPECT_EQ(s.running, 0u);
  EXPECT_EQ(s.loading, 0u);
  GenerateOptions o;
  o.max_tokens = 40;
  o.stop_at_eog = false;
  auto first = (*m)->scheduler->Submit("Once upon a time", o);
  ASSERT_TRUE(first.ok());
  auto second = (*m)->scheduler->Submit("Once upon a time", o);
  ASSERT_TRUE(second.ok());
  // The first runs until its unread piece stops it; the second waits for the only slot.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto waiting = [&] {
    s = mm->Stats();
    return s.running == 1 && s.queued == 1 && s.kv_blocks_used > 0;
  };
  while (!waiting() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(s.running, 1u);
  EXPECT_EQ(s.queued, 1u);
  EXPECT_EQ(s.kv_blocks_used, 1u);
  EXPECT_EQ(s.kv_blocks_free, 7u);
  (*first)->Cancel();
  auto r1 = (*first)->Wait();
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->finish, FinishReason::kCancelled);
  auto r2 = (*second)->Wait();  // reading the rest lets it finish
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->tokens.size(), 40u);
  while (mm->Stats().running != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  s = mm->Stats();
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.running, 0u);
  EXPECT_EQ(s.kv_blocks_used, 0u);
  EXPECT_EQ(s.kv_blocks_free + s.kv_blocks_cached, 8u);
}

}  // namespace
}  // namespace foundry::runtime
