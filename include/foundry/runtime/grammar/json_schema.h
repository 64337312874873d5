#pragma once
// JSON Schema -> Grammar, the JSON-object grammar, and tool-call grammars: what
// response_format (json_object / json_schema) and tool_choice (required / a named function)
// are enforced with. Full keyword table and relaxations: docs/tool-calling.md ("Constrained
// decoding").
//
// Supported: type (one or a list), properties, required, additionalProperties (false, true
// or a schema), items, prefixItems (and draft-4 tuple `items`), minItems, maxItems, enum,
// const, strings with JSON escapes, minLength, maxLength, number and integer with minimum /
// maximum / exclusiveMinimum / exclusiveMaximum (bounds rounded inward to integers; bounded
// numbers have no exponent), boolean, null, nested schemas, anyOf, oneOf (as anyOf), allOf
// (merged), $ref to "#", "#/$defs/..." and "#/definitions/..." (recursion allowed), `nullable`
// (OpenAPI).
// Ignored (annotations): title, description, default, examples, format, $schema, $id,
// $comment, readOnly, writeOnly, deprecated, content*; unknown keywords are ignored as JSON
// Schema prescribes.
// Relaxations (the output still validates against the schema): properties come in schema
// order; optional properties may be left out; when `properties` is given, additional
// properties are never generated, whatever additionalProperties says; prefixItems are all
// generated; numbers have at most 16 integer digits, 16 fraction digits and a 2-digit
// exponent.
// Refused with kInvalidArgument naming the JSON pointer and keyword: pattern,
// patternProperties, multipleOf, uniqueItems: true, not, if/then/else, contains,
// dependentRequired/dependentSchemas/dependencies, minProperties/maxProperties,
// propertyNames, unevaluated*, remote $ref, and schemas that cannot match anything (false,
// minItems > maxItems, bounds no integer satisfies, ...).
//
// Whitespace: none before or after the top-level value (so generation stops right after
// the closing bracket); inside, each gap between tokens allows nothing, one space, or a
// newline followed by up to 20 spaces/tabs — compact and pretty-printed JSON both fit and a
// model cannot loop on whitespace.
//
// Thread-safety: the functions are pure.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "foundry/core/status.h"
#include "foundry/runtime/grammar/grammar.h"

namespace foundry::runtime::grammar {

// The GBNF text for `schema` (root rule "root"). Errors as above.
Result<std::string> JsonSchemaToGbnf(const nlohmann::ordered_json& schema);

// JsonSchemaToGbnf + ParseGrammar. Use the ordered_json overload to keep the schema's
// property order (nlohmann::json sorts keys alphabetically).
Result<Grammar> CompileJsonSchema(const nlohmann::ordered_json& schema);
Result<Grammar> CompileJsonSchema(const nlohmann::json& schema);
// Parses `schema_json` first (kInvalidArgument if it is not JSON), keeping property order.
Result<Grammar> CompileJsonSchemaText(std::string_view schema_json);

// Any JSON object (response_format {"type": "json_object"}); the GBNF is JsonObjectGbnf().
Grammar JsonObjectGrammar();
std::string JsonObjectGbnf();

// One callable tool: the output is `prefix`, then JSON arguments valid against `parameters`
// (null: any JSON object), then `suffix`. E.g. for a Qwen-style template:
//   prefix = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ", suffix = "}\n</tool_call>".
struct ToolCallGrammarSpec {
  std::string prefix;
  nlohmann::ordered_json parameters;
  std::string suffix;
};

struct ToolCallGrammarOptions {
  // Allow several calls in a row (parallel tool calls), separated by `separator`.
  bool allow_multiple = false;
  std::string separator;  // e.g. "\n"
  // At most this many calls when allow_multiple (bounds a model that never stops calling).
  uint32_t max_calls = 16;
};

// The grammar `call (separator call)*` (or one call), where call is one of `tools`: what
// tool_choice "required" (all tools) or a named function (one tool) is enforced with.
// kInvalidArgument: no tools, or a parameters schema the compiler refuses (the message names
// the tool's index).
Result<std::string> ToolCallGbnf(std::span<const ToolCallGrammarSpec> tools,
                                 const ToolCallGrammarOptions& options = {});
Result<Grammar> CompileToolCallGrammar(std::span<const ToolCallGrammarSpec> tools,
                                       const ToolCallGrammarOptions& options = {});

}  // namespace foundry::runtime::grammar
