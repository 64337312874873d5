#pragma once
// Python json.dumps over jinja Values: the `tojson` filter of Hugging Face chat templates.
// Internal to the jinja interpreter. Pure; thread-safe.

#include <cstddef>
#include <optional>
#include <string>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja {

struct JsonDumpOptions {
  std::optional<std::string> indent;  // absent: one line; else the per-level indent string
  std::string item_separator = ", ";  // json.dumps uses "," when indent is set
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // true: non-ASCII as \uXXXX (surrogate pairs past U+FFFF)
};

// json.dumps(value, ...). Tuples are arrays; dict keys that are int/float/bool/None become their
// JSON text as Python does. kInvalidArgument ("TypeError: Object of type Undefined is not JSON
// serializable") for Undefined or objects; kResourceExhausted past max_bytes.
Result<std::string> DumpJson(const Value& value, const JsonDumpOptions& options, size_t max_bytes);

// JSON string literal (quotes included) for `s`.
void AppendJsonString(const std::string& s, bool ensure_ascii, std::string& out);

}  // namespace foundry::runtime::jinja
