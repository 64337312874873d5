#pragma once
// GbnfWriter: collects the GBNF rules the JSON-Schema compiler produces, hands out unique rule
// names, and appends the JSON building blocks (strings, numbers, any value, whitespace) that
// were used. Internal to the grammar compiler. Thread-compatible.

#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace foundry::runtime::grammar {

// The JSON building blocks, defined once per grammar (prefixed "json-" so schema-derived
// rule names cannot collide with them; those never start with "json-").
inline constexpr const char* kJsonPrimitives[][2] = {
    {"ws", R"(( " " | "\n" [ \t]{0,20} )?)"},
    {"json-hex", R"([0-9a-fA-F])"},
    // One character of a JSON string: anything but '"', '\\' and control characters, or an
    // escape. \u escapes exclude the surrogates D800-DFFF, which JSON parsers reject unpaired.
    {"json-char",
     R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" ( [0-9a-cA-CeEfF] json-hex json-hex json-hex | [dD] [0-7] json-hex json-hex ) ))"},
    {"json-string", R"("\"" json-char* "\"")"},
    {"json-int-part", R"("0" | [1-9] [0-9]{0,15})"},
    {"json-integer", R"("-"? json-int-part)"},
    {"json-number", R"("-"? json-int-part ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?)"},
    {"json-boolean", R"("true" | "false")"},
    {"json-null", R"("null")"},
    {"json-value", R"(json-object | json-array | json-string | json-number | json-boolean | json-null)"},
    {"json-object",
     R"("{" ws ( json-string ws ":" ws json-value ws ( "," ws json-string ws ":" ws json-value ws )* )? "}")"},
    {"json-array", R"("[" ws ( json-value ws ( "," ws json-value ws )* )? "]")"},
};

// Collects rules in definition order; knows which primitives are used.
class GbnfWriter {
 public:
  // A fresh rule name based on `hint` (sanitized to [a-z0-9-]).
  std::string NewName(const std::string& hint) {
    std::string base;
    for (char c : hint) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c));
      if (ok) base += char(std::tolower(static_cast<unsigned char>(c)));
      else if (!base.empty() && base.back() != '-') base += '-';
    }
    while (!base.empty() && base.back() == '-') base.pop_back();
    if (base.size() > 40) base.resize(40);
    if (base.empty() || base.rfind("json", 0) == 0 || base == "ws") base = "s-" + base;
    while (!base.empty() && base.back() == '-') base.pop_back();
    std::string name = base;
    for (int i = 2; used_.count(name); ++i) name = base + "-" + std::to_string(i);
    used_.insert(name);
    return name;
  }
  void Define(const std::string& name, const std::string& body) { rules_.emplace_back(name, body); }
  // Returns `name` and remembers to emit its definition (and what it uses).
  std::string Use(const std::string& name) {
    prims_.insert(name);
    return name;
  }
  std::string Text() const {
    std::string out;
    for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
    // Primitives reference each other; emit the closure.
    std::set<std::string> need = prims_;
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& p : kJsonPrimitives) {
        if (!need.count(p[0])) continue;
        for (const auto& q : kJsonPrimitives)
          if (std::string(p[1]).find(q[0]) != std::string::npos && !need.count(q[0])) {
            need.insert(q[0]);
            grew = true;
          }
      }
    }
    for (const auto& p : kJsonPrimitives)
      if (need.count(p[0])) out += std::string(p[0]) + " ::= " + p[1] + "\n";
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> rules_;
  std::set<std::string> used_ = {"ws", "root"};
  std::set<std::string> prims_;
};

}  // namespace foundry::runtime::grammar
