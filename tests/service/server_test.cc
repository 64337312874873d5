// The HTTP service over a real socket on 127.0.0.1, driven with a real HTTP client.

#include "foundry/service/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "service/test_server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using foundry::testing::SharedPath;
using nlohmann::json;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceHooks hooks;
    hooks.list_models = [] { return std::vector<ModelListing>{{.id = "stories260K", .context_length = 256}}; };
    svc_ = std::make_unique<testing::TestService>(
        std::map<std::string, std::string>{{"stories260K", "models/real/stories260K.gguf"},
                                           {"arch-llama", "models/synthetic/arch-llama.gguf"},
                                           {"bpe-qwen2", "models/synthetic/bpe-qwen2.gguf"}},
        runtime::ModelManagerOptions{.n_ctx = 256}, ServerOptions{.model_dir = "/tmp/models"}, hooks);
    client_ = svc_->Client();
    golden_ = json::parse(foundry::testing::ReadFileText(SharedPath("golden/stories260K.json")));
  }
  void TearDown() override {
    client_.reset();
    svc_.reset();
  }
  std::string GoldenText(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += golden_["prompts"][0]["greedy"]["pieces"][i].get<std::string>();
    return s;
  }
  json Post(const std::string& path, const json& body, int want_status = 200) {
    auto r = client_->Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json Get(const std::string& path, int want_status = 200) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return r->body.empty() ? json() : json::parse(r->body, nullptr, false);
  }

  std::unique_ptr<testing::TestService> svc_;
  std::unique_ptr<httplib::Client> client_;
  json golden_;
};

TEST_F(ServerTest, StatusAndHealth) {
  json st = Get("/openai/status");
  EXPECT_EQ(st["endpoints"][0], svc_->url());
  EXPECT_EQ(st["modelDirPath"], "/tmp/models");
  EXPECT_EQ(Get("/health")["status"], "ok");
  EXPECT_EQ(Get("/status")["modelCachePath"], "/tmp/models");
}

TEST_F(ServerTest, CompletionMatchesGoldenGreedy) {
  json r = Post("/v1/completions", {{"model", "stories260K"}, {"prompt", "Once upon a time"},
                                    {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "stories260K");
  EXPECT_EQ(r["choices"][0]["text"], GoldenText(16));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(r["usage"]["completion_tokens"], 16);
  EXPECT_EQ(r["usage"]["total_tokens"], 21);
}

TEST_F(ServerTest, StreamedCompletionReassemblesAndEndsWithDone) {
  json body = {{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"max_tokens", 16},
               {"temperature", 0}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
  auto r = client_->Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  std::string text, finish;
  json usage;
  bool done = false;
  size_t pos = 0;
  while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
    size_t end = r->body.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    std::string payload = r->body.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (payload == "[DONE]") {
      done = true;
      continue;
    }
    json ev = json::parse(payload);
    if (ev.contains("usage")) {
      usage = ev["usage"];
      continue;
    }
    text += ev["choices"][0]["text"].get<std::string>();
    if (!ev["choices"][0]["finish_reason"].is_null()) finish = ev["choices"][0]["finish_reason"];
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(text, GoldenText(16));
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage["completion_tokens"], 16);
}

TEST_F(ServerTest, ErrorsHaveOpenAIShapeAndStatus) {
  json e = Post("/v1/completions", {{"model", "nope"}, {"prompt", "x"}}, 404);
  EXPECT_EQ(e["error"]["type"], "not_found_error");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("nope"), std::string::npos);

  auto r = client_->Post("/v1/completions", "{not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["type"], "invalid_request_error");

  e = Post("/v1/completions", {{"model", "stories260K"}, {"prompt", "x"}, {"temperature", 5}}, 400);
  EXPECT_NE(e["error"]["message"].get<std::string>().find("temperature"), std::string::npos);

  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += "Once upon a time ";
  e = Post("/v1/completions", {{"model", "stories260K"}, {"prompt", long_prompt}}, 400);
  EXPECT_EQ(e["error"]["code"], "context_length_exceeded");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("too many"), std::string::npos) << e;
}

TEST_F(ServerTest, LoadUnloadAndListing) {
  EXPECT_EQ(Get("/openai/loadedmodels"), json::array());
  Get("/openai/load/arch-llama?ttl=30");
  EXPECT_EQ(Get("/openai/loadedmodels"), json::array({"arch-llama"}));
  EXPECT_EQ(Get("/models/loaded"), json::array({"arch-llama"}));
  json models = Get("/v1/models");
  ASSERT_EQ(models["object"], "list");
  std::vector<std::string> ids;
  for (const auto& m : models["data"]) ids.push_back(m["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"stories260K", "arch-llama"}));
  EXPECT_EQ(models["data"][0]["context_length"], 256);
  // Foundry semantics: without force the model keeps its TTL; force unloads.
  Get("/openai/unload/arch-llama?force=false");
  EXPECT_EQ(Get("/openai/loadedmodels"), json::array({"arch-llama"}));
  Get("/openai/unload/arch-llama?force=true");
  EXPECT_EQ(Get("/openai/loadedmodels"), json::array());
  Get("/openai/unload/arch-llama?force=false", 404);
  json e = Get("/openai/load/missing", 404);
  EXPECT_NE(e["error"]["message"].get<std::string>().find("No OpenAIService provider found for modelName"),
            std::string::npos);
  EXPECT_EQ(Get("/models/load/stories260K")["status"], "loaded");
  Get("/openai/unloadall");
  EXPECT_EQ(Get("/openai/loadedmodels"), json::array());
}

// Server-sent events of a streamed response, parsed; stops at [DONE].
std::vector<json> Events(const std::string& body, bool* done) {
  std::vector<json> out;
  size_t pos = 0;
  *done = false;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    std::string payload = body.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (payload == "[DONE]") {
      *done = true;
      break;
    }
    out.push_back(json::parse(payload));
  }
  return out;
}

TEST_F(ServerTest, ChatCompletionThroughTheModelsTemplate) {
  json req = {{"model", "bpe-qwen2"},
              {"messages", {{{"role", "system"}, {"content", "You are terse."}}, {{"role", "user"}, {"content", "Hi there"}}}},
              {"max_tokens", 12},
              {"temperature", 0}};
  json r = Post("/v1/chat/completions", req);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  ASSERT_TRUE(r["choices"][0]["message"]["content"].is_string());
  const std::string finish = r["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "length" || finish == "stop") << finish;
  const int completion = r["usage"]["completion_tokens"];
  EXPECT_LE(completion, 12);

  // The Qwen template renders <|im_start|>system ... <|im_start|>assistant\n; with special tokens
  // parsed that is far fewer tokens than the text would take as plain text.
  json count = Post("/v1/chat/completions/tokenizer/encode/count", req);
  EXPECT_EQ(count["tokenCount"], r["usage"]["prompt_tokens"]);
  EXPECT_LT(count["tokenCount"].get<int>(), 30);

  // Streaming gives the same text (greedy), role first, finish reason last, then [DONE].
  req["stream"] = true;
  auto s = client_->Post("/v1/chat/completions", req.dump(), "application/json");
  ASSERT_TRUE(s);
  bool done = false;
  auto events = Events(s->body, &done);
  ASSERT_TRUE(done);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (const auto& ev : events) {
    EXPECT_EQ(ev["object"], "chat.completion.chunk");
    if (ev["choices"][0]["delta"].contains("content")) text += ev["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, r["choices"][0]["message"]["content"]);
  EXPECT_EQ(events.back()["choices"][0]["finish_reason"], finish);
}

TEST_F(ServerTest, ChatRequestsAreValidated) {
  json e = Post("/v1/chat/completions", {{"model", "bpe-qwen2"}, {"messages", json::array()}}, 400);
  EXPECT_EQ(e["error"]["param"], "messages");
  e = Post("/v1/chat/completions", {{"model", "bpe-qwen2"}, {"messages", {{{"content", "no role"}}}}}, 400);
  EXPECT_NE(e["error"]["message"].get<std::string>().find("role"), std::string::npos);
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "many words here ";
  json big = {{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", long_text}}}}, {"stream", true}};
  e = Post("/v1/chat/completions", big, 400);
  EXPECT_EQ(e["error"]["code"], "context_length_exceeded");
}

}  // namespace
}  // namespace foundry::service
