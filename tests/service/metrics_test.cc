// Metrics: route labels, histograms and the exposition text, the request log line, and /health
// answering 503 while a model loads (a real server whose resolver is held on purpose).

#include "service/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <future>
#include <nlohmann/json.hpp>

#include "foundry/service/server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using nlohmann::json;

TEST(Metrics, RouteLabelsAreBounded) {
  EXPECT_EQ(RouteLabel("POST", "/api/chat"), "/api/chat");
  EXPECT_EQ(RouteLabel("GET", "/"), "/");
  EXPECT_EQ(RouteLabel("GET", "/openai/load/phi-4:1"), "/openai/load/{id}");
  EXPECT_EQ(RouteLabel("GET", "/models/unload/x"), "/models/unload/{id}");
  EXPECT_EQ(RouteLabel("GET", "/openai/load/"), "other");
  EXPECT_EQ(RouteLabel("GET", "/random/probe/123"), "other");
}

TEST(Metrics, RendersCountersAndCumulativeHistograms) {
  Metrics m(nullptr);
  m.RecordRequest("/api/chat", 200, 0.5);
  m.RecordRequest("/api/chat", 200, 0.25);
  m.RecordRequest("/api/chat", 404, 0.125);
  m.RecordTokens(5, 16);
  m.RecordTimeToFirstToken(0.02);   // bucket le=0.025
  m.RecordTimeToFirstToken(100);    // past the last bound: +Inf only
  m.RecordInterTokenLatency(0.003);
  const std::string t = m.Render();
  for (const char* want :
       {"foundry_requests_total{route=\"/api/chat\",status=\"200\"} 2\n",
        "foundry_requests_total{route=\"/api/chat\",status=\"404\"} 1\n",
        "foundry_request_duration_seconds_count{route=\"/api/chat\"} 3\n",
        "foundry_request_duration_seconds_sum{route=\"/api/chat\"} 0.875\n",
        "foundry_prompt_tokens_total 5\n", "foundry_generated_tokens_total 16\n",
        "foundry_time_to_first_token_seconds_bucket{le=\"0.01\"} 0\n",
        "foundry_time_to_first_token_seconds_bucket{le=\"0.025\"} 1\n",
        "foundry_time_to_first_token_seconds_bucket{le=\"60\"} 1\n",
        "foundry_time_to_first_token_seconds_bucket{le=\"+Inf\"} 2\n",
        "foundry_time_to_first_token_seconds_count 2\n",
        "foundry_inter_token_latency_seconds_bucket{le=\"0.005\"} 1\n", "foundry_queue_depth 0\n",
        "foundry_loaded_models 0\n", "# TYPE foundry_requests_total counter\n"})
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
}

TEST(Metrics, GenerationTimerRecordsFirstPieceThenGaps) {
  Metrics m(nullptr);
  GenerationTimer timer(&m, std::chrono::steady_clock::now());
  int calls = 0;
  auto cb = timer.Wrap([&](std::string_view) { return ++calls < 3; });
  EXPECT_TRUE(cb("a"));
  EXPECT_TRUE(cb("b"));
  EXPECT_FALSE(cb("c"));  // the inner callback's answer passes through
  runtime::GenerateResult r;
  r.prompt_tokens = {1, 2};
  r.tokens = {3, 4, 5};
  timer.Finish(r);
  const std::string t = m.Render();
  EXPECT_NE(t.find("foundry_time_to_first_token_seconds_count 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("foundry_inter_token_latency_seconds_count 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("foundry_prompt_tokens_total 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("foundry_generated_tokens_total 3\n"), std::string::npos) << t;
}

TEST(Metrics, RequestLogLineIsOneJsonObject) {
  const std::string line = RequestLogLine({.method = "POST", .path = "/api/chat", .route = "/api/chat",
                                           .status = 200, .seconds = 0.0125, .remote_addr = "127.0.0.1",
                                           .request_bytes = 80});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json j = json::parse(line);
  EXPECT_EQ(j["msg"], "request");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["status"], 200);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 12.5);
  EXPECT_EQ(j["request_bytes"], 80);
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
  RequestClock clock;
  int a = 0;
  EXPECT_EQ(clock.End(&a), 0.0);  // never begun
  clock.Begin(&a);
  EXPECT_GE(clock.End(&a), 0.0);
  EXPECT_EQ(clock.End(&a), 0.0);  // forgotten after End
}

TEST(Health, Is503WhileAModelLoads) {
  auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  ThreadPool pool(1);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  // The resolver runs inside the load: holding it keeps the load in progress.
  runtime::ModelManager models(
      kernels, pool,
      [&](const std::string&) -> Result<std::filesystem::path> {
        std::unique_lock<std::mutex> lock(mu);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return foundry::testing::SharedPath("models/real/stories260K.gguf");
      },
      runtime::ModelManagerOptions{.n_ctx = 64});
  auto s = Server::Start({.host = "127.0.0.1", .port = 0}, models, {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  httplib::Client client("127.0.0.1", (*s)->port());
  client.set_read_timeout(60, 0);
  auto ok = client.Get("/health");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  auto load = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", (*s)->port());
    c.set_read_timeout(60, 0);
    auto r = c.Get("/openai/load/stories");
    return r ? r->status : -1;
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return entered; }));
  }
  auto loading = client.Get("/health");
  ASSERT_TRUE(loading);
  EXPECT_EQ(loading->status, 503);
  EXPECT_EQ(json::parse(loading->body)["error"]["message"], "Loading model");
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("foundry_models_loading 1\n"), std::string::npos) << metrics->body;
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(load.get(), 200);
  auto after = client.Get("/health");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  (*s)->Stop();
}

}  // namespace
}  // namespace foundry::service
