#pragma once
// The tool-calling fields of a /v1/chat/completions request (tools, tool_choice,
// parallel_tool_calls) and the conversion of OpenAI messages, tool calls and tool results into
// what chat templates expect. Internal to the service; docs/tool-calling.md describes the
// behaviour.

#include <nlohmann/json.hpp>
#include <string>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/tool_calls.h"
#include "foundry/runtime/generator.h"

namespace foundry::service {

enum class ToolChoice { kNone, kAuto, kRequired, kNamed };

struct ToolRequest {
  // The request's tools ([{"type": "function", "function": {...}}], keys in request order), or
  // null when it has none.
  nlohmann::ordered_json tools = nullptr;
  ToolChoice choice = ToolChoice::kAuto;  // OpenAI's default when tools are given
  std::string named;                      // the function of a named tool_choice
  bool parallel = true;                   // parallel_tool_calls

  // Tools go to the template and the output is parsed for calls.
  bool offered() const { return !tools.is_null() && choice != ToolChoice::kNone; }
  // The tools shown to the model: all of them, or only the named one.
  nlohmann::ordered_json OfferedTools() const;
};

// Validates tools / tool_choice / parallel_tool_calls. kInvalidArgument with OpenAI's wording;
// *param names the offending field (e.g. "tools[1].function.name").
Result<ToolRequest> ParseToolRequest(const nlohmann::json& body, std::string* param);

// The request's messages as template input: text content parts joined; assistant tool_calls
// checked and their JSON-string arguments parsed into objects (as Hugging Face templates
// expect, e.g. Qwen's `arguments | tojson`); null content of an assistant turn with tool calls
// made ""; tool messages checked for tool_call_id and given the called function's "name".
// kInvalidArgument with *param naming the field (e.g. "messages[2].tool_call_id").
Result<nlohmann::ordered_json> TemplateMessages(const nlohmann::json& messages, std::string* param);

// Where a grammar will force the output of tool_choice "required" or a named function into the
// model's call format. Today it changes nothing: those choices work by prompting (the tools, or
// only the named tool, are rendered into the prompt) and parsing; a reply without a call comes
// back as text. The grammar engine plugs in here by adding its constraint to *gen.
Status ApplyToolChoiceConstraint(const ToolRequest& request, runtime::chat::ToolCallFormat format,
                                 runtime::GenerateOptions* gen);

}  // namespace foundry::service
