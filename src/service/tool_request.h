#pragma once
// The tool-calling fields of a /v1/chat/completions request (tools, tool_choice,
// parallel_tool_calls) and the conversion of OpenAI messages, tool calls and tool results into
// what chat templates expect. Internal to the service; docs/tool-calling.md describes the
// behaviour.

#include <cstdint>
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
// *param names the offending field (e.g. "tools[1].function.name"). `body` is the request
// parsed with its key order kept (ordered_json), so the tools keep their property order.
Result<ToolRequest> ParseToolRequest(const nlohmann::ordered_json& body, std::string* param);

// The request's messages as template input: text content parts joined; assistant tool_calls
// checked and their JSON-string arguments parsed into objects (as Hugging Face templates
// expect, e.g. Qwen's `arguments | tojson`); null content of an assistant turn with tool calls
// made ""; tool messages checked for tool_call_id and given the called function's "name".
// kInvalidArgument with *param naming the field (e.g. "messages[2].tool_call_id").
Result<nlohmann::ordered_json> TemplateMessages(const nlohmann::json& messages, std::string* param);

// Calls at most under tool_choice "required" with parallel_tool_calls (bounds a model that
// would never stop calling).
inline constexpr uint32_t kMaxParallelToolCalls = 8;

// Enforces tool_choice "required" and a named function with a grammar (gen->grammar), written
// in the exact markup of `format` (e.g. Hermes `<tool_call>\n{"name": "f", "arguments": {...}}\n
// </tool_call>`), so that any model, even a random one, replies with a call the tool-call
// parser reads and whose arguments validate against the tool's parameters schema:
//  - "required": one call of any offered tool; with parallel_tool_calls, 1 to
//    kMaxParallelToolCalls calls in a row;
//  - a named function: exactly one call of that function.
// Tools without parameters (or with {}) take any JSON object. none / auto: nothing changes.
// kInvalidArgument with *param set: a parameters schema the JSON Schema compiler refuses
// ("tools[i].function.parameters", with the compiler's message naming pointer and keyword),
// or no tool-call format (format kNone: "tool_choice"). The caller provides
// gen->grammar_vocabulary (built with gen->keep_special, so marker tokens count as text).
Status ApplyToolChoiceConstraint(const ToolRequest& request, runtime::chat::ToolCallFormat format,
                                 runtime::GenerateOptions* gen, std::string* param);

}  // namespace foundry::service
