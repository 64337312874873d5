#pragma once
// Jinja filters (`x | trim`, `x | tojson(indent=2)`, ...), with jinja2 3.1's semantics and
// Hugging Face's tojson (json.dumps, ensure_ascii=False). Internal to the jinja interpreter.
// Pure; thread-safe.
//
// Filters that return generators in jinja2 (map, select, reject, selectattr, rejectattr, items)
// return lists here: the same when iterated, joined or passed to |list, but truthy only when
// non-empty and printable as a list.

#include <cstddef>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja::filters {

bool Exists(std::string_view name);

// Applies filter `name` to `input` with the call's extra arguments. kInvalidArgument for an
// unknown filter ("TemplateAssertionError: No filter named 'x'.") or a Python error inside it;
// kResourceExhausted for a result past max_bytes.
Result<Value> Apply(std::string_view name, const Value& input, const CallArgs& args,
                    size_t max_bytes);

// jinja's attribute getter used by selectattr/map/sort/...: "a.b.0" looks up each dotted part
// as an item first, then as an attribute.
Value GetPath(const Value& item, std::string_view path);

}  // namespace foundry::runtime::jinja::filters
