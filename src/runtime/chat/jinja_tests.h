#pragma once
// Jinja tests (`x is defined`, `x is divisibleby 3`, ...), with jinja2's semantics. Internal to
// the jinja interpreter. Pure; thread-safe.

#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja::tests {

bool Exists(std::string_view name);

// Applies test `name` to `value` with the extra arguments. kInvalidArgument for an unknown test
// ("TemplateAssertionError: No test named 'x'.") or a Python error while testing.
Result<bool> Apply(std::string_view name, const Value& value, const CallArgs& args);

}  // namespace foundry::runtime::jinja::tests
