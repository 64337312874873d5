// Serving many clients at once through the real HTTP service: continuous batching gives the
// outputs of serial runs, shared prompt prefixes hit the cache (visible in /metrics), a client
// that disconnects frees its KV blocks, and a full queue answers 503.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "service/test_server.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using testing::MetricValue;
using testing::TestService;
using namespace std::chrono_literals;

const char* kModel = "tinyllama";

runtime::ModelManagerOptions Options(uint32_t max_running, uint32_t max_queued = 32) {
  runtime::ModelManagerOptions o{.n_ctx = 2048, .max_running = max_running};
  o.scheduler.max_queued = max_queued;
  return o;
}

// Text of a streamed /v1/completions reply (SSE), or "" with a test failure.
std::string StreamedText(const std::string& body) {
  std::string text;
  bool done = false;
  for (size_t at = 0; (at = body.find("data: ", at)) != std::string::npos;) {
    const size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    at = end;
    if (data == "[DONE]") {
      done = true;
      break;
    }
    json j = json::parse(data, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << data;
    if (!j.is_discarded() && !j["choices"].empty()) text += j["choices"][0]["text"].get<std::string>();
  }
  EXPECT_TRUE(done) << body;
  return text;
}

json Request(const std::string& prompt, uint64_t seed, int max_tokens, bool stream) {
  return {{"model", kModel}, {"prompt", prompt}, {"seed", seed}, {"temperature", 0.9},
          {"max_tokens", max_tokens}, {"stream", stream}};
}

// Polls /metrics until `ok` holds for it (20 s at most); the last text.
std::string WaitForMetrics(const TestService& svc, const std::function<bool(const std::string&)>& ok) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string text = svc.GetText("/metrics");
  while (!ok(text) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    text = svc.GetText("/metrics");
  }
  return text;
}

const std::vector<std::string> kPrompts = {
    "Once upon a time, there was a little girl named Lily.", "Tom had a red ball and a",
    "The sun was shining and the birds were singing.", "One day, a big bear",
    "Sara and Ben went to the beach with mom.", "There was a boy who liked to",
    "The cat sat on the mat and looked at the", "Anna found a shiny stone"};

TEST(ServingTest, ConcurrentStreamingClientsGetTheirSerialOutputs) {
  TestService svc({{kModel, "models/real/tinyllama-v0-q4_0.gguf"}}, Options(4));
  std::vector<std::string> serial;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    auto r = svc.Client()->Post("/v1/completions", Request(kPrompts[i], i, 40, true).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    serial.push_back(StreamedText(r->body));
    ASSERT_FALSE(serial.back().empty());
  }
  std::vector<std::string> together(kPrompts.size());
  std::vector<int> status(kPrompts.size(), 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    threads.emplace_back([&, i] {
      auto r = svc.Client()->Post("/v1/completions", Request(kPrompts[i], i, 40, true).dump(), "application/json");
      if (!r) return;
      status[i] = r->status;
      together[i] = StreamedText(r->body);
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(status[i], 200);
    EXPECT_EQ(together[i], serial[i]) << kPrompts[i];
  }
  // Non-streamed requests go through the same scheduler.
  json whole = svc.Post("/v1/completions", Request(kPrompts[0], 0, 40, false));
  EXPECT_EQ(whole["choices"][0]["text"], serial[0]);
}

TEST(ServingTest, SharedSystemPromptHitsThePrefixCache) {
  TestService svc({{kModel, "models/real/tinyllama-v0-q4_0.gguf"}}, Options(4));
  std::string system = "You are a storyteller. ";
  for (int i = 0; i < 5; ++i) system += "Tell short happy stories about animals and children playing in the park. ";
  std::string first;
  for (int i = 0; i < 3; ++i) {
    json r = svc.Post("/v1/completions", Request(system + kPrompts[size_t(i)], 7, 8, false));
    ASSERT_TRUE(r.contains("choices")) << r.dump();
  }
  const std::string m = svc.GetText("/metrics");
  EXPECT_EQ(MetricValue(m, "foundry_prefix_cache_lookups_total"), 3) << m;
  EXPECT_EQ(MetricValue(m, "foundry_prefix_cache_hits_total"), 2) << m;
  EXPECT_GE(MetricValue(m, "foundry_prefix_cache_hit_tokens_total"), 2 * 64) << m;
  EXPECT_NEAR(MetricValue(m, "foundry_prefix_cache_hit_rate"), 2.0 / 3.0, 1e-3) << m;
  EXPECT_GT(MetricValue(m, "foundry_kv_blocks_cached"), 0) << m;
  EXPECT_EQ(MetricValue(m, "foundry_kv_blocks_used"), 0) << m;
}

// A raw socket: send a streaming request, read until the first event, then hang up.
void StreamThenDisconnect(int port, const json& body) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string payload = body.dump();
  const std::string req = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  std::string got;
  char buf[4096];
  while (got.find("data: ") == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  close(fd);
  EXPECT_NE(got.find("data: "), std::string::npos) << got;
}

TEST(ServingTest, ClientThatDisconnectsFreesItsKvBlocks) {
  TestService svc({{kModel, "models/real/tinyllama-v0-q4_0.gguf"}}, Options(4));
  json body = Request(kPrompts[0], 1, 2000, true);
  body["ignore_eos"] = true;  // would run to 2000 tokens if nobody stopped it
  StreamThenDisconnect(svc.port(), body);
  const std::string m = WaitForMetrics(svc, [](const std::string& t) {
    return MetricValue(t, "foundry_requests_cancelled_total") == 1 && MetricValue(t, "foundry_running_sequences") == 0;
  });
  EXPECT_EQ(MetricValue(m, "foundry_requests_cancelled_total"), 1) << m;
  EXPECT_EQ(MetricValue(m, "foundry_running_sequences"), 0) << m;
  EXPECT_EQ(MetricValue(m, "foundry_kv_blocks_used"), 0) << m;
  // The service goes on serving.
  json r = svc.Post("/v1/completions", Request(kPrompts[1], 2, 8, false));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
}

TEST(ServingTest, FullQueueAnswers503) {
  // One sequence at a time and one waiting: of many requests arriving together, the rest are
  // turned away at once.
  TestService svc({{kModel, "models/real/tinyllama-v0-q4_0.gguf"}}, Options(1, 1), {.http_threads = 16});
  ASSERT_TRUE(svc.models().Acquire(kModel).ok());  // loaded before the burst
  const int n = 10;
  std::vector<int> status(n, 0);
  std::vector<std::string> bodies(n);
  std::vector<std::string> retry_after(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      json body = Request(kPrompts[size_t(i) % kPrompts.size()], uint64_t(i), 600, true);
      body["ignore_eos"] = true;
      auto r = svc.Client()->Post("/v1/completions", body.dump(), "application/json");
      if (!r) return;
      status[size_t(i)] = r->status;
      bodies[size_t(i)] = r->body;
      retry_after[size_t(i)] = r->get_header_value("Retry-After");
    });
  for (auto& t : threads) t.join();
  int ok = 0, busy = 0;
  for (int i = 0; i < n; ++i) {
    if (status[size_t(i)] == 200) {
      ++ok;
      EXPECT_NE(bodies[size_t(i)].find("[DONE]"), std::string::npos);
    } else {
      EXPECT_EQ(status[size_t(i)], 503) << bodies[size_t(i)];
      ++busy;
      json err = json::parse(bodies[size_t(i)], nullptr, false);
      EXPECT_NE(err["error"]["message"].get<std::string>().find("busy"), std::string::npos) << bodies[size_t(i)];
      EXPECT_EQ(retry_after[size_t(i)], "1");
    }
  }
  EXPECT_GE(ok, 2);
  EXPECT_GE(busy, 1);
  const std::string m = svc.GetText("/metrics");
  EXPECT_NE(m.find("foundry_requests_total{route=\"/v1/completions\",status=\"503\"} " + std::to_string(busy)),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace foundry::service
