#pragma once
// OllamaChatShaper: generated text -> Ollama /api/chat message objects, with tool calls parsed
// out of the text (message.tool_calls[] = {"id", "function": {"index", "name", "arguments":
// object}}). Internal to the service; docs/ollama-api.md shows the wire format.
//
// Streaming sends content as it is released and each tool call whole, once its arguments are
// complete, each with its own function.index (0, 1, ...) — never every call at index 0. A call
// cut off (num_predict reached inside it) is not reported. done_reason is "stop" or "length"
// (Ollama's native API has no "tool_calls" reason). Thread-compatible.

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "foundry/runtime/chat/tool_calls.h"
#include "foundry/runtime/generator.h"

namespace foundry::service {

class OllamaChatShaper {
 public:
  explicit OllamaChatShaper(runtime::chat::ToolCallParserOptions options);

  // Lines for a generated piece: {"message": {"role", "content"[, "tool_calls"]}, "done": false}.
  // May be empty (text held back).
  std::vector<nlohmann::json> Chunks(std::string_view piece);
  // The closing line: whatever was held back (content, a last call), "done": true, done_reason.
  nlohmann::json Last(runtime::FinishReason finish);
  // The non-streamed reply for the whole `text`: the same content and calls a stream reports.
  nlohmann::json Whole(std::string_view text, runtime::FinishReason finish) const;

 private:
  std::vector<nlohmann::json> Lines(const std::vector<runtime::chat::ToolCallEvent>& events) const;

  runtime::chat::ToolCallParserOptions options_;
  runtime::chat::ToolCallParser parser_;
};

// "length" for FinishReason::kLength, else "stop".
const char* OllamaDoneReason(runtime::FinishReason finish);

}  // namespace foundry::service
