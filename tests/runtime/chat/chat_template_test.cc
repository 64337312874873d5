#include "foundry/runtime/chat/chat_template.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>

#include "support/shared_data.h"

namespace foundry::runtime::chat {
namespace {

using foundry::testing::ReadFileText;
using foundry::testing::SharedPath;

// The frozen date the reference outputs were rendered with (shared/templates/README.md).
jinja::RenderOptions FrozenOptions() {
  jinja::RenderOptions o;
  o.clock = [] {
    using namespace std::chrono;
    return sys_days{year{2026} / January / 15};
  };
  return o;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- shared/templates: every (template, case) renders byte-identical to Hugging Face's
// apply_chat_template, or fails where it raised.

constexpr const char* kTemplates[] = {
    "Qwen-Qwen2.5-7B-Instruct",
    "Qwen-Qwen3-0.6B",
    "meta-llama-Llama-3.1-8B-Instruct",
    "meta-llama-Llama-3.2-3B-Instruct",
    "microsoft-Phi-3.5-mini-instruct",
    "mistralai-Mistral-Nemo-Instruct-2407",
    "HuggingFaceTB-SmolLM3-3B",
    "google-gemma-2-2b-it",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use",
    "ibm-granite-granite-3.3-2B-Instruct",
    "openai-gpt-oss-120b",
};

constexpr const char* kCases[] = {
    "single_user",     "system_user",     "multi_turn",           "multi_turn_no_gen",
    "multi_turn_long", "tools_available", "tool_call_and_result", "tool_call_null_content",
    "unicode",         "empty_system",    "whitespace_content",
};

nlohmann::ordered_json LoadCases() {
  return nlohmann::ordered_json::parse(ReadFileText(SharedPath("templates/cases.json")));
}

std::optional<std::string> Token(const nlohmann::ordered_json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<std::string>();
}

TEST(SharedTemplates, CasesJsonListsTheTemplatesAndCasesTestedHere) {
  auto cases = LoadCases();
  ASSERT_EQ(cases["templates"].size(), std::size(kTemplates));
  for (const char* t : kTemplates) EXPECT_TRUE(cases["templates"].contains(t)) << t;
  ASSERT_EQ(cases["cases"].size(), std::size(kCases));
  for (const char* c : kCases) EXPECT_TRUE(cases["cases"].contains(c)) << c;
}

class SharedTemplateTest : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(SharedTemplateTest, MatchesHuggingFace) {
  const auto [tname, cname] = GetParam();
  auto all = LoadCases();
  const auto& tok = all["templates"][tname];
  const auto& c = all["cases"][cname];
  auto tmpl = ChatTemplate::FromSource(
      ReadFileText(SharedPath(std::string("templates/") + tname + ".jinja")),
      {.bos_token = Token(tok["bos_token"]), .eos_token = Token(tok["eos_token"])});
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();

  ChatInput in;
  in.messages = c["messages"];
  in.add_generation_prompt = c["add_generation_prompt"].get<bool>();
  if (c.contains("tools")) in.tools = c["tools"];
  auto out = tmpl->Apply(in, FrozenOptions());

  std::string base =
      foundry::testing::SharedDir().string() + "/templates/expected/" + tname + "__" + cname;
  if (std::filesystem::exists(base + ".err")) {
    std::string err = ReadFileText(base + ".err");
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    ASSERT_FALSE(out.ok()) << "expected " << err << ", rendered:\n" << *out;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    // "chat template: line L, column C: <Python exception>"
    EXPECT_EQ(out.status().message().rfind("chat template: line ", 0), 0u)
        << out.status().message();
    EXPECT_TRUE(EndsWith(out.status().message(), err))
        << out.status().message() << "\nwant suffix: " << err;
  } else {
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, ReadFileText(base + ".txt"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, SharedTemplateTest,
                         ::testing::Combine(::testing::ValuesIn(kTemplates),
                                            ::testing::ValuesIn(kCases)),
                         [](const auto& info) {
                           std::string name = std::string(std::get<0>(info.param)) + "__" +
                                              std::get<1>(info.param);
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(SharedTemplates, RaiseExceptionMessageReachesTheCaller) {
  auto tmpl = ChatTemplate::FromSource(
      ReadFileText(SharedPath("templates/google-gemma-2-2b-it.jinja")), {.bos_token = "<bos>"});
  ASSERT_TRUE(tmpl.ok());
  ChatInput in;
  in.messages = nlohmann::ordered_json::parse(
      R"([{"role": "system", "content": "x"}, {"role": "user", "content": "y"}])");
  auto out = tmpl->Apply(in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "chat template: line 1, column 59: TemplateError: System role not supported");
}

TEST(SharedTemplates, ExtraContextReachesTheTemplate) {
  auto tmpl = ChatTemplate::FromSource(ReadFileText(SharedPath("templates/Qwen-Qwen3-0.6B.jinja")),
                                       {.eos_token = "<|im_end|>"});
  ASSERT_TRUE(tmpl.ok());
  ChatInput in;
  in.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "Hi"}])");
  in.extra_context = {{"enable_thinking", false}};
  auto out = tmpl->Apply(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(SharedTemplates, StrftimeNowUsesTheInjectedClock) {
  auto tmpl = ChatTemplate::FromSource(
      ReadFileText(SharedPath("templates/meta-llama-Llama-3.2-3B-Instruct.jinja")),
      {.bos_token = "<|begin_of_text|>", .eos_token = "<|eot_id|>"});
  ASSERT_TRUE(tmpl.ok());
  ChatInput in;
  in.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "Hi"}])");
  jinja::RenderOptions o;
  o.clock = [] {
    using namespace std::chrono;
    return sys_days{year{2024} / March / 5} + hours{23};
  };
  auto out = tmpl->Apply(in, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find("Today Date: 05 Mar 2024\n"), std::string::npos) << *out;
}

// ---- input validation

TEST(ChatTemplateInput, RejectsMalformedInput) {
  auto tmpl = ChatTemplate::Builtin("chatml", {});
  ASSERT_TRUE(tmpl.ok());
  ChatInput in;
  in.messages = nlohmann::ordered_json::object();
  EXPECT_EQ(tmpl->Apply(in).status().code(), StatusCode::kInvalidArgument);

  in.messages = nlohmann::ordered_json::array();
  in.tools = nlohmann::ordered_json::object();
  EXPECT_EQ(tmpl->Apply(in).status().code(), StatusCode::kInvalidArgument);

  in.tools = nullptr;
  in.extra_context = {{"messages", 1}};
  auto collide = tmpl->Apply(in);
  EXPECT_EQ(collide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(collide.status().message().find("messages"), std::string::npos);

  in.extra_context = nlohmann::ordered_json::array();
  EXPECT_EQ(tmpl->Apply(in).status().code(), StatusCode::kInvalidArgument);

  // Nesting deeper than Value::kMaxJsonDepth is refused before rendering.
  nlohmann::ordered_json deep = "x";
  for (int i = 0; i < jinja::Value::kMaxJsonDepth + 5; ++i)
    deep = nlohmann::ordered_json::array({deep});
  in.extra_context = {{"deep", deep}};
  EXPECT_EQ(tmpl->Apply(in).status().code(), StatusCode::kInvalidArgument);
}

TEST(ChatTemplateInput, SyntaxErrorsArePrefixed) {
  auto tmpl = ChatTemplate::FromSource("{% for m in messages %}", {});
  ASSERT_FALSE(tmpl.ok());
  EXPECT_EQ(tmpl.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tmpl.status().message().rfind("chat template: line 1, column ", 0), 0u)
      << tmpl.status().message();
}

TEST(ChatTemplateInput, NullTokensRenderAsNone) {
  auto tmpl = ChatTemplate::FromSource("{{ bos_token }}|{{ eos_token }}", {.eos_token = "</s>"});
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->Apply({});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "None|</s>");
}

// ---- built-in fallbacks. Expected prompts were also rendered by Python jinja2 from the same
// template text, so the fallbacks are valid for any Jinja implementation.

struct FallbackCase {
  const char* name;
  std::optional<std::string> bos, eos;
  const char* conversation;  // system, user, assistant, user (content parts); generation prompt
  const char* tool_turns;    // tools; user, assistant tool call (null content), tool result
};

const FallbackCase kFallbacks[] = {
    {"chatml", std::nullopt, "<|im_end|>",
     "<|im_start|>system\nBe "
     "brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|"
     "im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n",
     "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user "
     "query.\n\nYou are provided with function signatures within <tools></tools> XML "
     "tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
     "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": "
     "\"string\"}}}}}\n</tools>\n\nFor each function call, return a json object with function name "
     "and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
     "<function-name>, \"arguments\": "
     "<args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in "
     "Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", "
     "\"arguments\": {\"city\": "
     "\"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n18C\n</"
     "tool_response><|im_end|>\n"},
    {"llama3", "<|begin_of_text|>", "<|eot_id|>",
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe "
     "brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>"
     "assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>"
     "\n\nWeather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n\nYou "
     "have access to the following functions. To call a function, respond with JSON of the form "
     "{\"name\": function name, \"parameters\": dictionary of argument name and its value}.\n\n{\n "
     "   \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        "
     "\"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n        "
     "        \"city\": {\n                    \"type\": \"string\"\n                }\n           "
     " }\n        }\n    }\n}\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWeather in "
     "Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", "
     "\"parameters\": {\"city\": "
     "\"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n18C<|eot_id|>"},
    {"phi3", "<s>", "<|endoftext|>",
     "<|system|>\nBe "
     "brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nWeather?<|end|>"
     "\n<|assistant|>\n",
     "<|user|>\nWeather in Paris?<|end|>\n<|assistant|>\n{\"name\": \"get_weather\", "
     "\"arguments\": {\"city\": \"Paris\"}}<|end|>\n<|user|>\n18C<|end|>\n<|endoftext|>"},
    {"gemma", "<bos>", "<eos>",
     "<bos><start_of_turn>user\nBe "
     "brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>"
     "user\nWeather?<end_of_turn>\n<start_of_turn>model\n",
     "<bos><start_of_turn>user\nWeather in Paris?<end_of_turn>\n<start_of_turn>model\n{\"name\": "
     "\"get_weather\", \"arguments\": {\"city\": "
     "\"Paris\"}}<end_of_turn>\n<start_of_turn>user\n18C<end_of_turn>\n"},
    {"mistral", "<s>", "</s>",
     "<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Weather? [/INST]",
     "<s>[INST] Weather in Paris? [/INST] [TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": "
     "{\"city\": \"Paris\"}}]</s>[TOOL_RESULTS]18C[/TOOL_RESULTS]"},
};

class FallbackTest : public ::testing::TestWithParam<FallbackCase> {};

TEST_P(FallbackTest, RendersConversation) {
  const FallbackCase& f = GetParam();
  auto tmpl = ChatTemplate::Builtin(f.name, {.bos_token = f.bos, .eos_token = f.eos});
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
  ChatInput in;
  in.messages = nlohmann::ordered_json::parse(R"([
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Hello!"},
      {"role": "user", "content": [{"type": "text", "text": "Weather?"}]}])");
  auto out = tmpl->Apply(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, f.conversation);
}

TEST_P(FallbackTest, RendersToolCallsAndResults) {
  const FallbackCase& f = GetParam();
  auto tmpl = ChatTemplate::Builtin(f.name, {.bos_token = f.bos, .eos_token = f.eos});
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
  ChatInput in;
  in.tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {
      "name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  in.messages = nlohmann::ordered_json::parse(R"([
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
          "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "18C"}])");
  in.add_generation_prompt = false;
  auto out = tmpl->Apply(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, f.tool_turns);
}

INSTANTIATE_TEST_SUITE_P(Builtins, FallbackTest, ::testing::ValuesIn(kFallbacks),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Fallbacks, NamesAndLookup) {
  auto names = ChatTemplate::BuiltinNames();
  ASSERT_EQ(names.size(), std::size(kFallbacks));
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(names[i], kFallbacks[i].name);
    EXPECT_FALSE(ChatTemplate::BuiltinSource(names[i]).empty());
  }
  auto missing = ChatTemplate::Builtin("vicuna", {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ChatTemplate::BuiltinSource("vicuna").empty());
}

}  // namespace
}  // namespace foundry::runtime::chat
