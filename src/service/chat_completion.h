#pragma once
// The chat side of /v1/chat/completions between the request and the generator: the prompt
// (template, tools, which tool-call format to parse) and the shaping of the generated text into
// OpenAI chat.completion / chat.completion.chunk objects, with tool calls parsed out of the text
// (message.tool_calls, delta.tool_calls, finish_reason "tool_calls"). Internal to the service;
// docs/tool-calling.md describes the wire format.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/model.h"
#include "foundry/runtime/chat/tool_calls.h"
#include "foundry/runtime/generator.h"
#include "service/tool_request.h"

namespace foundry::service {

struct PreparedChat {
  std::string prompt;
  // The format to parse the reply in; kNone when no tools are offered (tool_choice "none" or no
  // tools): the reply is plain content.
  runtime::chat::ToolCallFormat format = runtime::chat::ToolCallFormat::kNone;
  // The format's markers that are control tokens of this vocabulary (GenerateOptions::keep_special).
  std::vector<engine::TokenId> keep_special;
};

// Renders the model's template over the request's messages and (when offered) tools.
// kInvalidArgument with *param set: malformed messages (see TemplateMessages), a template that
// raises ("messages"), or tools offered to a model whose template does not show tools ("tools").
Result<PreparedChat> PrepareChat(const engine::Model& model, const std::string& model_id,
                                 const nlohmann::json& body, const ToolRequest& tools,
                                 std::string* param);

// Tool-call ids for one request: "call_" + 24 random alphanumerics, or 9 alphanumerics for the
// Mistral format (its templates reject other ids when the calls come back in the history).
std::function<std::string(int index)> RandomCallIds(runtime::chat::ToolCallFormat format);

struct ChatShapeOptions {
  std::string id;           // "chatcmpl-..."
  int64_t created = 0;      // Unix seconds
  std::string model;
  runtime::chat::ToolCallFormat format = runtime::chat::ToolCallFormat::kNone;
  bool parallel_tool_calls = true;  // false: only the first call is reported
  std::function<std::string(int index)> make_id;  // default "call_<index>"
};

// "tool_calls" when the reply holds calls (unless generation hit max_tokens inside one:
// "length"), otherwise the generator's reason.
std::string_view ChatFinishReason(const std::vector<runtime::chat::ToolCall>& calls,
                                  runtime::FinishReason finish);

// Shapes one chat completion. Streaming: Opening(), Chunks() per generated piece, Closing().
// Whole(): the non-streamed response. Both parse the same text with the same parser, so a
// stream's deltas reassemble to the whole response's message. Thread-compatible.
class ChatCompletionShaper {
 public:
  explicit ChatCompletionShaper(ChatShapeOptions options);

  // The first chunk: delta {"role": "assistant", "content": ""}.
  nlohmann::json Opening() const;
  // Chunks for a generated piece: content deltas, and per tool call first a delta with index,
  // id, type and function name (arguments ""), then deltas with argument fragments. Markup is
  // never sent as content. May be empty (text held back).
  std::vector<nlohmann::json> Chunks(std::string_view piece);
  // Held-back text and open calls, then the finish_reason chunk, then a usage chunk (empty
  // choices) when `usage` is not null.
  std::vector<nlohmann::json> Closing(runtime::FinishReason finish, const nlohmann::json& usage);

  // The chat.completion object for the whole generated `text`: message.content (null when the
  // reply is only tool calls), message.tool_calls, finish_reason, usage.
  nlohmann::json Whole(std::string_view text, runtime::FinishReason finish,
                       const nlohmann::json& usage) const;

 private:
  nlohmann::json Chunk(const nlohmann::json& delta, const nlohmann::json& finish) const;
  std::vector<nlohmann::json> Shape(const std::vector<runtime::chat::ToolCallEvent>& events) const;

  ChatShapeOptions options_;
  runtime::chat::ToolCallParser parser_;
};

}  // namespace foundry::service
