// Tool calling through a real server on 127.0.0.1 with the tiny models: request validation,
// tools reaching the template (token counts), tool_choice none, models without tool support,
// /v1/models flags, and a streamed reply with tools that must agree with the whole reply.

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "foundry/service/server.h"
#include "service/test_server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using nlohmann::json;

const json kTools = json::parse(R"([{"type": "function", "function": {
  "name": "get_weather", "description": "Get the current weather for a city.",
  "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                 "required": ["location"]}}}])");

class ToolCallingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    svc_ = std::make_unique<testing::TestService>(
        std::map<std::string, std::string>{{"bpe-qwen2", "models/synthetic/bpe-qwen2.gguf"},  // Qwen 2.5 template
                                           {"arch-phi3", "models/synthetic/arch-phi3.gguf"},  // built-in phi3
                                           {"stories260K", "models/real/stories260K.gguf"}},
        runtime::ModelManagerOptions{.n_ctx = 512});
    client_ = svc_->Client();
    client_->set_read_timeout(120, 0);
  }
  void TearDown() override {
    client_.reset();
    svc_.reset();
  }

  json Post(const std::string& path, const json& body, int want_status = 200) {
    auto r = client_->Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  // A 400 whose OpenAI error names `param`.
  void ExpectInvalid(const json& body, const std::string& param, const std::string& text) {
    json e = Post("/v1/chat/completions", body, 400);
    EXPECT_EQ(e["error"]["type"], "invalid_request_error") << e;
    EXPECT_EQ(e["error"]["param"], param) << e;
    EXPECT_NE(e["error"]["message"].get<std::string>().find(text), std::string::npos) << e;
  }
  size_t Count(const json& body) {
    json r = Post("/v1/chat/completions/tokenizer/encode/count", body);
    return r.value("tokenCount", size_t(0));
  }
  static json Chat(const std::string& model) {
    return {{"model", model}, {"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}}};
  }

  std::unique_ptr<testing::TestService> svc_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ToolCallingTest, InvalidToolRequestsAreOpenAiShaped400s) {
  json b = Chat("bpe-qwen2");
  b["tools"] = "get_weather";
  ExpectInvalid(b, "tools", "expected an array");
  b["tools"] = json::parse(R"([{"type": "function", "function": {"description": "x"}}])");
  ExpectInvalid(b, "tools[0].function.name", "Missing required parameter");
  b["tools"] = json::parse(R"([{"type": "function", "function": {"name": "has space"}}])");
  ExpectInvalid(b, "tools[0].function.name", "does not match pattern");
  b["tools"] = json::parse(R"([{"type": "retrieval"}])");
  ExpectInvalid(b, "tools[0].type", "only 'function'");
  b = Chat("bpe-qwen2");
  b["tool_choice"] = "required";
  ExpectInvalid(b, "tool_choice", "only allowed when 'tools' are specified");
  b["tools"] = kTools;
  b["tool_choice"] = "sometimes";
  ExpectInvalid(b, "tool_choice", "expected 'none', 'auto', 'required'");
  b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "nope"}}}};
  ExpectInvalid(b, "tool_choice", "no function named 'nope'");
  b["tool_choice"] = "auto";
  b["parallel_tool_calls"] = "yes";
  ExpectInvalid(b, "parallel_tool_calls", "expected a boolean");
  b = Chat("bpe-qwen2");
  b["messages"].push_back({{"role", "tool"}, {"content", "18C"}});
  ExpectInvalid(b, "messages[1].tool_call_id", "Missing required parameter");
  b = Chat("bpe-qwen2");
  b["messages"].push_back({{"role", "assistant"}, {"tool_calls", {{{"id", "call_1"}, {"type", "function"}}}}});
  ExpectInvalid(b, "messages[1].tool_calls[0].function", "Missing required parameter");
}

TEST_F(ToolCallingTest, ToolsReachTheTemplateUnlessToolChoiceIsNone) {
  const json plain = Chat("bpe-qwen2");
  json with = plain;
  with["tools"] = kTools;
  const size_t n_plain = Count(plain), n_tools = Count(with);
  EXPECT_GT(n_plain, 0u);
  // Qwen's tool preamble plus the schema: well over a hundred tokens.
  EXPECT_GT(n_tools, n_plain + 100);
  with["tool_choice"] = "none";
  EXPECT_EQ(Count(with), n_plain);
  with["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  EXPECT_EQ(Count(with), n_tools);
  // A named choice shows only that tool.
  json two = with;
  two["tools"].push_back(json::parse(R"({"type": "function", "function": {"name": "get_time"}})"));
  EXPECT_EQ(Count(two), n_tools);
  two["tool_choice"] = "auto";
  EXPECT_GT(Count(two), n_tools);
}

TEST_F(ToolCallingTest, ToolHistoryGoesBackThroughTheTemplate) {
  json b = Chat("bpe-qwen2");
  b["tools"] = kTools;
  const size_t before = Count(b);
  // Arguments as OpenAI sends them (a JSON string) and content null; then the tool result.
  b["messages"].push_back({{"role", "assistant"}, {"content", nullptr},
                           {"tool_calls", {{{"id", "call_abc"}, {"type", "function"},
                                            {"function", {{"name", "get_weather"},
                                                          {"arguments", R"({"location": "Paris"})"}}}}}}});
  b["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_abc"}, {"content", "18C, sunny"}});
  const size_t after = Count(b);
  EXPECT_GT(after, before + 20);
  // The arguments are rendered as an object: the same count as when the client sends an object.
  b["messages"][1]["tool_calls"][0]["function"]["arguments"] = {{"location", "Paris"}};
  EXPECT_EQ(Count(b), after);
  b["stream"] = false;
  b["max_tokens"] = 4;
  json r = Post("/v1/chat/completions", b);
  EXPECT_EQ(r["usage"]["prompt_tokens"], after);
}

TEST_F(ToolCallingTest, ModelWithoutToolSupportRejectsToolsButNotToolChoiceNone) {
  json b = Chat("arch-phi3");
  b["tools"] = kTools;
  ExpectInvalid(b, "tools", "does not support tool calling");
  b["tool_choice"] = "none";
  b["max_tokens"] = 2;
  json r = Post("/v1/chat/completions", b);
  EXPECT_EQ(r["object"], "chat.completion");
}

TEST_F(ToolCallingTest, ModelsReportToolSupportFromTheirTemplate) {
  for (const char* id : {"bpe-qwen2", "arch-phi3", "stories260K"}) Count(Chat(id));  // loads them
  auto r = client_->Get("/v1/models");
  ASSERT_TRUE(r);
  json models = json::parse(r->body);
  std::map<std::string, bool> flags;
  for (const json& m : models["data"]) flags[m["id"]] = m["supports_tool_calling"];
  EXPECT_EQ(flags, (std::map<std::string, bool>{{"bpe-qwen2", true}, {"arch-phi3", false}, {"stories260K", true}}));
}

// The random-weight model writes no tool call, but the streamed reply with tools must be well
// formed and say what the whole reply says.
TEST_F(ToolCallingTest, StreamedReplyWithToolsMatchesTheWholeReply) {
  json b = Chat("bpe-qwen2");
  b["tools"] = kTools;
  b["temperature"] = 0;
  b["max_tokens"] = 24;
  json whole = Post("/v1/chat/completions", b);
  b["stream"] = true;
  auto r = client_->Post("/v1/chat/completions", b.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  std::string content;
  std::vector<json> finish;
  size_t pos = 0, n_chunks = 0;
  bool done = false;
  while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
    const size_t end = r->body.find("\n\n", pos);
    const std::string data = r->body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    json c = json::parse(data);
    ++n_chunks;
    const json& ch = c["choices"][0];
    if (!ch["finish_reason"].is_null()) finish.push_back(ch["finish_reason"]);
    if (ch["delta"].contains("content")) content += ch["delta"]["content"].get<std::string>();
    EXPECT_FALSE(ch["delta"].contains("tool_calls")) << c;
  }
  EXPECT_TRUE(done);
  EXPECT_GT(n_chunks, 2u);
  const json& m = whole["choices"][0]["message"];
  EXPECT_FALSE(m.contains("tool_calls"));
  EXPECT_EQ(content, m["content"]);
  EXPECT_EQ(finish, std::vector<json>{whole["choices"][0]["finish_reason"]});
}

}  // namespace
}  // namespace foundry::service
