// Tool-call format detection and template probing (declared in tool_calls.h).

#include "foundry/runtime/chat/tool_calls.h"

namespace foundry::runtime::chat {
namespace {

bool Has(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

// A conversation that a template with tools must render: system + user, as most templates want.
ChatInput ProbeInput(bool with_tools) {
  ChatInput in;
  in.messages = nlohmann::ordered_json::array(
      {{{"role", "system"}, {"content", "You are a helpful assistant."}},
       {{"role", "user"}, {"content", "What is the weather in Paris?"}}});
  if (with_tools) {
    in.tools = nlohmann::ordered_json::array({nlohmann::ordered_json::parse(R"({
      "type": "function",
      "function": {"name": "get_weather", "description": "Get the weather for a city.",
                   "parameters": {"type": "object",
                                  "properties": {"city": {"type": "string"}},
                                  "required": ["city"]}}})")});
  }
  return in;
}

}  // namespace

std::string_view ToolCallFormatName(ToolCallFormat format) {
  switch (format) {
    case ToolCallFormat::kNone: return "none";
    case ToolCallFormat::kHermes: return "hermes";
    case ToolCallFormat::kLlama3: return "llama3";
    case ToolCallFormat::kPhi4: return "phi4";
    case ToolCallFormat::kMistral: return "mistral";
    case ToolCallFormat::kGeneric: return "generic";
  }
  return "none";
}

ToolCallFormat DetectToolCallFormat(std::string_view src) {
  // The most specific markers first: Mistral and Phi-4/Granite templates may also mention
  // "tool_call" in other forms.
  if (Has(src, "[TOOL_CALLS]")) return ToolCallFormat::kMistral;
  if (Has(src, "<|tool_call|>") || Has(src, "<|tool|>")) return ToolCallFormat::kPhi4;
  if (Has(src, "<tool_call>")) return ToolCallFormat::kHermes;
  if (Has(src, "<|python_tag|>") ||
      (Has(src, "<|start_header_id|>") && Has(src, "\"parameters\"")))
    return ToolCallFormat::kLlama3;
  if (Has(src, "tools") || Has(src, "tool_calls")) return ToolCallFormat::kGeneric;
  return ToolCallFormat::kNone;
}

std::vector<std::string_view> ToolCallMarkers(ToolCallFormat format) {
  switch (format) {
    case ToolCallFormat::kHermes: return {"<tool_call>", "</tool_call>"};
    case ToolCallFormat::kLlama3: return {"<|python_tag|>"};
    case ToolCallFormat::kPhi4: return {"<|tool_call|>", "<|/tool_call|>"};
    case ToolCallFormat::kMistral: return {"[TOOL_CALLS]"};
    case ToolCallFormat::kGeneric:
    case ToolCallFormat::kNone: break;
  }
  return {};
}

void AttachToolsToSystemMessage(std::string_view template_source, ChatInput* input) {
  if (input->tools.is_null() || !input->messages.is_array()) return;
  if (!Has(template_source, "message['tools']") && !Has(template_source, "message[\"tools\"]") &&
      !Has(template_source, "message.tools"))
    return;
  auto& msgs = input->messages;
  if (msgs.empty() || !msgs[0].is_object() || msgs[0].value("role", "") != "system")
    msgs.insert(msgs.begin(), nlohmann::ordered_json{{"role", "system"}, {"content", ""}});
  msgs[0]["tools"] = input->tools.dump();
}

bool TemplateRendersTools(std::string_view template_source) {
  auto tmpl = ChatTemplate::FromSource(template_source, {});
  if (!tmpl.ok()) return false;
  ChatInput with = ProbeInput(true);
  AttachToolsToSystemMessage(template_source, &with);
  auto a = tmpl->Apply(with);
  if (!a.ok()) return false;
  auto b = tmpl->Apply(ProbeInput(false));
  return !b.ok() || *a != *b;
}

}  // namespace foundry::runtime::chat
