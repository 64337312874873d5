#pragma once
// A small JSON Schema validator for tests: checks generated output independently of the
// grammar compiler. Covers the keywords the compiler supports (json_schema.h); `oneOf` is
// checked strictly (exactly one branch), `format` is ignored. Returns "" when valid, else the
// JSON pointer and reason of the first violation.

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace foundry::runtime::grammar::testing {

class SchemaValidator {
 public:
  explicit SchemaValidator(nlohmann::ordered_json root) : root_(std::move(root)) {}

  std::string Validate(const nlohmann::ordered_json& v) const { return Check(root_, v, "#"); }

 private:
  using J = nlohmann::ordered_json;

  static bool IsType(const J& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }

  static size_t CodePoints(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  std::string Check(const J& s, const J& v, const std::string& at) const {
    if (s.is_boolean()) return s.get<bool>() ? "" : at + ": schema false";
    if (s.contains("$ref")) {
      std::string ref = s["$ref"].get<std::string>();
      return Check(root_.at(J::json_pointer(ref.substr(1))), v, at);
    }
    if (s.contains("const") && s["const"] != v) return at + ": not the const";
    if (s.contains("enum")) {
      bool found = false;
      for (const J& e : s["enum"]) found |= e == v;
      if (!found) return at + ": not in enum";
    }
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_string()) ok = IsType(v, s["type"].get<std::string>());
      else for (const J& t : s["type"]) ok |= IsType(v, t.get<std::string>());
      if (!ok && !(v.is_null() && s.value("nullable", false))) return at + ": wrong type " + v.dump();
    }
    if (s.contains("anyOf")) {
      bool ok = false;
      for (const J& sub : s["anyOf"]) ok |= Check(sub, v, at).empty();
      if (!ok) return at + ": no anyOf branch matches";
    }
    if (s.contains("oneOf")) {
      int n = 0;
      for (const J& sub : s["oneOf"]) n += Check(sub, v, at).empty();
      if (n != 1) return at + ": " + std::to_string(n) + " oneOf branches match";
    }
    if (s.contains("allOf"))
      for (const J& sub : s["allOf"])
        if (std::string e = Check(sub, v, at); !e.empty()) return e;
    if (v.is_object()) {
      if (s.contains("required"))
        for (const J& r : s["required"])
          if (!v.contains(r.get<std::string>())) return at + ": missing " + r.get<std::string>();
      for (const auto& [k, x] : v.items()) {
        const std::string sub = at + "/" + k;
        if (s.contains("properties") && s["properties"].contains(k)) {
          if (std::string e = Check(s["properties"][k], x, sub); !e.empty()) return e;
        } else if (s.contains("additionalProperties")) {
          if (std::string e = Check(s["additionalProperties"], x, sub); !e.empty()) return e;
        }
      }
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return at + ": too few items";
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return at + ": too many items";
      size_t k = 0;
      if (s.contains("prefixItems"))
        for (; k < s["prefixItems"].size() && k < v.size(); ++k)
          if (std::string e = Check(s["prefixItems"][k], v[k], at + "/" + std::to_string(k)); !e.empty()) return e;
      if (s.contains("items"))
        for (; k < v.size(); ++k)
          if (std::string e = Check(s["items"], v[k], at + "/" + std::to_string(k)); !e.empty()) return e;
    }
    if (v.is_string()) {
      const size_t n = CodePoints(v.get<std::string>());
      if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return at + ": too short";
      if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return at + ": too long";
    }
    if (v.is_number()) {
      const double x = v.get<double>();
      if (s.contains("minimum") && x < s["minimum"].get<double>()) return at + ": below minimum";
      if (s.contains("maximum") && x > s["maximum"].get<double>()) return at + ": above maximum";
      if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>()) return at + ": not above exclusiveMinimum";
      if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>()) return at + ": not below exclusiveMaximum";
    }
    return "";
  }

  J root_;
};

}  // namespace foundry::runtime::grammar::testing
