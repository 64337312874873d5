#include "service/ollama_chat_shaper.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using runtime::chat::ToolCallEvent;

// An Ollama tool call; nullopt when the call is incomplete or its arguments are no JSON.
std::optional<json> OllamaToolCall(const runtime::chat::ToolCall& c) {
  if (!c.complete) return std::nullopt;
  json args = json::parse(c.arguments, nullptr, false);
  if (args.is_discarded()) return std::nullopt;
  return json{{"id", c.id}, {"function", {{"index", c.index}, {"name", c.name}, {"arguments", args}}}};
}

}  // namespace

const char* OllamaDoneReason(runtime::FinishReason finish) {
  return finish == runtime::FinishReason::kLength ? "length" : "stop";
}

OllamaChatShaper::OllamaChatShaper(runtime::chat::ToolCallParserOptions options)
    : options_(options), parser_(std::move(options)) {}

std::vector<json> OllamaChatShaper::Lines(const std::vector<ToolCallEvent>& events) const {
  std::vector<json> out;
  for (const ToolCallEvent& e : events) {
    if (e.kind == ToolCallEvent::Kind::kContent && !e.text.empty()) {
      out.push_back({{"message", {{"role", "assistant"}, {"content", e.text}}}, {"done", false}});
    } else if (e.kind == ToolCallEvent::Kind::kCallEnd) {
      const auto& calls = parser_.calls();
      if (e.index < 0 || size_t(e.index) >= calls.size()) continue;
      if (auto call = OllamaToolCall(calls[size_t(e.index)]))
        out.push_back(
            {{"message", {{"role", "assistant"}, {"content", ""}, {"tool_calls", {*call}}}}, {"done", false}});
    }
  }
  return out;
}

std::vector<json> OllamaChatShaper::Chunks(std::string_view piece) {
  std::vector<ToolCallEvent> events;
  parser_.Feed(piece, &events);
  return Lines(events);
}

json OllamaChatShaper::Last(runtime::FinishReason finish) {
  std::vector<ToolCallEvent> events;
  parser_.Finish(&events);
  std::string content;
  json calls = json::array();
  for (const json& l : Lines(events)) {
    content += l["message"]["content"].get<std::string>();
    if (l["message"].contains("tool_calls")) calls.push_back(l["message"]["tool_calls"][0]);
  }
  json message = {{"role", "assistant"}, {"content", content}};
  if (!calls.empty()) message["tool_calls"] = calls;
  return {{"message", message}, {"done", true}, {"done_reason", OllamaDoneReason(finish)}};
}

json OllamaChatShaper::Whole(std::string_view text, runtime::FinishReason finish) const {
  const auto parsed = runtime::chat::ParseToolCalls(text, options_);
  json message = {{"role", "assistant"}, {"content", parsed.content}};
  json calls = json::array();
  for (const auto& call : parsed.calls)
    if (auto j = OllamaToolCall(call)) calls.push_back(*j);
  if (!calls.empty()) message["tool_calls"] = calls;
  return {{"message", message}, {"done", true}, {"done_reason", OllamaDoneReason(finish)}};
}

}  // namespace foundry::service
