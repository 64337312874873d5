#include "service/response_format.h"

#include <cctype>

#include "foundry/runtime/grammar/json_schema.h"

namespace foundry::service {
namespace {

using nlohmann::ordered_json;
using runtime::grammar::Grammar;

Status Invalid(std::string* param, std::string field, const std::string& why) {
  *param = std::move(field);
  return Status::InvalidArgument(why);
}

bool ValidSchemaName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

Result<std::shared_ptr<const Grammar>> ParseResponseFormat(const ordered_json& body, std::string* param) {
  auto it = body.find("response_format");
  if (it == body.end() || it->is_null()) return std::shared_ptr<const Grammar>();
  const ordered_json& rf = *it;
  if (!rf.is_object())
    return Invalid(param, "response_format", "Invalid type for 'response_format': expected an object.");
  if (!rf.contains("type"))
    return Invalid(param, "response_format.type", "Missing required parameter: 'response_format.type'.");
  const ordered_json& type = rf["type"];
  if (type == "text") return std::shared_ptr<const Grammar>();
  if (type == "json_object")
    return std::make_shared<const Grammar>(runtime::grammar::JsonObjectGrammar());
  if (type != "json_schema")
    return Invalid(param, "response_format.type",
                   "Invalid value for 'response_format.type': supported values are 'text', "
                   "'json_object' and 'json_schema'.");

  if (!rf.contains("json_schema"))
    return Invalid(param, "response_format.json_schema",
                   "Missing required parameter: 'response_format.json_schema'.");
  const ordered_json& js = rf["json_schema"];
  if (!js.is_object())
    return Invalid(param, "response_format.json_schema",
                   "Invalid type for 'response_format.json_schema': expected an object.");
  if (!js.contains("name"))
    return Invalid(param, "response_format.json_schema.name",
                   "Missing required parameter: 'response_format.json_schema.name'.");
  if (!js["name"].is_string() || !ValidSchemaName(js["name"].get<std::string>()))
    return Invalid(param, "response_format.json_schema.name",
                   "Invalid 'response_format.json_schema.name': string does not match pattern. "
                   "Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.");
  if (js.contains("strict") && !js["strict"].is_boolean() && !js["strict"].is_null())
    return Invalid(param, "response_format.json_schema.strict",
                   "Invalid type for 'response_format.json_schema.strict': expected a boolean.");
  if (js.contains("description") && !js["description"].is_string() && !js["description"].is_null())
    return Invalid(param, "response_format.json_schema.description",
                   "Invalid type for 'response_format.json_schema.description': expected a string.");
  const ordered_json schema = js.value("schema", ordered_json());
  // No schema: OpenAI's field is optional; the reply is then any JSON object.
  if (schema.is_null()) return std::make_shared<const Grammar>(runtime::grammar::JsonObjectGrammar());
  if (!schema.is_object() && !schema.is_boolean())
    return Invalid(param, "response_format.json_schema.schema",
                   "Invalid type for 'response_format.json_schema.schema': expected an object.");
  Result<Grammar> g = runtime::grammar::CompileJsonSchema(schema);
  if (!g.ok())
    return Invalid(param, "response_format",
                   "Invalid schema for response_format '" + js["name"].get<std::string>() +
                       "': " + g.status().message());
  return std::make_shared<const Grammar>(std::move(g).value());
}

}  // namespace foundry::service
