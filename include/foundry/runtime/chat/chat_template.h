#pragma once
// ChatTemplate: turns an OpenAI-style conversation into the prompt text a model was trained on.
//
// Renders a model's Jinja chat template (from GGUF metadata `tokenizer.chat_template`) the way
// Hugging Face's apply_chat_template does, with the variables templates expect: `messages`,
// `tools`, `documents`, `add_generation_prompt`, `bos_token`, `eos_token`, plus caller extras
// such as `enable_thinking` or `reasoning_effort`. For GGUFs without a template, Builtin() offers
// fallbacks written for this project: "chatml", "llama3", "phi3", "gemma", "mistral".
//
// Thread-safety: immutable after construction; Apply may run concurrently from many threads.
// Copying is cheap (the parsed template is shared).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja.h"

namespace foundry::runtime::chat {

// The model's special tokens as templates see them; nullopt renders as Python None (some
// templates print `bos_token` unconditionally, so a model without one shows "None", as in HF).
struct ChatTokens {
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
};

// JSON fields are nlohmann::ordered_json so objects keep the key order of the request (tool
// schemas are printed with tojson, in order, as Hugging Face does).
struct ChatInput {
  // OpenAI-style messages: [{"role": "user", "content": "..."}, ...]; assistant messages may
  // carry "tool_calls", tool messages "tool_call_id" / "name". Must be a JSON array.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // Tool schemas ([{"type": "function", "function": {...}}]) or null for none.
  nlohmann::ordered_json tools = nullptr;
  // RAG documents or null.
  nlohmann::ordered_json documents = nullptr;
  // Append the header that starts the assistant's reply.
  bool add_generation_prompt = true;
  // Further template variables (an object): enable_thinking, reasoning_effort, ... Keys that
  // collide with the variables above are rejected.
  nlohmann::ordered_json extra_context = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // Parses `source` (need not outlive the result). kInvalidArgument / kUnimplemented as
  // jinja::Template::Parse, with "chat template: " before the message.
  static Result<ChatTemplate> FromSource(std::string_view source, ChatTokens tokens);

  // A built-in fallback by name (see BuiltinNames()). kNotFound for an unknown name.
  static Result<ChatTemplate> Builtin(std::string_view name, ChatTokens tokens);
  // "chatml", "llama3", "phi3", "gemma", "mistral".
  static std::vector<std::string_view> BuiltinNames();
  // The Jinja source of a built-in, or empty for an unknown name.
  static std::string_view BuiltinSource(std::string_view name);

  // Renders the prompt.
  // kInvalidArgument: malformed input (messages not an array, tools/documents neither null nor
  // an array, extra_context not an object or colliding, JSON nested too deeply), or the template
  // raised (e.g. "chat template: line 1, column 59: TemplateError: System role not supported");
  // kResourceExhausted: a limit in `options` was reached.
  Result<std::string> Apply(const ChatInput& input, const jinja::RenderOptions& options = {}) const;

  const ChatTokens& tokens() const { return tokens_; }

 private:
  ChatTemplate(jinja::Template tmpl, ChatTokens tokens)
      : template_(std::move(tmpl)), tokens_(std::move(tokens)) {}

  jinja::Template template_;
  ChatTokens tokens_;
};

}  // namespace foundry::runtime::chat
