// Ollama request fields: keep_alive, options, format, think, stream, names, message conversion.

#include "service/ollama_params.h"

#include <gtest/gtest.h>

namespace foundry::service {
namespace {

using nlohmann::json;
using Kind = KeepAlive::Kind;

KeepAlive Keep(const json& v) {
  auto k = ParseKeepAlive(v);
  EXPECT_TRUE(k.ok()) << v << " " << k.status().ToString();
  return k.ok() ? *k : KeepAlive{};
}

TEST(OllamaParams, KeepAliveFollowsGoDurationsAndNumbers) {
  EXPECT_EQ(Keep(nullptr).kind, Kind::kDefault);
  EXPECT_EQ(Keep(0).kind, Kind::kUnload);
  EXPECT_EQ(Keep("0").kind, Kind::kUnload);
  EXPECT_EQ(Keep("0s").kind, Kind::kUnload);
  EXPECT_EQ(Keep(-1).kind, Kind::kForever);
  EXPECT_EQ(Keep("-1m").kind, Kind::kForever);
  EXPECT_EQ(Keep("-1").kind, Kind::kForever);
  EXPECT_EQ(Keep("5m").duration, std::chrono::seconds(300));
  EXPECT_EQ(Keep("1h30m").duration, std::chrono::seconds(5400));
  EXPECT_EQ(Keep("2h45m10s").duration, std::chrono::seconds(9910));
  EXPECT_EQ(Keep("1.5h").duration, std::chrono::seconds(5400));
  EXPECT_EQ(Keep("300ms").duration, std::chrono::seconds(1));  // rounds up to a second
  EXPECT_EQ(Keep(3600).duration, std::chrono::seconds(3600));
  EXPECT_EQ(Keep("3600").duration, std::chrono::seconds(3600));
  EXPECT_EQ(Keep("5m").kind, Kind::kDuration);
  EXPECT_EQ(Keep("5m").AcquireTtl(), std::chrono::seconds(300));
  EXPECT_EQ(Keep(nullptr).AcquireTtl(), std::chrono::seconds(0));
  EXPECT_GT(Keep(-1).AcquireTtl(), std::chrono::hours(24 * 365));
  for (const json& bad : {json("soon"), json("5x"), json("m"), json(""), json(true), json::array()}) {
    auto k = ParseKeepAlive(bad);
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(k.status().message().find("keep_alive"), std::string::npos);
  }
}

TEST(OllamaParams, OptionsMapToSamplingWithOllamaDefaults) {
  auto d = ParseOllamaOptions(json::object());
  ASSERT_TRUE(d.ok());
  EXPECT_FLOAT_EQ(d->sampling.temperature, 0.8f);
  EXPECT_EQ(d->sampling.top_k, 40);
  EXPECT_FLOAT_EQ(d->sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(d->sampling.min_p, 0.0f);
  EXPECT_EQ(d->sampling.penalty_last_n, 64);
  EXPECT_EQ(d->max_tokens, -1);

  auto o = ParseOllamaOptions({{"options", {{"temperature", 0}, {"top_k", 5}, {"top_p", 0.5}, {"min_p", 0.1},
                                            {"seed", 42}, {"num_predict", 7}, {"stop", {"\n", "END"}},
                                            {"repeat_penalty", 1.1}, {"repeat_last_n", 32},
                                            {"presence_penalty", 0.5}, {"frequency_penalty", 0.25},
                                            {"num_ctx", 8192}, {"num_thread", 4}, {"unknown_key", 1}}}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FLOAT_EQ(o->sampling.temperature, 0.0f);
  EXPECT_EQ(o->sampling.top_k, 5);
  EXPECT_FLOAT_EQ(o->sampling.top_p, 0.5f);
  EXPECT_FLOAT_EQ(o->sampling.min_p, 0.1f);
  EXPECT_EQ(o->sampling.seed, 42u);
  EXPECT_EQ(o->max_tokens, 7);
  EXPECT_EQ(o->stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_FLOAT_EQ(o->sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(o->sampling.penalty_last_n, 32);
  EXPECT_FLOAT_EQ(o->sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(o->sampling.frequency_penalty, 0.25f);
  EXPECT_EQ(ParseOllamaOptions({{"options", {{"num_predict", -2}}}})->max_tokens, -1);
  EXPECT_EQ(ParseOllamaOptions({{"options", {{"top_k", 40.0}}}})->sampling.top_k, 40);

  for (const json& bad : {json{{"options", 3}}, json{{"options", {{"temperature", "hot"}}}},
                          json{{"options", {{"top_p", 2}}}}, json{{"options", {{"top_k", 1.5}}}},
                          json{{"options", {{"num_predict", -3}}}}, json{{"options", {{"stop", 5}}}}}) {
    auto r = ParseOllamaOptions(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("options"), std::string::npos) << r.status().message();
  }
}

TEST(OllamaParams, StreamFormatAndThink) {
  EXPECT_TRUE(*ParseStream(json::object()));
  EXPECT_FALSE(*ParseStream({{"stream", false}}));
  EXPECT_FALSE(ParseStream({{"stream", "no"}}).ok());

  EXPECT_EQ(ParseFormat(json::object())->kind, OutputFormat::Kind::kNone);
  EXPECT_EQ(ParseFormat({{"format", ""}})->kind, OutputFormat::Kind::kNone);
  EXPECT_EQ(ParseFormat({{"format", "json"}})->kind, OutputFormat::Kind::kJson);
  auto schema = ParseFormat({{"format", {{"type", "object"}}}});
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(schema->kind, OutputFormat::Kind::kSchema);
  EXPECT_EQ(schema->schema["type"], "object");
  EXPECT_FALSE(ParseFormat({{"format", "yaml"}}).ok());
  EXPECT_FALSE(ParseFormat({{"format", 3}}).ok());
  runtime::GenerateOptions gen;
  EXPECT_TRUE(ApplyFormatConstraint({}, &gen).ok());
  EXPECT_EQ(gen.grammar, nullptr);
  EXPECT_TRUE(ApplyFormatConstraint(*ParseFormat({{"format", "json"}}), &gen).ok());
  EXPECT_NE(gen.grammar, nullptr);
  gen.grammar.reset();
  EXPECT_TRUE(ApplyFormatConstraint(*schema, &gen).ok());
  EXPECT_NE(gen.grammar, nullptr);
  Status bad = ApplyFormatConstraint(*ParseFormat({{"format", {{"type", "string"}, {"pattern", "a+"}}}}), &gen);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(bad.message().starts_with("'format': ")) << bad.message();

  EXPECT_TRUE(CheckThink(json::object(), "m").ok());
  EXPECT_TRUE(CheckThink({{"think", false}}, "m").ok());
  EXPECT_EQ(CheckThink({{"think", true}}, "m").message(), "\"m\" does not support thinking");
  EXPECT_EQ(CheckThink({{"think", "high"}}, "m").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(CheckThink({{"think", "hot"}}, "m").message().find("\"low\""), std::string::npos);
}

TEST(OllamaParams, NameCandidatesHandleTheLatestTag) {
  EXPECT_EQ(NameCandidates("m"), (std::vector<std::string>{"m", "m:latest"}));
  EXPECT_EQ(NameCandidates("m:latest"), (std::vector<std::string>{"m:latest", "m"}));
  EXPECT_EQ(NameCandidates("qwen2.5-0.5b-instruct-generic-cpu:1"),
            (std::vector<std::string>{"qwen2.5-0.5b-instruct-generic-cpu:1"}));
}

TEST(OllamaParams, MessagesWithToolCallsBecomeOpenAiShaped) {
  json in = json::parse(R"([
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": "", "tool_calls": [
      {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
      {"function": {"name": "get_weather", "arguments": {"city": "Rome"}}},
      {"function": {"name": "get_time", "arguments": {}}}]},
    {"role": "tool", "content": "noon", "tool_name": "get_time"},
    {"role": "tool", "content": "22 C"},
    {"role": "tool", "content": "25 C", "tool_name": "get_weather"}])");
  auto out = OllamaMessagesToOpenAi(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const json& m = *out;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1]["tool_calls"][0]["id"], "call_1_0");
  EXPECT_EQ(m[1]["tool_calls"][0]["type"], "function");
  EXPECT_EQ(m[1]["tool_calls"][1]["function"]["arguments"], json({{"city", "Rome"}}));
  // Named results match their call; unnamed ones take the earliest unanswered call.
  EXPECT_EQ(m[2]["tool_call_id"], "call_1_2");
  EXPECT_EQ(m[2]["name"], "get_time");
  EXPECT_EQ(m[3]["tool_call_id"], "call_1_0");
  EXPECT_EQ(m[3]["name"], "get_weather");
  EXPECT_EQ(m[4]["tool_call_id"], "call_1_1");

  auto bad = OllamaMessagesToOpenAi(json::parse(R"([{"content": "no role"}])"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("messages[0].role"), std::string::npos);
  bad = OllamaMessagesToOpenAi(json::parse(R"([{"role": "user", "content": "x", "images": ["aGk="]}])"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("images"), std::string::npos);
  bad = OllamaMessagesToOpenAi(json::parse(R"([{"role": "assistant", "tool_calls": [{"function": {}}]}])"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tool_calls[0].function.name"), std::string::npos);
  EXPECT_FALSE(OllamaMessagesToOpenAi(json::parse(R"([{"role": "user", "content": 3}])")).ok());
}

TEST(OllamaParams, Rfc3339HasNanosecondsInUtc) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)) +
                 std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(123456789));
  EXPECT_EQ(Rfc3339(t), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(Nanos(std::chrono::milliseconds(3)), 3'000'000);
}

}  // namespace
}  // namespace foundry::service
