#pragma once
// jinja::Value: the dynamically typed value a chat template computes with.
//
// Models the Python objects a Jinja2 template sees under Hugging Face's apply_chat_template:
// Undefined (a missing variable, key or attribute), None, bool, int, float, str, list, tuple,
// dict (insertion-ordered, like Python 3.7+) and opaque objects (namespace(), macros, the loop
// variable, bound methods, native functions).
//
// Strings are UTF-8 bytes; operations that Python defines on code points (len, indexing,
// slicing, iteration) decode them. Ints are 64-bit (arithmetic that would overflow is an error at
// render time, where Python would grow the integer).
//
// Lists, tuples and dicts are immutable once built and shared by reference: copying a Value is
// O(1). This matches the ImmutableSandboxedEnvironment Hugging Face renders with, where
// `list.append` and `dict.update` are refused. Only namespace() objects are mutable, and they are
// created during one render and never escape it.
//
// Thread-safety: a Value is immutable apart from namespace objects made by a render; Values
// built by callers may be shared across threads and renders.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::runtime::jinja {

class Value;
class Dict;
struct CallArgs;

// A callable the embedding program provides (e.g. a custom global). Its error Status is reported
// with the template line and column of the call; its message should read like a Python exception
// ("TypeError: ..."). It must be safe to call from concurrent renders that share the Value.
using NativeFn = std::function<Result<Value>(const CallArgs& args)>;

// Base of the opaque object kinds. Subclasses live in the interpreter, except NativeFunction.
class Object {
 public:
  virtual ~Object() = default;
  // Python-style type name used in error messages ("namespace", "LoopContext", "function").
  virtual std::string_view type_name() const = 0;
  virtual bool is_callable() const { return false; }
  // What str() / repr() print for it.
  virtual std::string repr() const;  // default: "<type_name object>"
  // `obj.name` in a template: true and *out set, or false if there is no such attribute (the
  // template then sees Undefined).
  virtual bool GetAttr(std::string_view name, Value* out) const;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kTuple,
    kDict,
    kObject,
  };

  // Undefined without a message (misuse reports "UndefinedError: value is undefined"); the
  // interpreter's own Undefineds carry jinja2's message, see Undefined(message).
  Value() = default;
  Value(bool b) : kind_(Kind::kBool), data_(b) {}                      // NOLINT
  Value(int i) : kind_(Kind::kInt), data_(int64_t{i}) {}               // NOLINT
  Value(int64_t i) : kind_(Kind::kInt), data_(i) {}                    // NOLINT
  Value(double f) : kind_(Kind::kFloat), data_(f) {}                   // NOLINT
  Value(std::string s) : kind_(Kind::kString), data_(std::move(s)) {}  // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}                 // NOLINT
  Value(const char* s) : Value(std::string(s)) {}                      // NOLINT

  // An Undefined whose misuse fails with `message`, a full Python-style error
  // ("UndefinedError: 'dict object' has no attribute 'content'").
  static Value Undefined(std::string message);
  static Value None();
  static Value List(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);
  static Value FromDict(Dict dict);
  // REQUIRES: object != nullptr.
  static Value FromObject(std::shared_ptr<Object> object);
  static Value Function(std::string name, NativeFn fn);

  // JSON null -> None, bool, integers (unsigned ones past INT64_MAX become floats), floats,
  // strings, arrays -> list, objects -> dict in the JSON object's key order. kInvalidArgument if
  // nested deeper than kMaxJsonDepth.
  // Templates print objects with tojson in key order, so pass nlohmann::ordered_json parsed from
  // the request: nlohmann::json sorts keys and the prompt would differ from Hugging Face's.
  static constexpr int kMaxJsonDepth = 256;
  static Result<Value> FromJson(const nlohmann::ordered_json& json);
  static Result<Value> FromJson(const nlohmann::json& json);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_sequence() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_object() const { return kind_ == Kind::kObject; }

  // Accessors. REQUIRES: the matching kind (checked by std::get; a mismatch is a foundry bug).
  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int_value() const { return std::get<int64_t>(data_); }
  double float_value() const { return std::get<double>(data_); }
  const std::string& string_value() const { return std::get<std::string>(data_); }
  const std::vector<Value>& items() const { return *std::get<ListPtr>(data_); }  // list or tuple
  const Dict& dict() const { return *std::get<DictPtr>(data_); }
  const std::shared_ptr<Object>& object() const { return std::get<ObjectPtr>(data_); }
  // The message an Undefined fails with; empty if none was recorded. REQUIRES: is_undefined().
  const std::string& undefined_message() const;

  // int or bool as a double, float as is. REQUIRES: is_number() || is_bool().
  double AsDouble() const;

  // Nesting depth: 0 for scalars and objects, 1 + the deepest item for lists, tuples and dicts.
  // The interpreter refuses to build values deeper than its limit, which bounds the recursion of
  // repr(), ==, and tojson.
  uint32_t depth() const { return depth_; }

  // Python truthiness: Undefined, None, False, 0, 0.0, "", empty containers are false.
  bool Truthy() const;

 private:
  using ListPtr = std::shared_ptr<const std::vector<Value>>;
  using DictPtr = std::shared_ptr<const Dict>;
  using ObjectPtr = std::shared_ptr<Object>;
  struct UndefinedInfo {
    std::shared_ptr<const std::string> message;  // null: no message recorded
  };

  Kind kind_ = Kind::kUndefined;
  uint32_t depth_ = 0;
  std::variant<UndefinedInfo, std::monostate, bool, int64_t, double, std::string, ListPtr, DictPtr,
               ObjectPtr>
      data_;
};

// Arguments of a call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class NativeFunction final : public Object {
 public:
  NativeFunction(std::string name, NativeFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string_view type_name() const override { return "function"; }
  bool is_callable() const override { return true; }
  const std::string& name() const { return name_; }
  Result<Value> Call(const CallArgs& args) const { return fn_(args); }

 private:
  std::string name_;
  NativeFn fn_;
};

// An insertion-ordered mapping from hashable Values (None, bool, int, float, str) to Values.
// Lookup of string keys is O(1) on average; other keys are compared with Python equality
// (1 == 1.0 == True) by a linear scan.
class Dict {
 public:
  using Entry = std::pair<Value, Value>;

  // Inserts, or replaces the value of an equal key in place (Python dict semantics).
  // kInvalidArgument ("TypeError: unhashable type: 'list'") for a list, dict or object key.
  Status Insert(Value key, Value value);
  void Set(std::string key, Value value);  // a string key; never fails

  // The value of `key`, or nullptr if absent.
  const Value* FindKey(const Value& key) const;
  const Value* Find(std::string_view key) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> string_index_;  // string key -> position in entries_
};

}  // namespace foundry::runtime::jinja
