// ToolCallParser per format: single and parallel calls, content around them, malformed and
// truncated markup, unicode; streaming (any chunking, byte by byte) must equal parsing at once.
// Format detection and tool rendering against the real templates in ../shared/templates.

#include "foundry/runtime/chat/tool_calls.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/shared_data.h"

namespace foundry::runtime::chat {
namespace {

using foundry::testing::ReadFileText;
using foundry::testing::SharedPath;
using Kind = ToolCallEvent::Kind;

struct Outcome {
  std::vector<ToolCallEvent> events;  // adjacent content / same-call argument events merged
  std::string content;
  std::vector<ToolCall> calls;
  std::vector<std::string> errors;
};

std::vector<ToolCallEvent> Merge(const std::vector<ToolCallEvent>& in) {
  std::vector<ToolCallEvent> out;
  for (const ToolCallEvent& e : in) {
    const bool merges = e.kind == Kind::kContent || e.kind == Kind::kArguments;
    if (merges && !out.empty() && out.back().kind == e.kind && out.back().index == e.index) {
      out.back().text += e.text;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

// Feeds `text` in pieces of `chunk` bytes (0: at once), a fresh event vector per call, as the
// service does.
Outcome Parse(ToolCallFormat format, std::string_view text, size_t chunk = 0) {
  ToolCallParser parser({.format = format});
  std::vector<ToolCallEvent> all;
  const size_t step = chunk == 0 ? std::max<size_t>(text.size(), 1) : chunk;
  for (size_t at = 0; at < text.size(); at += step) {
    std::vector<ToolCallEvent> events;
    parser.Feed(text.substr(at, step), &events);
    all.insert(all.end(), events.begin(), events.end());
  }
  std::vector<ToolCallEvent> events;
  parser.Finish(&events);
  all.insert(all.end(), events.begin(), events.end());
  return {Merge(all), parser.content(), parser.calls(), parser.errors()};
}

void ExpectSame(const Outcome& a, const Outcome& b, const std::string& what) {
  EXPECT_EQ(a.content, b.content) << what;
  EXPECT_EQ(a.errors, b.errors) << what;
  ASSERT_EQ(a.calls.size(), b.calls.size()) << what;
  for (size_t i = 0; i < a.calls.size(); ++i) {
    EXPECT_EQ(a.calls[i].name, b.calls[i].name) << what;
    EXPECT_EQ(a.calls[i].id, b.calls[i].id) << what;
    EXPECT_EQ(a.calls[i].arguments, b.calls[i].arguments) << what;
    EXPECT_EQ(a.calls[i].complete, b.calls[i].complete) << what;
  }
  EXPECT_EQ(a.events, b.events) << what;
}

// The events must tell the same story as the final state: content, and per call one start with
// its id and name, argument pieces that add up to its arguments, one end.
void ExpectEventsMatchState(const Outcome& o, const std::string& what) {
  std::string content;
  std::vector<std::string> args(o.calls.size());
  std::vector<int> starts(o.calls.size()), ends(o.calls.size());
  for (const ToolCallEvent& e : o.events) {
    if (e.kind == Kind::kContent) {
      content += e.text;
      continue;
    }
    ASSERT_GE(e.index, 0) << what;
    ASSERT_LT(size_t(e.index), o.calls.size()) << what;
    const ToolCall& c = o.calls[size_t(e.index)];
    if (e.kind == Kind::kCallStart) {
      EXPECT_EQ(e.text, c.name) << what;
      EXPECT_EQ(e.id, c.id) << what;
      EXPECT_EQ(ends[size_t(e.index)], 0) << what;
      ++starts[size_t(e.index)];
    } else if (e.kind == Kind::kArguments) {
      EXPECT_EQ(starts[size_t(e.index)], 1) << what << ": arguments before the start";
      EXPECT_EQ(ends[size_t(e.index)], 0) << what << ": arguments after the end";
      args[size_t(e.index)] += e.text;
    } else {
      ++ends[size_t(e.index)];
    }
  }
  EXPECT_EQ(content, o.content) << what;
  for (size_t i = 0; i < o.calls.size(); ++i) {
    EXPECT_EQ(o.calls[i].index, int(i)) << what;
    EXPECT_EQ(starts[i], 1) << what;
    EXPECT_EQ(ends[i], 1) << what;
    EXPECT_EQ(args[i], o.calls[i].arguments) << what;
  }
}

// Parses `text` at once, byte by byte and in 3-byte pieces, checks they agree, and returns the
// outcome. Also truncates `text` at every byte offset: each prefix must give the same outcome
// at once and byte by byte, keep its events consistent, and report only argument text that the
// full output also reports for that call.
Outcome ParseEverySplit(ToolCallFormat format, std::string_view text) {
  const Outcome whole = Parse(format, text);
  ExpectEventsMatchState(whole, std::string(text));
  ExpectSame(whole, Parse(format, text, 1), "byte by byte: " + std::string(text));
  ExpectSame(whole, Parse(format, text, 3), "3-byte pieces: " + std::string(text));
  for (size_t n = 0; n <= text.size(); ++n) {
    const std::string_view prefix = text.substr(0, n);
    const std::string what = "prefix " + std::to_string(n) + ": " + std::string(prefix);
    const Outcome once = Parse(format, prefix);
    ExpectSame(once, Parse(format, prefix, 1), what);
    ExpectEventsMatchState(once, what);
    for (const ToolCall& c : once.calls) {
      if (size_t(c.index) < whole.calls.size() && whole.calls[size_t(c.index)].complete &&
          c.arguments != "{}") {
        EXPECT_TRUE(whole.calls[size_t(c.index)].arguments.starts_with(c.arguments)) << what;
      }
    }
  }
  return whole;
}

void ExpectCall(const ToolCall& c, int index, const std::string& name, const std::string& args,
                bool complete = true) {
  EXPECT_EQ(c.index, index);
  EXPECT_EQ(c.id, "call_" + std::to_string(index));
  EXPECT_EQ(c.name, name);
  EXPECT_EQ(c.arguments, args);
  EXPECT_EQ(c.complete, complete);
}

// ---- Hermes / Qwen ----

TEST(ToolCallParserTest, HermesSingleCall) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kHermes,
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>");
  EXPECT_EQ(o.content, "");
  EXPECT_TRUE(o.errors.empty());
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "get_weather", R"({"location": "Paris"})");
  // Byte by byte: first the start with id and name, then only argument text, then the end.
  const std::vector<ToolCallEvent> expected = {
      {.kind = Kind::kCallStart, .index = 0, .id = "call_0", .text = "get_weather"},
      {.kind = Kind::kArguments, .index = 0, .text = R"({"location": "Paris"})"},
      {.kind = Kind::kCallEnd, .index = 0}};
  EXPECT_EQ(o.events, expected);
}

TEST(ToolCallParserTest, HermesParallelCallsWithContentBeforeAndAfter) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kHermes,
      "Let me check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": "
      "\"Oslo\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": "
      "\"Europe/Rome\", \"h24\": true, \"n\": -1.5e3}}\n</tool_call>\nDone.");
  EXPECT_EQ(o.content, "Let me check both.\nDone.");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "get_weather", R"({"location": "Oslo"})");
  ExpectCall(o.calls[1], 1, "get_time", R"({"tz": "Europe/Rome", "h24": true, "n": -1.5e3})");
}

TEST(ToolCallParserTest, HermesUnicodeArguments) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kHermes,
      "<tool_call>{\"name\": \"translate\", \"arguments\": {\"text\": \"Zürich — 東京 🌧\", "
      "\"esc\": \"\\u00fc\\n\\\"q\\\"\"}}</tool_call>");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "translate",
             "{\"text\": \"Zürich — 東京 🌧\", \"esc\": \"\\u00fc\\n\\\"q\\\"\"}");
}

TEST(ToolCallParserTest, HermesArgumentsBeforeNameAndMissingArguments) {
  Outcome o = ParseEverySplit(ToolCallFormat::kHermes,
                              R"(<tool_call>{"arguments": {"a": [1, {"b": null}]}, "name": "f"}</tool_call>)");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "f", R"({"a": [1, {"b": null}]})");
  o = ParseEverySplit(ToolCallFormat::kHermes, R"(<tool_call>{"name": "now"}</tool_call>)");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "now", "{}");
}

TEST(ToolCallParserTest, HermesArgumentsAsJsonStringAreDecoded) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kHermes, R"(<tool_call>{"name": "f", "arguments": "{\"x\": \"é\"}"}</tool_call>)");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "f", R"({"x": "é"})");
}

TEST(ToolCallParserTest, HermesMalformedBeforeStartIsContent) {
  // Not JSON at all: the markup comes back verbatim and a later block still counts.
  const std::string text =
      "<tool_call>{name: f}</tool_call> then <tool_call>{\"name\": \"g\", \"arguments\": {}}</tool_call>";
  const Outcome o = ParseEverySplit(ToolCallFormat::kHermes, text);
  EXPECT_EQ(o.content, "<tool_call>{name: f}</tool_call> then ");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "g", "{}");
  EXPECT_TRUE(o.errors.empty());
  // Valid JSON without a name is no call either.
  const Outcome n = ParseEverySplit(ToolCallFormat::kHermes, R"(<tool_call>{"x": 1}</tool_call>)");
  EXPECT_EQ(n.content, R"(<tool_call>{"x": 1}</tool_call>)");
  EXPECT_TRUE(n.calls.empty());
}

TEST(ToolCallParserTest, HermesMalformedAfterStartEndsTheCallAndDropsTheBlock) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kHermes,
      "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": }}</tool_call>After.");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "f", R"({"a": )", /*complete=*/false);
  EXPECT_EQ(o.content, "After.");
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_NE(o.errors[0].find("expected a JSON value, got '}'"), std::string::npos) << o.errors[0];
}

TEST(ToolCallParserTest, HermesTruncatedOutput) {
  // Cut inside the arguments: the call keeps what was written and is flagged incomplete.
  Outcome o = Parse(ToolCallFormat::kHermes,
                  "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Pa", 1);
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "get_weather", R"({"location": "Pa)", false);
  EXPECT_EQ(o.content, "");
  EXPECT_EQ(o.errors, std::vector<std::string>{"the output ended inside a tool call"});
  // Cut before the call started: the text is content.
  o = Parse(ToolCallFormat::kHermes, "Sure. <tool_call>\n{\"name\": \"get_wea", 1);
  EXPECT_TRUE(o.calls.empty());
  EXPECT_EQ(o.content, "Sure. <tool_call>\n{\"name\": \"get_wea");
  // Cut after the JSON but before the closing tag: the call is whole.
  o = Parse(ToolCallFormat::kHermes, "<tool_call>{\"name\": \"f\", \"arguments\": {}}\n</tool_", 1);
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "f", "{}");
  EXPECT_EQ(o.content, "");
}

TEST(ToolCallParserTest, HoldsBackOnlyWhatMayBecomeAMarker) {
  ToolCallParser p({.format = ToolCallFormat::kHermes});
  std::vector<ToolCallEvent> ev;
  p.Feed("Hello <tool", &ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].text, "Hello ");
  ev.clear();
  p.Feed("s are fun", &ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].text, "<tools are fun");
  ev.clear();
  p.Feed(" <", &ev);
  p.Finish(&ev);
  EXPECT_EQ(p.content(), "Hello <tools are fun <");
}

TEST(ToolCallParserTest, NoneFormatPassesMarkupThrough) {
  const std::string text = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  const Outcome o = ParseEverySplit(ToolCallFormat::kNone, text);
  EXPECT_EQ(o.content, text);
  EXPECT_TRUE(o.calls.empty());
}

// ---- Llama 3.x ----

TEST(ToolCallParserTest, Llama3BareJsonSingleAndParallel) {
  Outcome o = ParseEverySplit(ToolCallFormat::kLlama3,
                              R"({"name": "get_weather", "parameters": {"location": "Paris"}})");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "get_weather", R"({"location": "Paris"})");
  EXPECT_EQ(o.content, "");
  o = ParseEverySplit(ToolCallFormat::kLlama3,
                      "\n{\"name\": \"a\", \"parameters\": {\"x\": 1}}; {\"name\": \"b\", "
                      "\"parameters\": {\"y\": [2]}}");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "a", R"({"x": 1})");
  ExpectCall(o.calls[1], 1, "b", R"({"y": [2]})");
  EXPECT_EQ(o.content, "");
}

TEST(ToolCallParserTest, Llama3PythonTagWithContentBefore) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kLlama3,
      "Checking.<|python_tag|>{\"name\": \"search\", \"parameters\": {\"q\": \"naïve ☕\"}}");
  EXPECT_EQ(o.content, "Checking.");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "search", R"({"q": "naïve ☕"})");
}

TEST(ToolCallParserTest, Llama3JsonAnswersAreNotCalls) {
  for (std::string text : {R"({"answer": 42})", R"({"name": "Bob", "age": 7})",
                           R"( {"name": "Bob"} and more)", "{not json"}) {
    const Outcome o = ParseEverySplit(ToolCallFormat::kLlama3, text);
    EXPECT_TRUE(o.calls.empty()) << text;
    EXPECT_EQ(o.content, text) << text;
  }
  // JSON later in a reply is plain text; only the start of the output may be a bare call.
  const std::string later = R"(Here: {"name": "a", "parameters": {}})";
  EXPECT_EQ(ParseEverySplit(ToolCallFormat::kLlama3, later).content, later);
}

TEST(ToolCallParserTest, Llama3MalformedSecondCall) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kLlama3, R"({"name": "a", "parameters": {}}; {"name": "b", "parameters": {"x": tru})");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "a", "{}");
  ExpectCall(o.calls[1], 1, "b", R"({"x": tru)", false);
  EXPECT_EQ(o.content, "");
  EXPECT_EQ(o.errors.size(), 1u);
}

// ---- Phi-4-mini / Granite ----

TEST(ToolCallParserTest, Phi4ParallelArray) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kPhi4,
      "<|tool_call|>[{\"name\": \"a\", \"arguments\": {\"k\": \"v\"}}, {\"type\": \"function\", "
      "\"function\": {\"name\": \"b\", \"arguments\": {\"n\": 2}}}]<|/tool_call|>");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "a", R"({"k": "v"})");
  ExpectCall(o.calls[1], 1, "b", R"({"n": 2})");
  EXPECT_EQ(o.content, "");
}

TEST(ToolCallParserTest, Phi4WithoutClosingTagAndContentBefore) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kPhi4, "I will look it up. <|tool_call|>[{\"name\": \"lookup\", \"arguments\": {}}]");
  EXPECT_EQ(o.content, "I will look it up. ");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "lookup", "{}");
}

TEST(ToolCallParserTest, Phi4ArrayElementThatIsNoObject) {
  Outcome o = ParseEverySplit(ToolCallFormat::kPhi4, "<|tool_call|>[\"a\"]<|/tool_call|>");
  EXPECT_TRUE(o.calls.empty());
  EXPECT_EQ(o.content, "<|tool_call|>[\"a\"]<|/tool_call|>");
  // After a started call the rest of the block is dropped up to the closing tag.
  o = ParseEverySplit(ToolCallFormat::kPhi4,
                      "<|tool_call|>[{\"name\": \"a\", \"arguments\": {}}, 7, {\"name\": \"b\"}]<|/tool_call|>ok");
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "a", "{}");
  EXPECT_EQ(o.content, "ok");
  EXPECT_EQ(o.errors.size(), 1u);
}

// ---- Mistral ----

TEST(ToolCallParserTest, MistralArrayWithIds) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kMistral,
      "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}, \"id\": "
      "\"call12345\"}, {\"name\": \"get_weather\", \"arguments\": {\"location\": \"Río\"}, \"id\": \"abc123XYZ\"}]");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "get_weather", R"({"location": "Paris"})");
  ExpectCall(o.calls[1], 1, "get_weather", R"({"location": "Río"})");
  EXPECT_EQ(o.content, "");
}

TEST(ToolCallParserTest, MistralTruncatedAndMalformed) {
  const std::string text = "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"a\": 1}}, {\"name\"";
  const Outcome o = ParseEverySplit(ToolCallFormat::kMistral, text);
  ASSERT_EQ(o.calls.size(), 1u);
  ExpectCall(o.calls[0], 0, "f", R"({"a": 1})");
  EXPECT_EQ(o.errors.size(), 1u);
  // The newer "[TOOL_CALLS]name[ARGS]{...}" syntax is not recognised: it stays text.
  const Outcome n = ParseEverySplit(ToolCallFormat::kMistral, "[TOOL_CALLS]f[ARGS]{}");
  EXPECT_TRUE(n.calls.empty());
  EXPECT_EQ(n.content, "[TOOL_CALLS]f[ARGS]{}");
}

// ---- Generic JSON fallback (every format) ----

TEST(ToolCallParserTest, GenericToolCallsObject) {
  const Outcome o = ParseEverySplit(
      ToolCallFormat::kGeneric,
      R"({"tool_calls": [{"name": "a", "arguments": {"x": 1}}, {"type": "function", "function": {"name": "b", "arguments": "{\"y\": 2}"}}]})");
  ASSERT_EQ(o.calls.size(), 2u);
  ExpectCall(o.calls[0], 0, "a", R"({"x": 1})");
  ExpectCall(o.calls[1], 1, "b", R"({"y": 2})");
  EXPECT_EQ(o.content, "");
}

TEST(ToolCallParserTest, GenericNameArgumentsAndFallbackInOtherFormats) {
  for (ToolCallFormat f : {ToolCallFormat::kGeneric, ToolCallFormat::kHermes, ToolCallFormat::kPhi4,
                           ToolCallFormat::kMistral}) {
    const Outcome o = ParseEverySplit(f, R"(  {"name": "a", "arguments": {"x": "y"}})");
    ASSERT_EQ(o.calls.size(), 1u) << ToolCallFormatName(f);
    ExpectCall(o.calls[0], 0, "a", R"({"x": "y"})");
    EXPECT_EQ(o.content, "");
  }
  const Outcome e = ParseEverySplit(ToolCallFormat::kGeneric, R"({"tool_calls": []})");
  EXPECT_TRUE(e.calls.empty());
  EXPECT_EQ(e.content, R"({"tool_calls": []})");
}

TEST(ToolCallParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string args(200, '[');
  const std::string text = "<tool_call>{\"name\": \"f\", \"arguments\": " + args;
  const Outcome o = Parse(ToolCallFormat::kHermes, text, 1);
  ASSERT_EQ(o.calls.size(), 1u);
  EXPECT_FALSE(o.calls[0].complete);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_NE(o.errors[0].find("nested deeper"), std::string::npos);
}

TEST(ToolCallParserTest, IdsComeFromMakeId) {
  auto parsed = ParseToolCalls(
      "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", "
      "\"arguments\": {}}</tool_call>",
      {.format = ToolCallFormat::kHermes,
       .make_id = [](int i) { return "call_req7_" + std::to_string(i); }});
  ASSERT_EQ(parsed.calls.size(), 2u);
  EXPECT_EQ(parsed.calls[0].id, "call_req7_0");
  EXPECT_EQ(parsed.calls[1].id, "call_req7_1");
}

// ---- Format detection and tool rendering on the real templates ----

std::string Template(const std::string& name) {
  return ReadFileText(SharedPath("templates/" + name + ".jinja"));
}

TEST(ToolCallFormatTest, DetectsEachTemplatesFormat) {
  const std::pair<const char*, ToolCallFormat> cases[] = {
      {"Qwen-Qwen2.5-7B-Instruct", ToolCallFormat::kHermes},
      {"Qwen-Qwen3-0.6B", ToolCallFormat::kHermes},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use", ToolCallFormat::kHermes},
      {"meta-llama-Llama-3.1-8B-Instruct", ToolCallFormat::kLlama3},
      {"meta-llama-Llama-3.2-3B-Instruct", ToolCallFormat::kLlama3},
      {"mistralai-Mistral-Nemo-Instruct-2407", ToolCallFormat::kMistral},
      {"ibm-granite-granite-3.3-2B-Instruct", ToolCallFormat::kPhi4},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", ToolCallFormat::kGeneric},
      {"openai-gpt-oss-120b", ToolCallFormat::kGeneric},
      {"google-gemma-2-2b-it", ToolCallFormat::kNone},
  };
  for (const auto& [name, format] : cases)
    EXPECT_EQ(ToolCallFormatName(DetectToolCallFormat(Template(name))), ToolCallFormatName(format))
        << name;
  EXPECT_EQ(DetectToolCallFormat(ChatTemplate::BuiltinSource("chatml")), ToolCallFormat::kHermes);
  EXPECT_EQ(DetectToolCallFormat(ChatTemplate::BuiltinSource("llama3")), ToolCallFormat::kLlama3);
}

// Phi-4-mini-instruct's template (Hugging Face microsoft/Phi-4-mini-instruct): tools travel in
// the system message's "tools" field.
constexpr std::string_view kPhi4MiniTemplate =
    "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and "
    "message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + "
    "'<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + "
    "message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}";

TEST(ToolCallFormatTest, Phi4MiniGetsToolsThroughTheSystemMessage) {
  EXPECT_EQ(DetectToolCallFormat(kPhi4MiniTemplate), ToolCallFormat::kPhi4);
  EXPECT_TRUE(TemplateRendersTools(kPhi4MiniTemplate));
  auto tmpl = ChatTemplate::FromSource(kPhi4MiniTemplate, {});
  ASSERT_TRUE(tmpl.ok());
  ChatInput in;
  in.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
  in.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {"name": "f"}}])");
  AttachToolsToSystemMessage(kPhi4MiniTemplate, &in);
  auto out = tmpl->Apply(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "<|system|><|tool|>[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]<|/tool|>"
            "<|end|><|user|>hi<|end|><|assistant|>");
}

TEST(ToolCallFormatTest, WhichTemplatesRenderTools) {
  for (const char* name : {"Qwen-Qwen2.5-7B-Instruct", "Qwen-Qwen3-0.6B",
                           "NousResearch-Hermes-3-Llama-3.1-8B-tool_use",
                           "meta-llama-Llama-3.1-8B-Instruct", "meta-llama-Llama-3.2-3B-Instruct",
                           "mistralai-Mistral-Nemo-Instruct-2407",
                           "ibm-granite-granite-3.3-2B-Instruct", "openai-gpt-oss-120b"})
    EXPECT_TRUE(TemplateRendersTools(Template(name))) << name;
  for (const char* name : {"google-gemma-2-2b-it", "microsoft-Phi-3.5-mini-instruct",
                           "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"})
    EXPECT_FALSE(TemplateRendersTools(Template(name))) << name;
  EXPECT_TRUE(TemplateRendersTools(ChatTemplate::BuiltinSource("chatml")));
  EXPECT_TRUE(TemplateRendersTools(ChatTemplate::BuiltinSource("llama3")));
  for (const char* name : {"phi3", "gemma", "mistral"})
    EXPECT_FALSE(TemplateRendersTools(ChatTemplate::BuiltinSource(name))) << name;
  EXPECT_FALSE(TemplateRendersTools("{% if %}"));
}

}  // namespace
}  // namespace foundry::runtime::chat
