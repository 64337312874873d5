// ChatCompletionShaper: canned model outputs (as the generator streams them) through the
// streaming and the whole-response shaping. The streamed deltas, reassembled the way the openai
// clients do it (by tool-call index), must equal the whole response's message.

#include "service/chat_completion.h"

#include <gtest/gtest.h>

#include <map>

namespace foundry::service {
namespace {

using nlohmann::json;
using runtime::FinishReason;
using runtime::chat::ToolCallFormat;

ChatShapeOptions Options(ToolCallFormat format, bool parallel = true) {
  return {.id = "chatcmpl-test", .created = 1700000000, .model = "m", .format = format,
          .parallel_tool_calls = parallel};
}

struct Stream {
  std::vector<json> chunks;
  json message = {{"role", nullptr}, {"content", ""}};  // reassembled like a client does
  std::vector<json> finish_reasons;
};

// Streams `text` in pieces of `piece` bytes and reassembles the deltas.
Stream RunStream(const ChatShapeOptions& o, std::string_view text, size_t piece,
                 FinishReason finish) {
  ChatCompletionShaper shaper(o);
  Stream s;
  s.chunks.push_back(shaper.Opening());
  for (size_t at = 0; at < text.size(); at += piece)
    for (json& c : shaper.Chunks(text.substr(at, piece))) s.chunks.push_back(std::move(c));
  for (json& c : shaper.Closing(finish, json(nullptr))) s.chunks.push_back(std::move(c));
  std::map<int, json> calls;
  for (const json& c : s.chunks) {
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    EXPECT_EQ(c["id"], "chatcmpl-test");
    const json& choice = c["choices"][0];
    if (!choice["finish_reason"].is_null()) s.finish_reasons.push_back(choice["finish_reason"]);
    const json& d = choice["delta"];
    if (d.contains("role")) s.message["role"] = d["role"];
    if (d.contains("content")) s.message["content"] = s.message["content"].get<std::string>() +
                                                      d["content"].get<std::string>();
    if (!d.contains("tool_calls")) continue;
    EXPECT_EQ(d["tool_calls"].size(), 1u);
    for (const json& tc : d["tool_calls"]) {
      const int index = tc["index"];
      if (!calls.count(index)) {
        // The first delta of a call carries its id, type and name.
        EXPECT_TRUE(tc.contains("id")) << tc;
        EXPECT_EQ(tc["type"], "function") << tc;
        EXPECT_TRUE(tc["function"]["name"].is_string()) << tc;
        calls[index] = {{"id", tc["id"]}, {"type", "function"},
                        {"function", {{"name", tc["function"]["name"]}, {"arguments", ""}}}};
      } else {
        EXPECT_FALSE(tc.contains("id")) << tc;
        EXPECT_FALSE(tc["function"].contains("name")) << tc;
      }
      json& f = calls[index]["function"];
      f["arguments"] = f["arguments"].get<std::string>() + tc["function"]["arguments"].get<std::string>();
    }
  }
  if (!calls.empty()) {
    s.message["tool_calls"] = json::array();
    int expect = 0;
    for (auto& [index, call] : calls) {
      EXPECT_EQ(index, expect++);  // indexes 0, 1, ... in order
      s.message["tool_calls"].push_back(call);
    }
  }
  return s;
}

// Whole and streamed in several piece sizes; the streamed message must equal the whole one
// (ids are "call_<index>" in both since make_id is the default).
json CheckBothWays(const ChatShapeOptions& o, std::string_view text, FinishReason finish,
                   const std::string& want_finish) {
  const json whole = ChatCompletionShaper(o).Whole(text, finish, json(nullptr));
  EXPECT_EQ(whole["object"], "chat.completion");
  const json& message = whole["choices"][0]["message"];
  EXPECT_EQ(whole["choices"][0]["finish_reason"], want_finish);
  for (size_t piece : {size_t(1), size_t(2), size_t(7), text.size() + 1}) {
    Stream s = RunStream(o, text, piece, finish);
    EXPECT_EQ(s.finish_reasons, std::vector<json>{json(want_finish)});
    json expected = message;
    if (expected["content"].is_null()) expected["content"] = "";  // streams send no null
    EXPECT_EQ(s.message, expected) << "piece " << piece;
  }
  return message;
}

TEST(ChatCompletionShaperTest, HermesParallelCallsOnlyCalls) {
  const json m = CheckBothWays(
      Options(ToolCallFormat::kHermes),
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Oslo\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Rome\"}}\n</tool_call>",
      FinishReason::kStop, "tool_calls");
  EXPECT_TRUE(m["content"].is_null());
  ASSERT_EQ(m["tool_calls"].size(), 2u);
  EXPECT_EQ(m["tool_calls"][0]["id"], "call_0");
  EXPECT_EQ(m["tool_calls"][0]["type"], "function");
  EXPECT_EQ(m["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(m["tool_calls"][0]["function"]["arguments"], R"({"location": "Oslo"})");
  EXPECT_EQ(m["tool_calls"][1]["id"], "call_1");
  EXPECT_EQ(m["tool_calls"][1]["function"]["arguments"], R"({"location": "Rome"})");
}

TEST(ChatCompletionShaperTest, StreamNeverCarriesMarkupAsContent) {
  const ChatShapeOptions o = Options(ToolCallFormat::kHermes);
  const std::string text =
      "Checking.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": \"<b>\"}}\n</tool_call>";
  for (size_t piece : {size_t(1), size_t(3)}) {
    Stream s = RunStream(o, text, piece, FinishReason::kStop);
    for (const json& c : s.chunks) {
      const json& d = c["choices"][0]["delta"];
      if (d.contains("content")) {
        EXPECT_EQ(d["content"].get<std::string>().find("tool_"), std::string::npos) << c;
      }
    }
    EXPECT_EQ(s.message["content"], "Checking.\n");
  }
  const json m = CheckBothWays(o, text, FinishReason::kStop, "tool_calls");
  EXPECT_EQ(m["content"], "Checking.\n");
  EXPECT_EQ(m["tool_calls"][0]["function"]["arguments"], R"({"q": "<b>"})");
}

TEST(ChatCompletionShaperTest, EachFamily) {
  struct Case {
    ToolCallFormat format;
    std::string text;
  };
  const Case cases[] = {
      {ToolCallFormat::kLlama3, R"({"name": "f", "parameters": {"x": 1}}; {"name": "g", "parameters": {}})"},
      {ToolCallFormat::kLlama3, R"(<|python_tag|>{"name": "f", "parameters": {"x": 1}}; {"name": "g", "parameters": {}})"},
      {ToolCallFormat::kPhi4, R"(<|tool_call|>[{"name": "f", "arguments": {"x": 1}}, {"name": "g", "arguments": {}}]<|/tool_call|>)"},
      {ToolCallFormat::kMistral, R"([TOOL_CALLS][{"name": "f", "arguments": {"x": 1}, "id": "abcdefghi"}, {"name": "g", "arguments": {}}])"},
      {ToolCallFormat::kGeneric, R"({"tool_calls": [{"name": "f", "arguments": {"x": 1}}, {"name": "g", "arguments": {}}]})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const json m = CheckBothWays(Options(c.format), c.text, FinishReason::kStop, "tool_calls");
    ASSERT_EQ(m["tool_calls"].size(), 2u);
    EXPECT_EQ(m["tool_calls"][0]["function"]["name"], "f");
    EXPECT_EQ(m["tool_calls"][0]["function"]["arguments"], R"({"x": 1})");
    EXPECT_EQ(m["tool_calls"][1]["function"]["name"], "g");
    EXPECT_EQ(m["tool_calls"][1]["function"]["arguments"], "{}");
  }
}

TEST(ChatCompletionShaperTest, PlainReplyKeepsStopAndNoToolCallsKey) {
  const json m = CheckBothWays(Options(ToolCallFormat::kHermes), "Hello <there>!",
                               FinishReason::kStop, "stop");
  EXPECT_EQ(m["content"], "Hello <there>!");
  EXPECT_FALSE(m.contains("tool_calls"));
}

TEST(ChatCompletionShaperTest, CutByMaxTokensInsideACallIsLength) {
  const json m = CheckBothWays(Options(ToolCallFormat::kHermes),
                               "<tool_call>{\"name\": \"f\", \"arguments\": {\"city\": \"Par",
                               FinishReason::kLength, "length");
  ASSERT_EQ(m["tool_calls"].size(), 1u);
  EXPECT_EQ(m["tool_calls"][0]["function"]["arguments"], R"({"city": "Par)");
  // Cut before the call started: plain text, finish "length".
  const json t = CheckBothWays(Options(ToolCallFormat::kHermes), "<tool_call>{\"na",
                               FinishReason::kLength, "length");
  EXPECT_EQ(t["content"], "<tool_call>{\"na");
  EXPECT_FALSE(t.contains("tool_calls"));
}

TEST(ChatCompletionShaperTest, ParallelOffReportsOnlyTheFirstCall) {
  const json m = CheckBothWays(
      Options(ToolCallFormat::kHermes, /*parallel=*/false),
      "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", "
      "\"arguments\": {}}</tool_call>",
      FinishReason::kStop, "tool_calls");
  ASSERT_EQ(m["tool_calls"].size(), 1u);
  EXPECT_EQ(m["tool_calls"][0]["function"]["name"], "a");
}

TEST(ChatCompletionShaperTest, NoToolsMeansNoParsing) {
  const std::string text = "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>";
  const json m = CheckBothWays(Options(ToolCallFormat::kNone), text, FinishReason::kStop, "stop");
  EXPECT_EQ(m["content"], text);
  EXPECT_FALSE(m.contains("tool_calls"));
}

TEST(ChatCompletionShaperTest, UsageChunkAndRandomIds) {
  ChatShapeOptions o = Options(ToolCallFormat::kHermes);
  o.make_id = RandomCallIds(ToolCallFormat::kHermes);
  ChatCompletionShaper shaper(o);
  auto chunks = shaper.Chunks("<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>");
  ASSERT_FALSE(chunks.empty());
  const std::string id = chunks[0]["choices"][0]["delta"]["tool_calls"][0]["id"];
  EXPECT_EQ(id.size(), 5u + 24u);
  EXPECT_TRUE(id.starts_with("call_"));
  const json usage = {{"prompt_tokens", 3}, {"completion_tokens", 4}, {"total_tokens", 7}};
  auto closing = shaper.Closing(FinishReason::kStop, usage);
  ASSERT_EQ(closing.size(), 2u);
  EXPECT_EQ(closing[0]["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(closing[1]["choices"], json::array());
  EXPECT_EQ(closing[1]["usage"], usage);
  const std::string mistral = RandomCallIds(ToolCallFormat::kMistral)(0);
  EXPECT_EQ(mistral.size(), 9u);
  for (char c : mistral) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << mistral;
}

}  // namespace
}  // namespace foundry::service
