#pragma once
// The `response_format` field of /v1/chat/completions and the grammar that enforces it:
//   {"type": "text"}                 no constraint (the default)
//   {"type": "json_object"}          the reply is one JSON object (grammar::JsonObjectGrammar)
//   {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict": ...}}
//                                    the reply is JSON valid against `schema` (property order
//                                    kept), whatever `strict` says; without a schema, any object
// Internal to the service; docs/tool-calling.md ("Structured output") describes the behaviour.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "foundry/core/status.h"
#include "foundry/runtime/grammar/grammar.h"

namespace foundry::service {

// The grammar for the request's response_format: null for none or {"type": "text"}.
// kInvalidArgument with OpenAI's wording, *param naming the field ("response_format",
// "response_format.json_schema.name", ...); a schema the compiler refuses is
// kInvalidArgument with param "response_format" and the compiler's message (which names the
// JSON pointer and keyword).
Result<std::shared_ptr<const runtime::grammar::Grammar>> ParseResponseFormat(const nlohmann::ordered_json& body,
                                                                            std::string* param);

}  // namespace foundry::service
