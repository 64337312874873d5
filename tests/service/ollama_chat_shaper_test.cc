// OllamaChatShaper: tool calls parsed out of generated text, streamed (each call whole, with
// its own index) and whole, for every split of the text.

#include "service/ollama_chat_shaper.h"

#include <gtest/gtest.h>

namespace foundry::service {
namespace {

using nlohmann::json;
using runtime::FinishReason;
using runtime::chat::ToolCallFormat;

runtime::chat::ToolCallParserOptions Hermes() {
  return {.format = ToolCallFormat::kHermes, .make_id = [](int i) { return "call_" + std::to_string(i); }};
}

const std::string kTwoCalls =
    "Checking.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
    "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>";

// Streams `text` in pieces of `step` bytes; returns every line, the closing one last.
std::vector<json> Stream(const std::string& text, size_t step, FinishReason finish) {
  OllamaChatShaper shaper(Hermes());
  std::vector<json> lines;
  for (size_t i = 0; i < text.size(); i += step)
    for (json& l : shaper.Chunks(std::string_view(text).substr(i, step))) lines.push_back(std::move(l));
  lines.push_back(shaper.Last(finish));
  return lines;
}

TEST(OllamaChatShaper, StreamsEachCallWholeWithItsOwnIndex) {
  for (size_t step : {size_t(1), size_t(3), size_t(7), kTwoCalls.size()}) {
    auto lines = Stream(kTwoCalls, step, FinishReason::kStop);
    std::string content;
    json calls = json::array();
    for (const auto& l : lines) {
      EXPECT_EQ(l["message"]["role"], "assistant");
      content += l["message"]["content"].get<std::string>();
      if (l["message"].contains("tool_calls"))
        for (const auto& c : l["message"]["tool_calls"]) calls.push_back(c);
    }
    EXPECT_EQ(content, "Checking.") << step;
    ASSERT_EQ(calls.size(), 2u) << step;
    EXPECT_EQ(calls[0], json::parse(R"({"id": "call_0", "function": {"index": 0, "name": "get_weather",
                                        "arguments": {"city": "Paris"}}})"));
    EXPECT_EQ(calls[1]["function"]["index"], 1);
    EXPECT_EQ(calls[1]["function"]["arguments"], json({{"zone", "CET"}}));
    EXPECT_EQ(lines.back()["done"], true);
    EXPECT_EQ(lines.back()["done_reason"], "stop");
    for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i]["done"], false);
  }
}

TEST(OllamaChatShaper, WholeReplyMatchesTheStream) {
  OllamaChatShaper shaper(Hermes());
  json whole = shaper.Whole(kTwoCalls, FinishReason::kStop);
  EXPECT_EQ(whole["message"]["content"], "Checking.");
  ASSERT_EQ(whole["message"]["tool_calls"].size(), 2u);
  EXPECT_EQ(whole["message"]["tool_calls"][1]["function"]["name"], "get_time");
  EXPECT_EQ(whole["message"]["tool_calls"][1]["function"]["index"], 1);
  EXPECT_EQ(whole["done_reason"], "stop");
}

TEST(OllamaChatShaper, CallCutOffByLengthIsNotReported) {
  const std::string cut = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
  auto lines = Stream(cut, 2, FinishReason::kLength);
  for (const auto& l : lines) EXPECT_FALSE(l["message"].contains("tool_calls")) << l;
  EXPECT_EQ(lines.back()["done_reason"], "length");
  OllamaChatShaper shaper(Hermes());
  EXPECT_FALSE(shaper.Whole(cut, FinishReason::kLength)["message"].contains("tool_calls"));
}

TEST(OllamaChatShaper, PlainTextWithoutToolsIsContent) {
  OllamaChatShaper shaper({.format = ToolCallFormat::kNone});
  auto lines = shaper.Chunks("Hello <tool_call> world");
  std::string content;
  for (const auto& l : lines) content += l["message"]["content"].get<std::string>();
  content += shaper.Last(FinishReason::kStop)["message"]["content"].get<std::string>();
  EXPECT_EQ(content, "Hello <tool_call> world");
}

}  // namespace
}  // namespace foundry::service
