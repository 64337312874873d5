#include "runtime/chat/jinja_objects.h"

#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja {

std::string Namespace::repr() const {
  // Values that are objects print by type only, so a namespace holding itself cannot recurse.
  std::string out = "<Namespace {";
  bool first = true;
  for (const auto& [k, v] : attrs_.entries()) {
    if (!first) out += ", ";
    first = false;
    out += ops::Repr(k) + ": ";
    bool nested = v.is_object() || v.is_sequence() || v.is_dict();
    out += nested ? std::string("<") + ops::TypeName(v) + ">" : ops::Repr(v);
  }
  return out + "}>";
}

bool Namespace::GetAttr(std::string_view name, Value* out) const {
  const Value* v = attrs_.Find(name);
  if (!v) return false;
  *out = *v;
  return true;
}

bool LoopContext::GetAttr(std::string_view name, Value* out) const {
  const auto n = static_cast<int64_t>(items_->size());
  const auto i = static_cast<int64_t>(index_);
  if (name == "index")
    *out = Value(i + 1);
  else if (name == "index0")
    *out = Value(i);
  else if (name == "revindex")
    *out = Value(n - i);
  else if (name == "revindex0")
    *out = Value(n - i - 1);
  else if (name == "first")
    *out = Value(i == 0);
  else if (name == "last")
    *out = Value(i == n - 1);
  else if (name == "length")
    *out = Value(n);
  else if (name == "depth")
    *out = Value(1);
  else if (name == "depth0")
    *out = Value(0);
  else if (name == "previtem")
    *out = i > 0 ? (*items_)[index_ - 1]
                 : Value::Undefined("UndefinedError: there is no previous item");
  else if (name == "nextitem")
    *out = i + 1 < n ? (*items_)[index_ + 1]
                     : Value::Undefined("UndefinedError: there is no next item");
  else if (name == "cycle")
    *out = Value::FromObject(std::make_shared<BoundMethod>(
        Value::FromObject(std::const_pointer_cast<LoopContext>(shared_from_this())), "cycle"));
  else
    return false;
  return true;
}

Result<Value> LoopContext::Cycle(const CallArgs& args) const {
  if (args.positional.empty()) return ops::TypeError("no items for cycling given");
  return args.positional[index_ % args.positional.size()];
}

Status ArgBinder::Bind(std::initializer_list<std::string_view> params, size_t required) {
  names_.assign(params.begin(), params.end());
  bound_.assign(names_.size(), nullptr);
  if (args_.positional.size() > names_.size())
    return ops::TypeError(function_ + "() takes at most " + std::to_string(names_.size()) +
                          " argument(s) (" + std::to_string(args_.positional.size()) + " given)");
  for (size_t i = 0; i < args_.positional.size(); ++i) bound_[i] = &args_.positional[i];
  for (const auto& [key, value] : args_.keyword) {
    size_t i = 0;
    while (i < names_.size() && names_[i] != key) ++i;
    if (i == names_.size())
      return ops::TypeError(function_ + "() got an unexpected keyword argument '" + key + "'");
    if (bound_[i])
      return ops::TypeError(function_ + "() got multiple values for argument '" + key + "'");
    bound_[i] = &value;
  }
  for (size_t i = 0; i < required && i < names_.size(); ++i) {
    if (!bound_[i])
      return ops::TypeError(function_ + "() missing required argument '" + std::string(names_[i]) +
                            "'");
  }
  return Status::Ok();
}

Result<std::string> ArgBinder::String(size_t i, std::string fallback) const {
  const Value* v = Get(i);
  if (!v || v->is_none()) return fallback;
  if (!v->is_string())
    return ops::TypeError(function_ + "() argument '" + std::string(names_[i]) +
                          "' must be str, not " + ops::TypeName(*v));
  return v->string_value();
}

Result<int64_t> ArgBinder::Int(size_t i, int64_t fallback) const {
  const Value* v = Get(i);
  if (!v || v->is_none()) return fallback;
  if (v->is_bool()) return int64_t{v->bool_value()};
  if (!v->is_int())
    return ops::TypeError(function_ + "() argument '" + std::string(names_[i]) +
                          "' must be int, not " + ops::TypeName(*v));
  return v->int_value();
}

bool ArgBinder::Bool(size_t i, bool fallback) const {
  const Value* v = Get(i);
  return v ? v->Truthy() : fallback;
}

}  // namespace foundry::runtime::jinja
