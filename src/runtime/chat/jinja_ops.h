#pragma once
// Python semantics for jinja Values: str()/repr(), ==, ordering, arithmetic, `in`, len(),
// iteration, subscripts and slices. Internal to the jinja interpreter.
//
// Errors are Statuses whose message reads like the Python exception, without a template position
// (the interpreter adds it): "TypeError: can only concatenate str (not \"NoneType\") to str".
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja::ops {

enum class BinOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

// Python type name: "NoneType", "bool", "int", "float", "str", "list", "tuple", "dict",
// "Undefined", or the object's type_name().
std::string TypeName(const Value& v);
// jinja's object_type_repr: "None", "dict object", "str object", ...
std::string ObjectTypeRepr(const Value& v);

// The error of using an Undefined where Python would fail. REQUIRES: v.is_undefined().
Status UndefinedError(const Value& v);
// `message` as a Python-style TypeError / ValueError Status.
Status TypeError(const std::string& message);
Status ValueError(const std::string& message);

// str(v): what {{ v }} prints. Undefined prints as "".
std::string Str(const Value& v);
// repr(v): how v prints inside a list or dict.
std::string Repr(const Value& v);

// Python ==. Never fails (Undefined equals only Undefined).
bool Equals(const Value& a, const Value& b);
// Python <, <=, >, >= and `in` / `not in` (for kEq / kNe, Equals).
Result<bool> Compare(CmpOp op, const Value& a, const Value& b);
// `item in container`.
Result<bool> Contains(const Value& container, const Value& item);

// Python binary arithmetic; sequences and strings for + and *. Results longer than max_bytes
// (bytes of a string, elements of a list) are kResourceExhausted.
Result<Value> Binary(BinOp op, const Value& a, const Value& b, size_t max_bytes);
// Unary minus / plus.
Result<Value> Negate(const Value& v);
Result<Value> Positive(const Value& v);

// Python len(): str (code points), list, tuple, dict; Undefined is 0.
Result<int64_t> Len(const Value& v);
// Python iter(): list/tuple items, dict keys, str code points, Undefined as empty.
Result<std::vector<Value>> Iterate(const Value& v);

// obj[key] for str, list, tuple (negative indexes from the end) and dict; a miss is Undefined
// (as jinja's getitem) with the message jinja would give.
Result<Value> GetItem(const Value& obj, const Value& key);
// obj[start:stop:step] for str, list and tuple; absent bounds are None in Python terms.
Result<Value> Slice(const Value& obj, const std::optional<int64_t>& start,
                    const std::optional<int64_t>& stop, const std::optional<int64_t>& step);

// Python's `%` string formatting with %s, %r, %d, %i, %f, %% (a tuple supplies several values).
Result<std::string> PercentFormat(const std::string& fmt, const Value& args);

}  // namespace foundry::runtime::jinja::ops
