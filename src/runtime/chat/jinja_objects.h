#pragma once
// Runtime objects of the jinja interpreter (namespace(), the loop variable, bound methods) and
// ArgBinder, which maps call arguments onto Python-style parameter lists. Internal.
//
// Thread-compatible: objects are created and used by one render.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja {

// namespace(...): the one mutable object; `{% set ns.attr = v %}` writes it.
class Namespace final : public Object {
 public:
  std::string_view type_name() const override { return "Namespace"; }
  std::string repr() const override;
  bool GetAttr(std::string_view name, Value* out) const override;
  void SetAttr(const std::string& name, Value value) { attrs_.Set(name, std::move(value)); }
  // Drops every attribute. A namespace can hold itself (directly or through a macro), so the
  // render clears the namespaces it made when it ends, which breaks such reference cycles.
  void Clear() { attrs_ = Dict(); }

 private:
  Dict attrs_;
};

// The `loop` variable of one for-loop iteration.
class LoopContext final : public Object, public std::enable_shared_from_this<LoopContext> {
 public:
  LoopContext(std::shared_ptr<const std::vector<Value>> items, size_t index)
      : items_(std::move(items)), index_(index) {}
  std::string_view type_name() const override { return "LoopContext"; }
  bool GetAttr(std::string_view name, Value* out) const override;
  // loop.cycle(a, b, ...): the argument at index0 modulo the argument count.
  Result<Value> Cycle(const CallArgs& args) const;

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  size_t index_;
};

// `value.method` before it is called: `"a b".split` or `loop.cycle`.
class BoundMethod final : public Object {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  std::string_view type_name() const override { return "builtin_function_or_method"; }
  bool is_callable() const override { return true; }
  std::string repr() const override { return "<built-in method " + name_ + ">"; }
  const Value& self() const { return self_; }
  const std::string& name() const { return name_; }

 private:
  Value self_;
  std::string name_;
};

// Binds positional and keyword arguments to named parameters, like a Python signature.
// Borrowed: `args` must outlive the binder.
class ArgBinder {
 public:
  // `function` names the callee in error messages.
  ArgBinder(const CallArgs& args, std::string_view function) : args_(args), function_(function) {}

  // Binds to `params`; kInvalidArgument (a Python-style TypeError) for too many positional
  // arguments, an unknown keyword, or a parameter given twice. Parameters from index
  // `required` on are optional; fewer arguments than that is an error.
  Status Bind(std::initializer_list<std::string_view> params, size_t required = 0);

  // The bound argument i, or nullptr if it was not given.
  const Value* Get(size_t i) const { return i < bound_.size() ? bound_[i] : nullptr; }
  bool Has(size_t i) const { return Get(i) != nullptr; }

  // Typed accessors: `fallback` if absent; TypeError if present with another type.
  Result<std::string> String(size_t i, std::string fallback) const;
  Result<int64_t> Int(size_t i, int64_t fallback) const;
  bool Bool(size_t i, bool fallback) const;

 private:
  const CallArgs& args_;
  std::string function_;
  std::vector<std::string_view> names_;
  std::vector<const Value*> bound_;
};

}  // namespace foundry::runtime::jinja
