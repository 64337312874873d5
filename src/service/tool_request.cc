#include "service/tool_request.h"

#include <cctype>
#include <map>
#include <memory>
#include <vector>

#include "foundry/runtime/grammar/json_schema.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

Status Invalid(std::string* param, std::string field, const std::string& why) {
  *param = field;
  return Status::InvalidArgument(why);
}

bool ValidFunctionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

Status CheckTool(const ordered_json& tool, const std::string& at, std::string* param) {
  if (!tool.is_object()) return Invalid(param, at, "Invalid type for '" + at + "': expected an object.");
  if (!tool.contains("type"))
    return Invalid(param, at + ".type", "Missing required parameter: '" + at + ".type'.");
  if (tool["type"] != "function")
    return Invalid(param, at + ".type",
                   "Invalid value for '" + at + ".type': only 'function' tools are supported.");
  const std::string fn = at + ".function";
  if (!tool.contains("function"))
    return Invalid(param, fn, "Missing required parameter: '" + fn + "'.");
  const ordered_json& f = tool["function"];
  if (!f.is_object()) return Invalid(param, fn, "Invalid type for '" + fn + "': expected an object.");
  if (!f.contains("name"))
    return Invalid(param, fn + ".name", "Missing required parameter: '" + fn + ".name'.");
  if (!f["name"].is_string() || !ValidFunctionName(f["name"].get<std::string>()))
    return Invalid(param, fn + ".name",
                   "Invalid '" + fn + ".name': string does not match pattern. Expected a string "
                   "that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.");
  if (f.contains("description") && !f["description"].is_string() && !f["description"].is_null())
    return Invalid(param, fn + ".description",
                   "Invalid type for '" + fn + ".description': expected a string.");
  if (f.contains("parameters") && !f["parameters"].is_object() && !f["parameters"].is_null())
    return Invalid(param, fn + ".parameters",
                   "Invalid type for '" + fn + ".parameters': expected an object.");
  return Status::Ok();
}

// Content as templates expect it: strings stay, lists of text parts are joined.
Status FlattenContent(ordered_json& msg, const std::string& at, std::string* param) {
  auto it = msg.find("content");
  if (it == msg.end() || it->is_string() || it->is_null()) return Status::Ok();
  if (!it->is_array())
    return Invalid(param, at + ".content", "Invalid type for '" + at + ".content': expected a string or an array of content parts.");
  std::string text;
  for (const auto& part : *it) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string())
      return Invalid(param, at + ".content", "only text content parts are supported");
    text += part["text"].get<std::string>();
  }
  *it = text;
  return Status::Ok();
}

}  // namespace

ordered_json ToolRequest::OfferedTools() const {
  if (choice != ToolChoice::kNamed) return tools;
  ordered_json only = ordered_json::array();
  for (const auto& t : tools)
    if (t["function"]["name"] == named) only.push_back(t);
  return only;
}

Result<ToolRequest> ParseToolRequest(const ordered_json& body, std::string* param) {
  ToolRequest r;
  if (auto it = body.find("tools"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Invalid(param, "tools", "Invalid type for 'tools': expected an array of objects.");
    if (it->size() > 128)
      return Invalid(param, "tools", "Invalid 'tools': array too long. Expected an array with maximum length 128.");
    for (size_t i = 0; i < it->size(); ++i)
      FOUNDRY_RETURN_IF_ERROR(CheckTool((*it)[i], "tools[" + std::to_string(i) + "]", param));
    if (!it->empty()) r.tools = *it;
  }
  if (auto it = body.find("tool_choice"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      const std::string s = it->get<std::string>();
      if (s == "none") r.choice = ToolChoice::kNone;
      else if (s == "auto") r.choice = ToolChoice::kAuto;
      else if (s == "required") r.choice = ToolChoice::kRequired;
      else
        return Invalid(param, "tool_choice",
                       "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or an "
                       "object naming a function.");
    } else if (it->is_object()) {
      const ordered_json f = it->value("function", ordered_json());
      if (it->value("type", "") != "function" || !f.is_object() || !f.contains("name") ||
          !f["name"].is_string())
        return Invalid(param, "tool_choice",
                       "Invalid value for 'tool_choice': expected {\"type\": \"function\", "
                       "\"function\": {\"name\": ...}}.");
      r.choice = ToolChoice::kNamed;
      r.named = f["name"].get<std::string>();
    } else {
      return Invalid(param, "tool_choice", "Invalid type for 'tool_choice': expected a string or an object.");
    }
    const bool needs_tools = r.choice == ToolChoice::kRequired || r.choice == ToolChoice::kNamed;
    if (needs_tools && r.tools.is_null())
      return Invalid(param, "tool_choice",
                     "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' "
                     "are specified.");
    if (r.choice == ToolChoice::kNamed) {
      bool found = false;
      for (const auto& t : r.tools) found |= t["function"]["name"] == r.named;
      if (!found)
        return Invalid(param, "tool_choice",
                       "Invalid value for 'tool_choice': no function named '" + r.named +
                           "' was given in 'tools'.");
    }
  }
  if (auto it = body.find("parallel_tool_calls"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean())
      return Invalid(param, "parallel_tool_calls", "Invalid type for 'parallel_tool_calls': expected a boolean.");
    r.parallel = it->get<bool>();
  }
  return r;
}

Result<ordered_json> TemplateMessages(const json& messages, std::string* param) {
  ordered_json out = ordered_json::array();
  std::map<std::string, std::string> call_names;  // tool call id -> function name
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    const json& msg = messages[i];
    if (!msg.is_object() || !msg.contains("role") || !msg["role"].is_string())
      return Invalid(param, at + ".role", "each message needs a string 'role'");
    ordered_json m = ordered_json::parse(msg.dump());
    FOUNDRY_RETURN_IF_ERROR(FlattenContent(m, at, param));
    const std::string role = msg["role"];
    if (role == "assistant" && m.contains("tool_calls") && !m["tool_calls"].is_null()) {
      ordered_json& calls = m["tool_calls"];
      if (!calls.is_array())
        return Invalid(param, at + ".tool_calls", "Invalid type for '" + at + ".tool_calls': expected an array.");
      for (size_t k = 0; k < calls.size(); ++k) {
        const std::string c_at = at + ".tool_calls[" + std::to_string(k) + "]";
        ordered_json& call = calls[k];
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
          return Invalid(param, c_at + ".function", "Missing required parameter: '" + c_at + ".function'.");
        ordered_json& fn = call["function"];
        if (!fn.contains("name") || !fn["name"].is_string())
          return Invalid(param, c_at + ".function.name", "Missing required parameter: '" + c_at + ".function.name'.");
        if (call.contains("id") && !call["id"].is_string())
          return Invalid(param, c_at + ".id", "Invalid type for '" + c_at + ".id': expected a string.");
        if (call.contains("id")) call_names[call["id"].get<std::string>()] = fn["name"].get<std::string>();
        if (fn.contains("arguments") && fn["arguments"].is_string()) {
          ordered_json args = ordered_json::parse(fn["arguments"].get<std::string>(), nullptr, false);
          if (!args.is_discarded()) fn["arguments"] = std::move(args);
        } else if (!fn.contains("arguments") || fn["arguments"].is_null()) {
          fn["arguments"] = ordered_json::object();
        }
      }
      if (!m.contains("content") || m["content"].is_null()) m["content"] = "";
    }
    if (role == "tool") {
      if (!m.contains("tool_call_id"))
        return Invalid(param, at + ".tool_call_id", "Missing required parameter: '" + at + ".tool_call_id'.");
      if (!m["tool_call_id"].is_string())
        return Invalid(param, at + ".tool_call_id", "Invalid type for '" + at + ".tool_call_id': expected a string.");
      if (!m.contains("name")) {
        auto it = call_names.find(m["tool_call_id"].get<std::string>());
        if (it != call_names.end()) m["name"] = it->second;
      }
      if (!m.contains("content") || m["content"].is_null()) m["content"] = "";
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// How one call is written in `format`: what comes before the arguments JSON (with the name),
// what follows it, and what goes between parallel calls. These are the exact forms the
// tool-call parser reads (and the templates render in the history); formats whose calls live
// in a JSON array write one block per call, which the parser reads as consecutive calls.
struct CallMarkup {
  std::string prefix, suffix, separator;
};

CallMarkup MarkupFor(runtime::chat::ToolCallFormat format, const std::string& name) {
  using runtime::chat::ToolCallFormat;
  const std::string head = "{\"name\": \"" + name + "\", ";
  switch (format) {
    case ToolCallFormat::kHermes:
      return {"<tool_call>\n" + head + "\"arguments\": ", "}\n</tool_call>", "\n"};
    case ToolCallFormat::kLlama3:
      return {head + "\"parameters\": ", "}", "; "};
    case ToolCallFormat::kPhi4:
      return {"<|tool_call|>[" + head + "\"arguments\": ", "}]<|/tool_call|>", ""};
    case ToolCallFormat::kMistral:
      return {"[TOOL_CALLS][" + head + "\"arguments\": ", "}]", ""};
    case ToolCallFormat::kGeneric:
    case ToolCallFormat::kNone:
      break;
  }
  return {head + "\"arguments\": ", "}", "; "};
}

}  // namespace

Status ApplyToolChoiceConstraint(const ToolRequest& request, runtime::chat::ToolCallFormat format,
                                 runtime::GenerateOptions* gen, std::string* param) {
  namespace grammar = runtime::grammar;
  if (request.choice != ToolChoice::kRequired && request.choice != ToolChoice::kNamed) return Status::Ok();
  if (format == runtime::chat::ToolCallFormat::kNone) {
    *param = "tool_choice";
    return Status::InvalidArgument("the model has no tool-call format to enforce 'tool_choice' with");
  }
  std::vector<grammar::ToolCallGrammarSpec> specs;
  std::string separator;
  for (size_t i = 0; i < request.tools.size(); ++i) {
    const ordered_json& f = request.tools[i]["function"];
    const std::string name = f["name"].get<std::string>();
    if (request.choice == ToolChoice::kNamed && name != request.named) continue;
    CallMarkup markup = MarkupFor(format, name);
    ordered_json parameters = f.value("parameters", ordered_json());
    if (parameters.is_object() && parameters.empty()) parameters = nullptr;  // {}: any object
    if (!parameters.is_null()) {
      // Compiled alone first so that a refused schema names its tool.
      Result<std::string> check = grammar::JsonSchemaToGbnf(parameters);
      if (!check.ok()) {
        *param = "tools[" + std::to_string(i) + "].function.parameters";
        return Status::InvalidArgument("Invalid schema for function '" + name + "': " + check.status().message());
      }
    }
    specs.push_back({.prefix = std::move(markup.prefix), .parameters = std::move(parameters),
                     .suffix = std::move(markup.suffix)});
    separator = std::move(markup.separator);
  }
  const bool multiple = request.choice == ToolChoice::kRequired && request.parallel;
  Result<grammar::Grammar> g = grammar::CompileToolCallGrammar(
      specs, {.allow_multiple = multiple, .separator = separator, .max_calls = kMaxParallelToolCalls});
  if (!g.ok()) {
    *param = "tools";
    return Status::InvalidArgument(g.status().message());
  }
  gen->grammar = std::make_shared<const grammar::Grammar>(std::move(g).value());
  return Status::Ok();
}

}  // namespace foundry::service
