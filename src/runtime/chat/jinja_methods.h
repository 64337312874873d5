#pragma once
// Attribute access and Python methods on jinja Values: str methods (strip, split, startswith,
// replace, ...), dict methods (items, keys, values, get) and list methods (index, count), with
// the ImmutableSandboxedEnvironment's refusal of mutating ones (append, update, pop, ...).
// Internal to the jinja interpreter. Pure; thread-safe.

#include <cstddef>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja::methods {

// `obj.name` as jinja's sandboxed getattr: a method of str/dict/list/tuple becomes a bound
// method; otherwise a dict key, an object attribute, or Undefined carrying jinja's message
// ("'dict object' has no attribute 'x'"). A mutating method is an Undefined that fails with
// "SecurityError: access to attribute 'append' of 'list' object is unsafe.".
// REQUIRES: !obj.is_undefined() (the interpreter reports that error itself).
Value GetAttr(const Value& obj, std::string_view name);

// Whether `obj.name` is a (safe or unsafe) method of obj's type rather than data.
bool IsMethod(const Value& obj, std::string_view name);

// Calls method `name` of `self`. kInvalidArgument (TypeError/ValueError/AttributeError) for bad
// arguments or an unknown method; kResourceExhausted for results past max_bytes.
Result<Value> Call(const Value& self, std::string_view name, const CallArgs& args,
                   size_t max_bytes);

}  // namespace foundry::runtime::jinja::methods
