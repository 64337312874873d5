#include "foundry/runtime/chat/chat_template.h"

#include <iterator>

#include "runtime/chat/builtin_templates.h"

namespace foundry::runtime::chat {
namespace {

Status WithPrefix(const Status& st) { return Status(st.code(), "chat template: " + st.message()); }

jinja::Value TokenValue(const std::optional<std::string>& token) {
  return token ? jinja::Value(*token) : jinja::Value::None();
}

Result<jinja::Value> JsonVariable(const nlohmann::ordered_json& j, std::string_view name,
                                  bool allow_null) {
  if (!j.is_array() && !(allow_null && j.is_null()))
    return Status::InvalidArgument(std::string(name) + " must be a JSON array" +
                                   (allow_null ? " or null" : ""));
  auto v = jinja::Value::FromJson(j);
  if (!v.ok()) return Status::InvalidArgument(std::string(name) + ": " + v.status().message());
  return v;
}

}  // namespace

Result<ChatTemplate> ChatTemplate::FromSource(std::string_view source, ChatTokens tokens) {
  auto tmpl = jinja::Template::Parse(source);
  if (!tmpl.ok()) return WithPrefix(tmpl.status());
  return ChatTemplate(std::move(tmpl).value(), std::move(tokens));
}

Result<ChatTemplate> ChatTemplate::Builtin(std::string_view name, ChatTokens tokens) {
  std::string_view source = BuiltinSource(name);
  if (source.empty())
    return Status::NotFound("no built-in chat template named '" + std::string(name) + "'");
  return FromSource(source, std::move(tokens));
}

std::vector<std::string_view> ChatTemplate::BuiltinNames() {
  std::vector<std::string_view> names;
  for (const BuiltinTemplate& t : kBuiltinTemplates) names.push_back(t.name);
  return names;
}

std::string_view ChatTemplate::BuiltinSource(std::string_view name) {
  for (const BuiltinTemplate& t : kBuiltinTemplates)
    if (t.name == name) return t.source;
  return {};
}

Result<std::string> ChatTemplate::Apply(const ChatInput& input,
                                        const jinja::RenderOptions& options) const {
  if (!input.extra_context.is_object())
    return Status::InvalidArgument("extra_context must be a JSON object");
  jinja::Dict vars;
  FOUNDRY_ASSIGN_OR_RETURN(jinja::Value messages, JsonVariable(input.messages, "messages", false));
  FOUNDRY_ASSIGN_OR_RETURN(jinja::Value tools, JsonVariable(input.tools, "tools", true));
  FOUNDRY_ASSIGN_OR_RETURN(jinja::Value documents,
                           JsonVariable(input.documents, "documents", true));
  vars.Set("messages", std::move(messages));
  vars.Set("tools", std::move(tools));
  vars.Set("documents", std::move(documents));
  vars.Set("add_generation_prompt", jinja::Value(input.add_generation_prompt));
  vars.Set("bos_token", TokenValue(tokens_.bos_token));
  vars.Set("eos_token", TokenValue(tokens_.eos_token));
  for (auto it = input.extra_context.begin(); it != input.extra_context.end(); ++it) {
    if (vars.Find(it.key()))
      return Status::InvalidArgument("extra_context must not set '" + it.key() + "'");
    auto v = jinja::Value::FromJson(it.value());
    if (!v.ok()) return Status::InvalidArgument(it.key() + ": " + v.status().message());
    vars.Set(it.key(), std::move(v).value());
  }
  auto out = template_.Render(jinja::Value::FromDict(std::move(vars)), options);
  if (!out.ok()) return WithPrefix(out.status());
  return out;
}

}  // namespace foundry::runtime::chat
