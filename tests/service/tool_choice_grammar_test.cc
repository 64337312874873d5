// ApplyToolChoiceConstraint per tool-call format: the grammar accepts exactly the markup the
// tool-call parser reads (so enforced output always comes back as tool_calls), only the offered
// tools, arguments valid against their schema, and the number of calls the request allows.

#include <gtest/gtest.h>

#include <string>

#include "foundry/runtime/chat/tool_calls.h"
#include "foundry/runtime/grammar/grammar_matcher.h"
#include "service/tool_request.h"

namespace foundry::service {
namespace {

using nlohmann::ordered_json;
using runtime::chat::ToolCallFormat;

const ordered_json kBody = ordered_json::parse(R"({"tools": [
  {"type": "function", "function": {"name": "get_weather", "parameters": {
     "type": "object", "properties": {"location": {"type": "string"}},
     "required": ["location"], "additionalProperties": false}}},
  {"type": "function", "function": {"name": "ping"}}]})");

struct FormatCase {
  ToolCallFormat format;
  std::string one;  // a get_weather call as the format writes it
  std::string two;  // get_weather then ping (parallel calls)
};

const FormatCase kCases[] = {
    {ToolCallFormat::kHermes,
     "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>",
     "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>\n"
     "<tool_call>\n{\"name\": \"ping\", \"arguments\": {}}\n</tool_call>"},
    {ToolCallFormat::kLlama3, "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}",
     "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}; "
     "{\"name\": \"ping\", \"parameters\": {}}"},
    {ToolCallFormat::kPhi4,
     "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}]<|/tool_call|>",
     "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}]<|/tool_call|>"
     "<|tool_call|>[{\"name\": \"ping\", \"arguments\": {}}]<|/tool_call|>"},
    {ToolCallFormat::kMistral, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}]",
     "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}]"
     "[TOOL_CALLS][{\"name\": \"ping\", \"arguments\": {}}]"},
    {ToolCallFormat::kGeneric, "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}",
     "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}; "
     "{\"name\": \"ping\", \"arguments\": {}}"},
};

std::shared_ptr<const runtime::grammar::Grammar> GrammarFor(const ordered_json& body, ToolCallFormat format) {
  std::string param;
  auto request = ParseToolRequest(body, &param);
  EXPECT_TRUE(request.ok()) << request.status().ToString();
  runtime::GenerateOptions gen;
  Status st = ApplyToolChoiceConstraint(*request, format, &gen, &param);
  EXPECT_TRUE(st.ok()) << st.ToString() << " " << param;
  return gen.grammar;
}

bool Accepts(const std::shared_ptr<const runtime::grammar::Grammar>& g, const std::string& text) {
  runtime::grammar::GrammarMatcher m(g);
  return m.Accept(text).ok() && m.IsAccepting(m.state());
}

TEST(ToolChoiceGrammarTest, EachFormatAcceptsWhatItsParserReads) {
  for (const FormatCase& c : kCases) {
    SCOPED_TRACE(std::string(runtime::chat::ToolCallFormatName(c.format)));
    ordered_json body = kBody;
    body["tool_choice"] = "required";
    auto g = GrammarFor(body, c.format);
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(Accepts(g, c.one));
    EXPECT_TRUE(Accepts(g, c.two));
    EXPECT_FALSE(Accepts(g, "Sure, let me check."));
    EXPECT_FALSE(Accepts(g, ""));

    auto parsed = runtime::chat::ParseToolCalls(c.two, {.format = c.format});
    ASSERT_EQ(parsed.calls.size(), 2u) << c.two;
    EXPECT_EQ(parsed.calls[0].name, "get_weather");
    EXPECT_EQ(parsed.calls[0].arguments, "{\"location\": \"Paris\"}");
    EXPECT_TRUE(parsed.calls[0].complete);
    EXPECT_EQ(parsed.calls[1].name, "ping");
    EXPECT_EQ(parsed.calls[1].arguments, "{}");
    EXPECT_EQ(parsed.content, "");
    EXPECT_TRUE(parsed.errors.empty());

    // Arguments must satisfy the schema; names must be offered.
    std::string bad = c.one;
    bad.replace(bad.find("\"location\""), 10, "\"place\"");
    EXPECT_FALSE(Accepts(g, bad)) << bad;
    std::string other = c.one;
    other.replace(other.find("get_weather"), 11, "get_wetter");
    EXPECT_FALSE(Accepts(g, other)) << other;

    // No parallel calls: one call only. Named: only that function, once.
    body["parallel_tool_calls"] = false;
    g = GrammarFor(body, c.format);
    EXPECT_TRUE(Accepts(g, c.one));
    EXPECT_FALSE(Accepts(g, c.two));
    body["parallel_tool_calls"] = true;
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
    g = GrammarFor(body, c.format);
    EXPECT_TRUE(Accepts(g, c.one));
    EXPECT_FALSE(Accepts(g, c.two));
  }
}

TEST(ToolChoiceGrammarTest, ParallelCallsAreBounded) {
  ordered_json body = kBody;
  body["tool_choice"] = "required";
  auto g = GrammarFor(body, ToolCallFormat::kLlama3);
  const std::string call = "{\"name\": \"ping\", \"parameters\": {}}";
  std::string text = call;
  for (uint32_t i = 1; i < kMaxParallelToolCalls; ++i) text += "; " + call;
  EXPECT_TRUE(Accepts(g, text));
  EXPECT_FALSE(Accepts(g, text + "; " + call));
}

TEST(ToolChoiceGrammarTest, AutoAndNoneAddNoGrammar) {
  for (const char* choice : {"auto", "none"}) {
    ordered_json body = kBody;
    body["tool_choice"] = choice;
    EXPECT_EQ(GrammarFor(body, ToolCallFormat::kHermes), nullptr) << choice;
  }
}

TEST(ToolChoiceGrammarTest, RefusedParametersSchemaNamesTheTool) {
  ordered_json body = kBody;
  body["tools"][0]["function"]["parameters"]["properties"]["location"]["pattern"] = "^[A-Z]";
  body["tool_choice"] = "required";
  std::string param;
  auto request = ParseToolRequest(body, &param);
  ASSERT_TRUE(request.ok());
  runtime::GenerateOptions gen;
  Status st = ApplyToolChoiceConstraint(*request, ToolCallFormat::kHermes, &gen, &param);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(param, "tools[0].function.parameters");
  EXPECT_NE(st.message().find("get_weather"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("pattern"), std::string::npos) << st.message();
  EXPECT_EQ(gen.grammar, nullptr);
  // Named the other tool: the refused schema is not needed.
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "ping"}}}};
  request = ParseToolRequest(body, &param);
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(ApplyToolChoiceConstraint(*request, ToolCallFormat::kHermes, &gen, &param).ok());
  EXPECT_NE(gen.grammar, nullptr);
}

}  // namespace
}  // namespace foundry::service
