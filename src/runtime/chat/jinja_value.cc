#include "foundry/runtime/chat/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace foundry::runtime::jinja {
namespace {

template <class Json>
Result<Value> FromJsonAt(const Json& j, int depth) {
  if (depth > Value::kMaxJsonDepth)
    return Status::InvalidArgument(std::string("JSON nested deeper than ") +
                                   std::to_string(Value::kMaxJsonDepth) + " levels");
  switch (j.type()) {
    case nlohmann::detail::value_t::null:
      return Value::None();
    case nlohmann::detail::value_t::boolean:
      return Value(j.template get<bool>());
    case nlohmann::detail::value_t::number_integer:
      return Value(j.template get<int64_t>());
    case nlohmann::detail::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case nlohmann::detail::value_t::number_float:
      return Value(j.template get<double>());
    case nlohmann::detail::value_t::string:
      return Value(j.template get<std::string>());
    case nlohmann::detail::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, FromJsonAt(e, depth + 1));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items));
    }
    case nlohmann::detail::value_t::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, FromJsonAt(it.value(), depth + 1));
        d.Set(it.key(), std::move(v));
      }
      return Value::FromDict(std::move(d));
    }
    case nlohmann::detail::value_t::binary:
    case nlohmann::detail::value_t::discarded:
      break;
  }
  return Status::InvalidArgument("unsupported JSON value type");
}

// Python equality restricted to hashable scalars (dict keys).
bool KeysEqual(const Value& a, const Value& b) {
  auto numeric = [](const Value& v) { return v.is_bool() || v.is_number(); };
  if (numeric(a) && numeric(b)) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    int64_t x = a.is_bool() ? int64_t{a.bool_value()} : a.int_value();
    int64_t y = b.is_bool() ? int64_t{b.bool_value()} : b.int_value();
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_none()) return true;
  if (a.is_string()) return a.string_value() == b.string_value();
  return false;
}

}  // namespace

bool Object::GetAttr(std::string_view, Value*) const { return false; }

std::string Object::repr() const {
  std::string out = "<";
  out.append(type_name()).append(" object>");
  return out;
}

Value Value::Undefined(std::string message) {
  Value v;
  if (!message.empty())
    v.data_ = UndefinedInfo{std::make_shared<const std::string>(std::move(message))};
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  v.data_ = std::monostate{};
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  for (const Value& item : items) v.depth_ = std::max(v.depth_, item.depth_ + 1);
  if (items.empty()) v.depth_ = 1;
  v.data_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v = List(std::move(items));
  v.kind_ = Kind::kTuple;
  return v;
}

Value Value::FromDict(Dict dict) {
  Value v;
  v.kind_ = Kind::kDict;
  v.depth_ = 1;
  for (const auto& [key, item] : dict.entries()) {
    v.depth_ = std::max(v.depth_, key.depth_ + 1);
    v.depth_ = std::max(v.depth_, item.depth_ + 1);
  }
  v.data_ = std::make_shared<const Dict>(std::move(dict));
  return v;
}

Value Value::FromObject(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = Kind::kObject;
  v.data_ = std::move(object);
  return v;
}

Value Value::Function(std::string name, NativeFn fn) {
  return FromObject(std::make_shared<NativeFunction>(std::move(name), std::move(fn)));
}

Result<Value> Value::FromJson(const nlohmann::json& json) { return FromJsonAt(json, 0); }
Result<Value> Value::FromJson(const nlohmann::ordered_json& json) { return FromJsonAt(json, 0); }

const std::string& Value::undefined_message() const {
  static const std::string kEmpty;  // immutable
  const auto& info = std::get<UndefinedInfo>(data_);
  return info.message ? *info.message : kEmpty;
}

double Value::AsDouble() const {
  switch (kind_) {
    case Kind::kBool:
      return bool_value() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(int_value());
    default:
      return float_value();
  }
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return bool_value();
    case Kind::kInt:
      return int_value() != 0;
    case Kind::kFloat:
      return float_value() != 0.0;
    case Kind::kString:
      return !string_value().empty();
    case Kind::kList:
    case Kind::kTuple:
      return !items().empty();
    case Kind::kDict:
      return !dict().empty();
    case Kind::kObject:
      return true;
  }
  return false;
}

Status Dict::Insert(Value key, Value value) {
  if (key.is_string()) {
    Set(key.string_value(), std::move(value));
    return Status::Ok();
  }
  switch (key.kind()) {
    case Value::Kind::kNone:
    case Value::Kind::kBool:
    case Value::Kind::kInt:
    case Value::Kind::kFloat:
      break;
    case Value::Kind::kTuple:
      for (const Value& item : key.items()) {
        if (item.is_sequence() || item.is_dict() || item.is_object())
          return Status::InvalidArgument("TypeError: unhashable type in tuple key");
      }
      break;
    default:
      return Status::InvalidArgument("TypeError: unhashable type: dict key of this kind");
  }
  for (auto& e : entries_) {
    if (KeysEqual(e.first, key)) {
      e.second = std::move(value);
      return Status::Ok();
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  return Status::Ok();
}

void Dict::Set(std::string key, Value value) {
  auto it = string_index_.find(key);
  if (it != string_index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  string_index_.emplace(key, entries_.size());
  entries_.emplace_back(Value(std::move(key)), std::move(value));
}

const Value* Dict::Find(std::string_view key) const {
  auto it = string_index_.find(std::string(key));
  return it == string_index_.end() ? nullptr : &entries_[it->second].second;
}

const Value* Dict::FindKey(const Value& key) const {
  if (key.is_string()) return Find(std::string_view(key.string_value()));
  for (const auto& e : entries_) {
    if (!e.first.is_string() && KeysEqual(e.first, key)) return &e.second;
  }
  return nullptr;
}

}  // namespace foundry::runtime::jinja
