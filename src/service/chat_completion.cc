#include "service/chat_completion.h"

#include <memory>
#include <random>

#include "foundry/runtime/chat/model_chat_template.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using runtime::chat::ToolCallEvent;
using runtime::chat::ToolCallFormat;

runtime::chat::ToolCallParserOptions ParserOptions(const ChatShapeOptions& o) {
  return {.format = o.format, .make_id = o.make_id};
}

// The parser's calls as OpenAI reports them: index order, only the first one when parallel
// calls are off.
std::vector<runtime::chat::ToolCall> Reported(const std::vector<runtime::chat::ToolCall>& calls,
                                              bool parallel) {
  if (parallel || calls.size() <= 1) return calls;
  return {calls.front()};
}

}  // namespace

Result<PreparedChat> PrepareChat(const engine::Model& model, const std::string& model_id,
                                 const json& body, const ToolRequest& tools, std::string* param) {
  const std::string source =
      runtime::chat::ModelChatTemplateSource(model.chat_template(), model.arch().name);
  auto tmpl = runtime::chat::ModelChatTemplate(model);
  if (!tmpl.ok()) {
    *param = "messages";
    return Status::InvalidArgument(tmpl.status().message());
  }
  runtime::chat::ChatInput in;
  FOUNDRY_ASSIGN_OR_RETURN(in.messages, TemplateMessages(body["messages"], param));
  PreparedChat out;
  if (tools.offered()) {
    if (!runtime::chat::TemplateRendersTools(source)) {
      *param = "tools";
      return Status::InvalidArgument("model '" + model_id +
                                     "' does not support tool calling: its chat template does not "
                                     "show tools to the model");
    }
    in.tools = tools.OfferedTools();
    runtime::chat::AttachToolsToSystemMessage(source, &in);
    out.format = runtime::chat::DetectToolCallFormat(source);
    const auto& tok = model.tokenizer();
    for (std::string_view marker : runtime::chat::ToolCallMarkers(out.format)) {
      auto ids = tok.Encode(marker, {.add_special = false, .parse_special = true});
      if (ids.size() == 1 && tok.token_type(ids[0]) == engine::TokenType::kControl)
        out.keep_special.push_back(ids[0]);
    }
  }
  auto prompt = tmpl->Apply(in);
  if (!prompt.ok()) {
    *param = "messages";
    return Status::InvalidArgument(prompt.status().message());
  }
  out.prompt = std::move(prompt).value();
  return out;
}

std::function<std::string(int)> RandomCallIds(ToolCallFormat format) {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  const bool mistral = format == ToolCallFormat::kMistral;
  return [rng, mistral](int) {
    static constexpr std::string_view kAlnum =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string id = mistral ? "" : "call_";
    for (int i = 0; i < (mistral ? 9 : 24); ++i) id += kAlnum[(*rng)() % kAlnum.size()];
    return id;
  };
}

std::string_view ChatFinishReason(const std::vector<runtime::chat::ToolCall>& calls,
                                  runtime::FinishReason finish) {
  if (calls.empty()) return runtime::FinishReasonName(finish);
  for (const auto& c : calls)
    if (!c.complete && finish == runtime::FinishReason::kLength) return "length";
  return "tool_calls";
}

ChatCompletionShaper::ChatCompletionShaper(ChatShapeOptions options)
    : options_(std::move(options)), parser_(ParserOptions(options_)) {}

json ChatCompletionShaper::Chunk(const json& delta, const json& finish) const {
  return json{{"id", options_.id},
              {"object", "chat.completion.chunk"},
              {"created", options_.created},
              {"model", options_.model},
              {"system_fingerprint", "foundry"},
              {"choices",
               {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}}}};
}

json ChatCompletionShaper::Opening() const {
  return Chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
}

std::vector<json> ChatCompletionShaper::Shape(const std::vector<ToolCallEvent>& events) const {
  std::vector<json> out;
  for (const ToolCallEvent& e : events) {
    if (e.index > 0 && !options_.parallel_tool_calls) continue;
    switch (e.kind) {
      case ToolCallEvent::Kind::kContent:
        out.push_back(Chunk({{"content", e.text}}, nullptr));
        break;
      case ToolCallEvent::Kind::kCallStart:
        out.push_back(Chunk({{"tool_calls",
                              {{{"index", e.index},
                                {"id", e.id},
                                {"type", "function"},
                                {"function", {{"name", e.text}, {"arguments", ""}}}}}}},
                            nullptr));
        break;
      case ToolCallEvent::Kind::kArguments:
        out.push_back(Chunk(
            {{"tool_calls", {{{"index", e.index}, {"function", {{"arguments", e.text}}}}}}}, nullptr));
        break;
      case ToolCallEvent::Kind::kCallEnd: break;  // OpenAI sends nothing for it
    }
  }
  return out;
}

std::vector<json> ChatCompletionShaper::Chunks(std::string_view piece) {
  std::vector<ToolCallEvent> events;
  parser_.Feed(piece, &events);
  return Shape(events);
}

std::vector<json> ChatCompletionShaper::Closing(runtime::FinishReason finish, const json& usage) {
  std::vector<ToolCallEvent> events;
  parser_.Finish(&events);
  std::vector<json> out = Shape(events);
  const auto calls = Reported(parser_.calls(), options_.parallel_tool_calls);
  out.push_back(Chunk(json::object(), ChatFinishReason(calls, finish)));
  if (!usage.is_null()) {
    json u = Chunk(json::object(), nullptr);
    u["choices"] = json::array();
    u["usage"] = usage;
    out.push_back(std::move(u));
  }
  return out;
}

json ChatCompletionShaper::Whole(std::string_view text, runtime::FinishReason finish,
                                 const json& usage) const {
  const auto parsed = runtime::chat::ParseToolCalls(text, ParserOptions(options_));
  const auto calls = Reported(parsed.calls, options_.parallel_tool_calls);
  json message = {{"role", "assistant"}, {"content", parsed.content}};
  if (!calls.empty()) {
    if (parsed.content.empty()) message["content"] = nullptr;
    json list = json::array();
    for (const auto& c : calls)
      list.push_back({{"id", c.id},
                      {"type", "function"},
                      {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    message["tool_calls"] = std::move(list);
  }
  json out = {{"id", options_.id},
              {"object", "chat.completion"},
              {"created", options_.created},
              {"model", options_.model},
              {"system_fingerprint", "foundry"},
              {"choices",
               {{{"index", 0},
                 {"message", message},
                 {"logprobs", nullptr},
                 {"finish_reason", ChatFinishReason(calls, finish)}}}}};
  if (!usage.is_null()) out["usage"] = usage;
  return out;
}

}  // namespace foundry::service
