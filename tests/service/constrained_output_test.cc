// Grammar-enforced output through a real server on 127.0.0.1 with random-weight models:
// tool_choice "required" and a named function always give calls whose arguments validate
// against the tool's schema, response_format json_schema / json_object give valid JSON, the
// streamed deltas reassemble to the whole reply of the same seed, and refused schemas are
// OpenAI-shaped 400s. Sampling at temperature 1 with several seeds: the grammar, not the model,
// makes the output valid.

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "foundry/service/server.h"
#include "runtime/grammar/schema_validator.h"
#include "service/test_server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using runtime::grammar::testing::SchemaValidator;

// Property order matters to the grammar (it writes them in schema order): keep it.
const ordered_json kTools = ordered_json::parse(R"([
  {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object",
                   "properties": {"location": {"type": "string", "maxLength": 24},
                                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["location", "unit"], "additionalProperties": false}}},
  {"type": "function", "function": {
    "name": "set_alarm", "description": "Set an alarm.",
    "parameters": {"type": "object",
                   "properties": {"hour": {"type": "integer", "minimum": 0, "maximum": 23},
                                  "minute": {"type": "integer", "minimum": 0, "maximum": 59},
                                  "label": {"type": ["string", "null"], "maxLength": 16},
                                  "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed"]},
                                           "maxItems": 3}},
                   "required": ["hour", "minute"]}}}
])");

const ordered_json kAnswerSchema = ordered_json::parse(R"({
  "type": "object",
  "properties": {"city": {"type": "string", "maxLength": 20},
                 "temperature": {"type": "number", "minimum": -50, "maximum": 60},
                 "sunny": {"type": "boolean"},
                 "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3}},
  "required": ["city", "temperature", "sunny"], "additionalProperties": false})");

// A streamed reply put back together: content, tool calls by index (arguments concatenated),
// finish reasons.
struct Reassembled {
  std::string content;
  std::map<int, json> calls;  // index -> {"id", "type", "function": {"name", "arguments"}}
  std::vector<std::string> finish;
  bool done = false;
};

Reassembled Reassemble(const std::string& body) {
  Reassembled out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") {
      out.done = true;
      continue;
    }
    const json c = json::parse(data);
    EXPECT_FALSE(c.contains("error")) << c;
    if (c["choices"].empty()) continue;
    const json& ch = c["choices"][0];
    if (!ch["finish_reason"].is_null()) out.finish.push_back(ch["finish_reason"]);
    const json& d = ch["delta"];
    if (d.contains("content") && d["content"].is_string()) out.content += d["content"].get<std::string>();
    for (const json& t : d.value("tool_calls", json::array())) {
      json& call = out.calls[t["index"].get<int>()];
      if (t.contains("id")) {  // the first delta of a call
        EXPECT_TRUE(call.is_null()) << "a second opening delta for index " << t["index"];
        call = {{"id", t["id"]}, {"type", t["type"]},
                {"function", {{"name", t["function"]["name"]}, {"arguments", ""}}}};
      }
      call["function"]["arguments"] =
          call["function"]["arguments"].get<std::string>() + t["function"].value("arguments", "");
    }
  }
  return out;
}

class ConstrainedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    svc_ = std::make_unique<testing::TestService>(
        std::map<std::string, std::string>{{"bpe-qwen2", "models/synthetic/bpe-qwen2.gguf"},  // Qwen 2.5: Hermes
                                           {"stories260K", "models/real/stories260K.gguf"},  // built-in Llama 3
                                           {"arch-phi3", "models/synthetic/arch-phi3.gguf"}},
        runtime::ModelManagerOptions{.n_ctx = 2048});
    client_ = svc_->Client();
    client_->set_read_timeout(300, 0);
  }
  void TearDown() override {
    client_.reset();
    svc_.reset();
  }

  json Post(const ordered_json& body, int want_status = 200) {
    auto r = client_->Post("/v1/chat/completions", body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  Reassembled Stream(ordered_json body) {
    body["stream"] = true;
    auto r = client_->Post("/v1/chat/completions", body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    Reassembled out = Reassemble(r->body);
    EXPECT_TRUE(out.done);
    return out;
  }
  void ExpectInvalid(const ordered_json& body, const std::string& param, const std::string& text) {
    json e = Post(body, 400);
    EXPECT_EQ(e["error"]["type"], "invalid_request_error") << e;
    EXPECT_EQ(e["error"]["param"], param) << e;
    EXPECT_NE(e["error"]["message"].get<std::string>().find(text), std::string::npos) << e;
  }
  static ordered_json Chat(const std::string& model, uint64_t seed) {
    return {{"model", model},
            {"messages", {{{"role", "user"}, {"content", "What is the weather in Paris?"}}}},
            {"temperature", 1.0},
            {"seed", seed},
            {"max_tokens", 128}};
  }
  // Each call names an offered tool and its arguments validate against that tool's schema.
  static void ExpectValidCalls(const json& calls, const ordered_json& tools) {
    ASSERT_TRUE(calls.is_array() && !calls.empty()) << calls;
    for (const json& call : calls) {
      EXPECT_EQ(call["type"], "function");
      EXPECT_TRUE(call["id"].get<std::string>().starts_with("call_")) << call;
      const std::string name = call["function"]["name"];
      const ordered_json* schema = nullptr;
      for (const auto& t : tools)
        if (t["function"]["name"] == name) schema = &t["function"]["parameters"];
      ASSERT_NE(schema, nullptr) << "not an offered tool: " << name;
      const ordered_json args = ordered_json::parse(call["function"]["arguments"].get<std::string>(), nullptr, false);
      ASSERT_FALSE(args.is_discarded()) << call;
      EXPECT_EQ(SchemaValidator(*schema).Validate(args), "") << args.dump();
    }
  }

  std::unique_ptr<testing::TestService> svc_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ConstrainedOutputTest, RequiredToolChoiceAlwaysCallsWithValidArguments) {
  for (const char* model : {"bpe-qwen2", "stories260K"}) {
    for (uint64_t seed : {1, 2, 3}) {
      SCOPED_TRACE(std::string(model) + " seed " + std::to_string(seed));
      ordered_json b = Chat(model, seed);
      b["tools"] = kTools;
      b["tool_choice"] = "required";
      b["parallel_tool_calls"] = seed != 2;
      json r = Post(b);
      const json& choice = r["choices"][0];
      EXPECT_EQ(choice["finish_reason"], "tool_calls") << r;
      EXPECT_TRUE(choice["message"]["content"].is_null()) << r;
      ExpectValidCalls(choice["message"]["tool_calls"], kTools);
      if (seed == 2) {
        EXPECT_EQ(choice["message"]["tool_calls"].size(), 1u) << r;
      }
    }
  }
}

TEST_F(ConstrainedOutputTest, NamedToolChoiceCallsThatFunctionOnce) {
  for (uint64_t seed : {4, 5, 6}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ordered_json b = Chat("bpe-qwen2", seed);
    b["tools"] = kTools;
    b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "set_alarm"}}}};
    json r = Post(b);
    const json& calls = r["choices"][0]["message"]["tool_calls"];
    ASSERT_EQ(calls.size(), 1u) << r;
    EXPECT_EQ(calls[0]["function"]["name"], "set_alarm");
    EXPECT_EQ(r["choices"][0]["finish_reason"], "tool_calls");
    ExpectValidCalls(calls, kTools);
  }
}

TEST_F(ConstrainedOutputTest, StreamedToolCallDeltasReassembleToTheWholeCall) {
  for (uint64_t seed : {7, 8}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ordered_json b = Chat("bpe-qwen2", seed);
    b["tools"] = kTools;
    b["tool_choice"] = "required";
    const json whole = Post(b);
    const Reassembled streamed = Stream(b);
    const json& calls = whole["choices"][0]["message"]["tool_calls"];
    ExpectValidCalls(calls, kTools);
    ASSERT_EQ(streamed.calls.size(), calls.size());
    for (size_t i = 0; i < calls.size(); ++i) {
      const json& s = streamed.calls.at(int(i));
      EXPECT_EQ(s["function"], calls[i]["function"]) << s;
      EXPECT_TRUE(s["id"].get<std::string>().starts_with("call_"));
    }
    EXPECT_EQ(streamed.content, "");
    EXPECT_EQ(streamed.finish, std::vector<std::string>{"tool_calls"});
  }
}

TEST_F(ConstrainedOutputTest, JsonSchemaResponseFormatValidates) {
  const ordered_json format = {
      {"type", "json_schema"},
      {"json_schema", {{"name", "weather_answer"}, {"strict", true}, {"schema", kAnswerSchema}}}};
  for (const char* model : {"bpe-qwen2", "stories260K", "arch-phi3"}) {
    for (uint64_t seed : {1, 2}) {
      SCOPED_TRACE(std::string(model) + " seed " + std::to_string(seed));
      ordered_json b = Chat(model, seed);
      b["response_format"] = format;
      b["max_tokens"] = 128;
      json r = Post(b);
      const json& choice = r["choices"][0];
      EXPECT_EQ(choice["finish_reason"], "stop") << r;
      const ordered_json content = ordered_json::parse(choice["message"]["content"].get<std::string>(), nullptr, false);
      ASSERT_FALSE(content.is_discarded()) << r;
      EXPECT_EQ(SchemaValidator(kAnswerSchema).Validate(content), "") << content.dump();
      // Schema order: city comes first.
      EXPECT_EQ(content.begin().key(), "city");
      if (seed == 1) {  // streamed with the same seed: the same text
        const Reassembled s = Stream(b);
        EXPECT_EQ(s.content, choice["message"]["content"]);
        EXPECT_EQ(s.finish, std::vector<std::string>{"stop"});
      }
    }
  }
}

TEST_F(ConstrainedOutputTest, JsonObjectResponseFormatGivesAnObject) {
  for (uint64_t seed : {3, 4}) {
    ordered_json b = Chat("bpe-qwen2", seed);
    b["response_format"] = {{"type", "json_object"}};
    b["max_tokens"] = 64;
    json r = Post(b);
    const json content = json::parse(r["choices"][0]["message"]["content"].get<std::string>(), nullptr, false);
    EXPECT_TRUE(content.is_object()) << r;
  }
  ordered_json b = Chat("bpe-qwen2", 1);
  b["response_format"] = {{"type", "text"}};
  b["max_tokens"] = 4;
  Post(b);
}

// tool_choice required wins over response_format; under auto, response_format shapes the
// reply, which then is content.
TEST_F(ConstrainedOutputTest, ToolChoiceWinsOverResponseFormat) {
  ordered_json b = Chat("bpe-qwen2", 9);
  b["tools"] = kTools;
  b["response_format"] = {{"type", "json_object"}};
  b["tool_choice"] = "required";
  json r = Post(b);
  ExpectValidCalls(r["choices"][0]["message"]["tool_calls"], kTools);
  b["tool_choice"] = "auto";
  r = Post(b);
  EXPECT_FALSE(r["choices"][0]["message"].contains("tool_calls")) << r;
  EXPECT_TRUE(json::parse(r["choices"][0]["message"]["content"].get<std::string>(), nullptr, false).is_object()) << r;
}

TEST_F(ConstrainedOutputTest, RefusedSchemasAreOpenAiShaped400s) {
  ordered_json b = Chat("bpe-qwen2", 1);
  b["response_format"] = "json";
  ExpectInvalid(b, "response_format", "expected an object");
  b["response_format"] = {{"type", "xml"}};
  ExpectInvalid(b, "response_format.type", "'text', 'json_object' and 'json_schema'");
  b["response_format"] = {{"type", "json_schema"}};
  ExpectInvalid(b, "response_format.json_schema", "Missing required parameter");
  b["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"schema", kAnswerSchema}}}};
  ExpectInvalid(b, "response_format.json_schema.name", "Missing required parameter");
  b["response_format"] = {{"type", "json_schema"},
                          {"json_schema", {{"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "^a+$"}}}}}};
  ExpectInvalid(b, "response_format", "pattern");

  // A tool schema the compiler refuses: only when the grammar is needed.
  ordered_json tools = kTools;
  tools[1]["function"]["parameters"]["properties"]["label"]["pattern"] = "^[a-z]+$";
  b = Chat("bpe-qwen2", 1);
  b["tools"] = tools;
  b["tool_choice"] = "required";
  ExpectInvalid(b, "tools[1].function.parameters", "pattern");
  b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  EXPECT_EQ(Post(b)["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  b["tool_choice"] = "auto";
  Post(b);
}

// A tool without parameters takes any JSON object; a second turn with the tool result works.
TEST_F(ConstrainedOutputTest, ToolWithoutParametersAndASecondTurn) {
  ordered_json b = Chat("bpe-qwen2", 11);
  b["tools"] = ordered_json::parse(R"([{"type": "function", "function": {"name": "ping"}}])");
  b["tool_choice"] = "required";
  json r = Post(b);
  const json& calls = r["choices"][0]["message"]["tool_calls"];
  ASSERT_FALSE(calls.empty()) << r;
  EXPECT_EQ(calls[0]["function"]["name"], "ping");
  EXPECT_TRUE(json::parse(calls[0]["function"]["arguments"].get<std::string>()).is_object());
  b["messages"].push_back(ordered_json::parse(r["choices"][0]["message"].dump()));
  b["messages"].push_back({{"role", "tool"}, {"tool_call_id", calls[0]["id"]}, {"content", "pong"}});
  b["tool_choice"] = "auto";
  b["max_tokens"] = 8;
  EXPECT_EQ(Post(b)["object"], "chat.completion");
}

}  // namespace
}  // namespace foundry::service
