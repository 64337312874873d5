#include "foundry/runtime/scheduler.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

using foundry::testing::SharedPath;
using namespace std::chrono_literals;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    auto m = engine::Model::Load(SharedPath("models/real/tinyllama-v0-q4_0.gguf"), kernels_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = *m;
  }
  std::unique_ptr<engine::Context> MakeContext(uint32_t n_seq, uint32_t n_blocks = 0, uint32_t n_ctx = 256) {
    auto c = engine::Context::Create(model_, kernels_, pool_, {.n_ctx = n_ctx, .n_seq = n_seq, .n_kv_blocks = n_blocks});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }
  // The same request alone on a fresh context: what the scheduler must reproduce.
  GenerateResult Alone(const std::string& prompt, const GenerateOptions& o) {
    auto ctx = MakeContext(1);
    auto r = Generate(*ctx, prompt, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : GenerateResult{};
  }
  static GenerateOptions Seeded(uint64_t seed, int max_tokens) {
    GenerateOptions o;
    o.max_tokens = max_tokens;
    o.sampling.temperature = seed % 3 == 0 ? 0.0f : 0.9f;
    o.sampling.seed = seed;
    return o;
  }
  // Polls until `done` holds (30 s at most); the condition's last value.
  static bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  engine::kernels::KernelTable kernels_;
  ThreadPool pool_{2};
  std::shared_ptr<const engine::Model> model_;
};

const std::vector<std::string> kPrompts = {
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her",
    "Tom had a red ball.", "The sun was shining and the birds were singing. A little dog ran",
    "One day, a big bear", "Sara and Ben went to the beach with mom. They built a castle of sand and",
    "There was a boy who liked to", "The cat sat on the mat and looked at the", "Anna found a shiny stone"};

// Requests submitted together from many threads (more than the slots, so some queue) give
// exactly the text and tokens they give alone, with prompts chunked (prefill_chunk 8) and
// batched with other sequences' decode tokens.
TEST_F(SchedulerTest, ConcurrentSeededRequestsMatchRunsAlone) {
  std::vector<GenerateResult> want;
  for (size_t i = 0; i < kPrompts.size(); ++i) want.push_back(Alone(kPrompts[i], Seeded(i, 24)));
  Scheduler s(MakeContext(3), {.step_tokens = 24, .prefill_chunk = 8, .prefix_cache = false});
  std::vector<Result<GenerateResult>> got(kPrompts.size(), Status::Internal("not run"));
  std::vector<std::string> streamed(kPrompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    threads.emplace_back([&, i] {
      got[i] = Generate(s, kPrompts[i], Seeded(i, 24), [&, i](std::string_view piece) {
        streamed[i] += piece;
        return true;
      });
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    EXPECT_EQ(got[i]->tokens, want[i].tokens) << kPrompts[i];
    EXPECT_EQ(got[i]->text, want[i].text);
    EXPECT_EQ(streamed[i], want[i].text);
    EXPECT_EQ(got[i]->finish, want[i].finish);
    EXPECT_EQ(got[i]->prompt_tokens, want[i].prompt_tokens);
  }
  const SchedulerStats st = s.Stats();
  EXPECT_EQ(st.running, 0u);
  EXPECT_EQ(st.queued, 0u);
  EXPECT_EQ(st.kv_blocks_free, st.kv_blocks_total);  // everything given back
  // Sequences shared steps: fewer steps than tokens generated.
  size_t generated = 0;
  for (const auto& w : want) generated += w.tokens.size();
  EXPECT_LT(st.steps, generated);
}

// A long shared prefix (a system prompt) is evaluated once: later requests reuse its blocks,
// the counters show the hit, and the outputs do not change.
TEST_F(SchedulerTest, SharedPrefixIsReusedFromTheCache) {
  std::string system = "You are a storyteller. ";
  for (int i = 0; i < 6; ++i) system += "Tell short happy stories about animals and children in the park. ";
  const std::vector<std::string> prompts = {system + "Once upon a time", system + "The little dog", system + "Tom"};
  Scheduler s(MakeContext(2), {});
  for (size_t i = 0; i < prompts.size(); ++i) {
    const GenerateOptions o = Seeded(i + 1, 12);
    auto r = Generate(s, prompts[i], o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const GenerateResult want = Alone(prompts[i], o);
    EXPECT_EQ(r->tokens, want.tokens) << i;
    EXPECT_EQ(r->text, want.text);
  }
  const SchedulerStats st = s.Stats();
  const size_t prefix_tokens = model_->tokenizer().Encode(system, {.add_special = true}).size();
  ASSERT_GE(prefix_tokens, 64u);
  EXPECT_EQ(st.prefix_lookups, 3u);
  EXPECT_EQ(st.prefix_hits, 2u);
  // Each hit reuses the whole blocks of the shared part at least.
  EXPECT_GE(st.prefix_hit_tokens, 2 * (prefix_tokens - 1) / 16 * 16 - 2 * 16);
  EXPECT_GT(st.kv_blocks_cached, 0u);
}

// A cancelled request (a client that went away) gives its sequence and KV blocks back within
// a step, while another request goes on.
TEST_F(SchedulerTest, CancelFreesTheSequenceAndItsBlocks) {
  Scheduler s(MakeContext(2), {.prefix_cache = false});
  GenerateOptions o = Seeded(1, 200);
  o.stop_at_eog = false;
  auto a = s.Submit(kPrompts[0], o);
  ASSERT_TRUE(a.ok());
  auto b = s.Submit(kPrompts[1], Seeded(3, 16));
  ASSERT_TRUE(b.ok());
  Request::Piece piece;
  ASSERT_TRUE((*a)->Next(&piece));
  ASSERT_TRUE(Eventually([&] { return s.Stats().kv_blocks_free < s.Stats().kv_blocks_total; }));
  (*a)->Cancel();
  auto ra = (*a)->Wait();
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->finish, FinishReason::kCancelled);
  EXPECT_LT(ra->tokens.size(), 200u);
  auto rb = (*b)->Wait();
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->tokens, Alone(kPrompts[1], Seeded(3, 16)).tokens);
  EXPECT_TRUE(Eventually([&] {
    const SchedulerStats st = s.Stats();
    return st.running == 0 && st.kv_blocks_free == st.kv_blocks_total;
  }));
}

// With every slot held and the queue full, Submit answers kUnavailable at once; a slot held by
// a client that does not read keeps its place without running ahead.
TEST_F(SchedulerTest, FullQueueIsUnavailable) {
  Scheduler s(MakeContext(1), {.max_queued = 1, .max_buffered_pieces = 2});
  GenerateOptions o = Seeded(1, 100);
  o.stop_at_eog = false;
  auto running = s.Submit(kPrompts[0], o);
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(Eventually([&] { return s.Stats().running == 1; }));
  auto queued = s.Submit(kPrompts[1], o);
  ASSERT_TRUE(queued.ok());
  auto refused = s.Submit(kPrompts[2], o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("busy"), std::string::npos) << refused.status().message();
  EXPECT_EQ(s.Stats().queued, 1u);
  // The unread request waits with at most its buffer filled.
  std::this_thread::sleep_for(50ms);
  EXPECT_LE(s.Stats().steps, 40u);  // prompt chunks + 2 pieces, not 100 tokens
  (*running)->Cancel();
  auto r = (*queued)->Wait();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tokens.size(), 100u);
}

// A pool too small for every sequence at once: the newest is preempted and later evaluated
// again; all outputs still match their runs alone.
TEST_F(SchedulerTest, PreemptionUnderATightKvBudgetKeepsOutputs) {
  // 3 slots, 9 blocks (144 positions): each request needs ~6 blocks by its end.
  Scheduler s(MakeContext(3, 9), {.prefill_chunk = 16});
  std::vector<std::thread> threads;
  std::vector<Result<GenerateResult>> got(3, Status::Internal("not run"));
  std::vector<GenerateOptions> opts;
  for (size_t i = 0; i < 3; ++i) {
    opts.push_back(Seeded(i + 1, 70));
    opts.back().stop_at_eog = false;
  }
  for (size_t i = 0; i < 3; ++i) threads.emplace_back([&, i] { got[i] = Generate(s, kPrompts[i + 2], opts[i]); });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    EXPECT_EQ(got[i]->tokens, Alone(kPrompts[i + 2], opts[i]).tokens) << i;
  }
  EXPECT_GT(s.Stats().preemptions, 0u);
}

TEST_F(SchedulerTest, RequestsThatCannotFitAreClearErrors) {
  Scheduler s(MakeContext(2, 2, 256), {});
  std::string long_prompt;
  for (int i = 0; i < 20; ++i) long_prompt += "The cat sat on the mat. ";
  auto r = s.Submit(long_prompt, Seeded(1, 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("KV"), std::string::npos) << r.status().message();
  std::string too_long;
  for (int i = 0; i < 80; ++i) too_long += "The cat sat on the mat. ";
  r = s.Submit(too_long, Seeded(1, 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  // A generation that outgrows the whole pool ends with an error, not a hang.
  GenerateOptions o = Seeded(1, 100);
  o.stop_at_eog = false;
  auto g = Generate(s, "Tom", o);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(SchedulerTest, DestroyingTheSchedulerEndsItsRequests) {
  std::shared_ptr<Request> req;
  {
    Scheduler s(MakeContext(1), {.max_buffered_pieces = 1});
    GenerateOptions o = Seeded(1, 100);
    o.stop_at_eog = false;
    auto a = s.Submit(kPrompts[0], o);
    ASSERT_TRUE(a.ok());
    req = *a;
    auto b = s.Submit(kPrompts[1], o);
    ASSERT_TRUE(b.ok());
  }
  auto r = req->Wait();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, MaxTokensZeroEndsAtOnce) {
  Scheduler s(MakeContext(1), {});
  auto r = Generate(s, "Tom", Seeded(1, 0));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_FALSE(r->prompt_tokens.empty());
  EXPECT_EQ(r->finish, FinishReason::kLength);
}

}  // namespace
}  // namespace foundry::runtime
