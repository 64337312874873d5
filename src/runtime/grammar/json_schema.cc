// JSON Schema -> GBNF. Each schema becomes an expression; objects, arrays, $ref targets and
// alternations get their own rules named after where they sit in the schema.

#include "foundry/runtime/grammar/json_schema.h"

#include <algorithm>
#include <cctype>
#include <cassert>
#include <cmath>
#include <map>
#include <set>

#include "runtime/grammar/gbnf_writer.h"
#include "runtime/grammar/json_number_ranges.h"

namespace foundry::runtime::grammar {
namespace {

using ojson = nlohmann::ordered_json;

// Counted repetitions beyond this are refused (each expands to ~n grammar elements).
constexpr uint64_t kMaxCount = 10000;

// Keywords that constrain values in ways the grammar cannot express (or we do not yet).
constexpr const char* kRefused[] = {
    "pattern", "patternProperties", "multipleOf", "not", "if", "then", "else", "contains",
    "minContains", "maxContains", "dependentRequired", "dependentSchemas", "dependencies",
    "minProperties", "maxProperties", "propertyNames", "unevaluatedProperties", "unevaluatedItems",
    "$dynamicRef", "$recursiveRef"};

bool IsAnnotationOnly(const ojson& s) {
  static const std::set<std::string> kAnnotations = {
      "title", "description", "default", "examples", "$schema", "$id", "$comment", "format",
      "readOnly", "writeOnly", "deprecated", "contentMediaType", "contentEncoding", "$defs",
      "definitions", "$anchor"};
  for (const auto& [k, v] : s.items())
    if (!kAnnotations.count(k)) return false;
  return true;
}

std::string Join(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : " ") + alts[i];
  return out + " )";
}

// "( x ){lo,hi}" in GBNF (hi == UINT64_MAX: unbounded).
std::string Counted(const std::string& x, uint64_t lo, uint64_t hi) {
  if (hi == UINT64_MAX) {
    if (lo == 0) return "( " + x + " )*";
    if (lo == 1) return "( " + x + " )+";
    return "( " + x + " ){" + std::to_string(lo) + ",}";
  }
  if (hi == 0) return "";
  if (lo == 0 && hi == 1) return "( " + x + " )?";
  if (lo == hi) return "( " + x + " ){" + std::to_string(lo) + "}";
  return "( " + x + " ){" + std::to_string(lo) + "," + std::to_string(hi) + "}";
}

class SchemaCompiler {
 public:
  SchemaCompiler(const ojson& doc, GbnfWriter* w, std::string prefix)
      : doc_(doc), w_(w), prefix_(std::move(prefix)) {}

  // A GBNF expression for `s` at JSON pointer `path`.
  Result<std::string> Compile(const ojson& s, const std::string& path, const std::string& hint) {
    if (++depth_ > 128) return Status::InvalidArgument(path + ": schema nested too deeply");
    Result<std::string> r = CompileInner(s, path, hint);
    --depth_;
    return r;
  }

 private:
  Status Error(const std::string& path, const std::string& msg) const {
    return Status::InvalidArgument("JSON schema " + (path.empty() ? "#" : path) + ": " + msg);
  }

  Result<std::string> CompileInner(const ojson& s, const std::string& path, const std::string& hint) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return w_->Use("json-value");
      return Error(path, "the schema 'false' matches nothing");
    }
    if (!s.is_object()) return Error(path, "a schema must be an object or a boolean");
    for (const char* k : kRefused)
      if (s.contains(k)) return Error(path, std::string("'") + k + "' is not supported");
    if (s.contains("uniqueItems") && s["uniqueItems"] == true)
      return Error(path, "'uniqueItems': true is not supported");

    if (s.contains("$ref")) return CompileRef(s, path);
    if (s.contains("const")) return Literal(s["const"]);
    if (s.contains("enum")) {
      const ojson& e = s["enum"];
      if (!e.is_array() || e.empty()) return Error(path, "'enum' must be a non-empty array");
      std::vector<std::string> alts;
      for (const ojson& v : e) alts.push_back(Literal(v));
      return Join(alts);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!s.contains(key)) continue;
      const ojson& list = s[key];
      if (!list.is_array() || list.empty()) return Error(path, std::string("'") + key + "' must be a non-empty array");
      ojson siblings = s;
      siblings.erase(key);
      std::vector<std::string> alts;
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string sub = path + "/" + key + "/" + std::to_string(i);
        ojson alt = list[i];
        if (!IsAnnotationOnly(siblings)) {
          FOUNDRY_ASSIGN_OR_RETURN(alt, Merge(siblings, list[i], sub));
        }
        FOUNDRY_ASSIGN_OR_RETURN(std::string x, Compile(alt, sub, hint + "-" + std::to_string(i)));
        alts.push_back(x);
      }
      const std::string name = w_->NewName(prefix_ + hint);
      w_->Define(name, Join(alts));
      return name;
    }
    if (s.contains("allOf")) {
      const ojson& list = s["allOf"];
      if (!list.is_array() || list.empty()) return Error(path, "'allOf' must be a non-empty array");
      ojson merged = s;
      merged.erase("allOf");
      for (size_t i = 0; i < list.size(); ++i) {
        FOUNDRY_ASSIGN_OR_RETURN(merged, Merge(merged, list[i], path + "/allOf/" + std::to_string(i)));
      }
      return Compile(merged, path, hint);
    }

    // The types this schema admits.
    std::vector<std::string> types;
    if (s.contains("type")) {
      const ojson& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const ojson& x : t) {
          if (!x.is_string()) return Error(path, "'type' entries must be strings");
          types.push_back(x.get<std::string>());
        }
      } else {
        return Error(path, "'type' must be a string or a non-empty array of strings");
      }
    } else if (s.contains("properties") || s.contains("required") || s.contains("additionalProperties")) {
      types.push_back("object");
    } else if (s.contains("items") || s.contains("prefixItems") || s.contains("minItems") || s.contains("maxItems")) {
      types.push_back("array");
    } else if (s.contains("minLength") || s.contains("maxLength")) {
      types.push_back("string");
    } else if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
               s.contains("exclusiveMaximum")) {
      types.push_back("number");
    } else {
      return w_->Use("json-value");
    }
    if (s.value("nullable", false) && std::find(types.begin(), types.end(), "null") == types.end())
      types.push_back("null");

    std::vector<std::string> alts;
    for (const std::string& t : types) {
      std::string x;
      if (t == "object") {
        FOUNDRY_ASSIGN_OR_RETURN(x, CompileObject(s, path, hint));
      } else if (t == "array") {
        FOUNDRY_ASSIGN_OR_RETURN(x, CompileArray(s, path, hint));
      } else if (t == "string") {
        FOUNDRY_ASSIGN_OR_RETURN(x, CompileString(s, path));
      } else if (t == "integer" || t == "number") {
        FOUNDRY_ASSIGN_OR_RETURN(x, CompileNumber(s, path, t == "integer"));
      } else if (t == "boolean") {
        x = w_->Use("json-boolean");
      } else if (t == "null") {
        x = w_->Use("json-null");
      } else {
        return Error(path, "unknown type '" + t + "'");
      }
      if (std::find(alts.begin(), alts.end(), x) == alts.end()) alts.push_back(x);
    }
    return Join(alts);
  }

  // `v` serialized compactly, as a GBNF literal.
  static std::string Literal(const ojson& v) { return GbnfLiteral(v.dump(-1, ' ', false, ojson::error_handler_t::replace)); }

  Result<const ojson*> Resolve(const std::string& ref, const std::string& path) {
    if (ref.empty() || ref[0] != '#') return Error(path, "only local $ref (\"#...\") is supported, not '" + ref + "'");
    std::string pointer = ref.substr(1);
    try {
      const ojson& target = doc_.at(ojson::json_pointer(pointer));
      return &target;
    } catch (const std::exception&) {
      return Error(path, "$ref '" + ref + "' does not resolve");
    }
  }

  Result<std::string> CompileRef(const ojson& s, const std::string& path) {
    if (!s["$ref"].is_string()) return Error(path, "'$ref' must be a string");
    const std::string ref = s["$ref"].get<std::string>();
    if (auto it = refs_.find(ref); it != refs_.end()) return it->second;
    FOUNDRY_ASSIGN_OR_RETURN(const ojson* target, Resolve(ref, path));
    std::string hint = ref.substr(ref.rfind('/') == std::string::npos ? 1 : ref.rfind('/') + 1);
    const std::string name = w_->NewName(prefix_ + (hint.empty() ? std::string("root") : hint));
    refs_[ref] = name;  // before compiling: recursive references end here
    FOUNDRY_ASSIGN_OR_RETURN(std::string body, Compile(*target, ref, hint));
    w_->Define(name, body);
    return name;
  }

  // Shallow merge for allOf / anyOf siblings: `properties` and `required` are combined, other
  // keywords of `b` win. $ref in `b` is resolved first.
  Result<ojson> Merge(const ojson& a, const ojson& b_in, const std::string& path) {
    const ojson* b = &b_in;
    for (int hops = 0; b->is_object() && b->contains("$ref"); ++hops) {
      if (hops > 32) return Error(path, "$ref chain too long");
      if (!(*b)["$ref"].is_string()) return Error(path, "'$ref' must be a string");
      FOUNDRY_ASSIGN_OR_RETURN(b, Resolve((*b)["$ref"].get<std::string>(), path));
    }
    if (b->is_boolean()) {
      if (b->get<bool>()) return a;
      return Error(path, "the schema 'false' matches nothing");
    }
    if (!b->is_object()) return Error(path, "a schema must be an object or a boolean");
    ojson out = a;
    for (const auto& [k, v] : b->items()) {
      if (k == "properties" && out.contains("properties") && out["properties"].is_object() && v.is_object()) {
        for (const auto& [pk, pv] : v.items()) out["properties"][pk] = pv;
      } else if (k == "required" && out.contains("required") && out["required"].is_array() && v.is_array()) {
        for (const ojson& r : v)
          if (std::find(out["required"].begin(), out["required"].end(), r) == out["required"].end())
            out["required"].push_back(r);
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  Result<uint64_t> Count(const ojson& s, const char* key, uint64_t fallback, const std::string& path) {
    if (!s.contains(key)) return fallback;
    const ojson& v = s[key];
    if (!v.is_number() || v.get<double>() < 0 || std::floor(v.get<double>()) != v.get<double>())
      return Error(path, std::string("'") + key + "' must be a non-negative integer");
    if (v.get<double>() > double(kMaxCount))
      return Error(path, std::string("'") + key + "' above " + std::to_string(kMaxCount) + " is not supported");
    return uint64_t(v.get<double>());
  }

  Result<std::string> CompileObject(const ojson& s, const std::string& path, const std::string& hint) {
    struct Prop {
      std::string key;
      const ojson* schema;
      bool required;
    };
    static const ojson kAny = true;
    std::vector<Prop> props;
    if (s.contains("properties")) {
      if (!s["properties"].is_object()) return Error(path, "'properties' must be an object");
      for (const auto& [k, v] : s["properties"].items()) props.push_back({k, &v, false});
    }
    if (s.contains("required")) {
      if (!s["required"].is_array()) return Error(path, "'required' must be an array of strings");
      for (const ojson& r : s["required"]) {
        if (!r.is_string()) return Error(path, "'required' must be an array of strings");
        const std::string k = r.get<std::string>();
        auto it = std::find_if(props.begin(), props.end(), [&](const Prop& p) { return p.key == k; });
        if (it == props.end()) props.push_back({k, &kAny, true});
        else it->required = true;
      }
    }
    const ojson* additional = s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
    const std::string name = w_->NewName(prefix_ + hint);
    const std::string ws = w_->Use("ws");

    if (props.empty()) {
      if (additional && additional->is_boolean() && !additional->get<bool>()) {
        w_->Define(name, "\"{\" " + ws + " \"}\"");
        return name;
      }
      // A map: any keys, values valid against additionalProperties (any value by default).
      std::string value = w_->Use("json-value");
      if (additional && !additional->is_boolean()) {
        FOUNDRY_ASSIGN_OR_RETURN(value, Compile(*additional, path + "/additionalProperties", hint + "-value"));
      }
      const std::string kv = w_->Use("json-string") + " " + ws + " \":\" " + ws + " " + value + " " + ws;
      w_->Define(name, "\"{\" " + ws + " ( " + kv + " ( \",\" " + ws + " " + kv + " )* )? \"}\"");
      return name;
    }

    // kv_i and the "rest after i" chains: tail_i ::= ("," kv_i)[?] tail_{i+1}.
    std::vector<std::string> kv(props.size());
    for (size_t i = 0; i < props.size(); ++i) {
      FOUNDRY_ASSIGN_OR_RETURN(std::string value,
                               Compile(*props[i].schema, path + "/properties/" + props[i].key, hint + "-" + props[i].key));
      kv[i] = GbnfLiteral(ojson(props[i].key).dump(-1, ' ', false, ojson::error_handler_t::replace)) + " " + ws +
              " \":\" " + ws + " " + value + " " + ws;
    }
    std::vector<std::string> tail(props.size() + 1);  // tail[n] = "" (nothing)
    for (size_t i = props.size(); i-- > 1;) {
      std::string item = "\",\" " + ws + " " + kv[i];
      std::string body = props[i].required ? item : "( " + item + " )?";
      if (!tail[i + 1].empty()) body += " " + tail[i + 1];
      tail[i] = w_->NewName(name + "-tail");
      w_->Define(tail[i], body);
    }
    // The first property present: property j when all before it are optional (absent).
    std::vector<std::string> alts;
    bool all_optional = true;
    for (size_t j = 0; j < props.size(); ++j) {
      alts.push_back(kv[j] + (tail[j + 1].empty() ? "" : " " + tail[j + 1]));
      if (props[j].required) {
        all_optional = false;
        break;
      }
    }
    std::string members = Join(alts);
    if (all_optional) members = "( " + members + " )?";
    w_->Define(name, "\"{\" " + ws + " " + members + " \"}\"");
    return name;
  }

  Result<std::string> CompileArray(const ojson& s, const std::string& path, const std::string& hint) {
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t min_items, Count(s, "minItems", 0, path));
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t max_items, Count(s, "maxItems", UINT64_MAX, path));
    if (min_items > max_items) return Error(path, "minItems is greater than maxItems");
    const std::string ws = w_->Use("ws");
    // Tuple part: prefixItems, or draft-4 array-valued items (then additionalItems).
    const ojson* tuple = nullptr;
    const ojson* rest = nullptr;
    std::string rest_key = "items";
    if (s.contains("prefixItems")) {
      tuple = &s["prefixItems"];
      if (s.contains("items")) rest = &s["items"];
    } else if (s.contains("items") && s["items"].is_array()) {
      tuple = &s["items"];
      if (s.contains("additionalItems")) rest = &s["additionalItems"], rest_key = "additionalItems";
    } else if (s.contains("items")) {
      rest = &s["items"];
    }
    if (tuple && !tuple->is_array()) return Error(path, "'prefixItems' must be an array");
    std::vector<std::string> seq;
    if (tuple) {
      for (size_t i = 0; i < tuple->size(); ++i) {
        FOUNDRY_ASSIGN_OR_RETURN(std::string x, Compile((*tuple)[i], path + "/prefixItems/" + std::to_string(i),
                                                        hint + "-" + std::to_string(i)));
        seq.push_back(x);
      }
      if (seq.size() > max_items) seq.resize(size_t(max_items));
    }
    const uint64_t k = seq.size();
    // Extra items after the tuple (all items when there is none).
    bool extra_allowed = !tuple || (rest && !(rest->is_boolean() && !rest->get<bool>()));
    std::string item;
    if (extra_allowed) {
      if (rest && !rest->is_boolean()) {
        FOUNDRY_ASSIGN_OR_RETURN(item, Compile(*rest, path + "/" + rest_key, hint + "-item"));
      } else if (rest && rest->is_boolean() && !rest->get<bool>()) {
        extra_allowed = false;
      } else {
        item = w_->Use("json-value");
      }
    }
    const uint64_t extra_min = min_items > k ? min_items - k : 0;
    const uint64_t extra_max = !extra_allowed ? 0 : max_items == UINT64_MAX ? UINT64_MAX : max_items - k;
    if (extra_min > extra_max) return Error(path, "minItems cannot be met: no further items are allowed");

    const std::string name = w_->NewName(prefix_ + hint);
    std::string body = "\"[\" " + ws;
    for (size_t i = 0; i < seq.size(); ++i) body += (i ? " \",\" " + ws + " " : " ") + seq[i] + " " + ws;
    if (extra_max > 0) {
      const std::string next = "\",\" " + ws + " " + item + " " + ws;
      if (k > 0) {
        body += " " + Counted(next, extra_min, extra_max);
      } else if (extra_min == 0) {
        const uint64_t more = extra_max == UINT64_MAX ? UINT64_MAX : extra_max - 1;
        std::string tail = more == 0 ? "" : " " + Counted(next, 0, more);
        body += " ( " + item + " " + ws + tail + " )?";
      } else {
        const uint64_t more = extra_max == UINT64_MAX ? UINT64_MAX : extra_max - 1;
        body += " " + item + " " + ws;
        if (more > 0) body += " " + Counted(next, extra_min - 1, more);
      }
    }
    body += " \"]\"";
    w_->Define(name, body);
    return name;
  }

  Result<std::string> CompileString(const ojson& s, const std::string& path) {
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t min_len, Count(s, "minLength", 0, path));
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t max_len, Count(s, "maxLength", UINT64_MAX, path));
    if (min_len > max_len) return Error(path, "minLength is greater than maxLength");
    if (min_len == 0 && max_len == UINT64_MAX) return w_->Use("json-string");
    const std::string chars = Counted(w_->Use("json-char"), min_len, max_len);
    return "( \"\\\"\" " + chars + " \"\\\"\" )";
  }

  // Bounds rounded inward to integers (stricter, so the output always validates).
  Result<std::string> CompileNumber(const ojson& s, const std::string& path, bool integer) {
    double lo = -double(kMaxJsonMagnitude), hi = double(kMaxJsonMagnitude);
    bool bounded = false;
    auto num = [&](const char* key, double* out) -> Status {
      if (!s.contains(key)) return Status::Ok();
      if (s[key].is_boolean()) return Status::Ok();  // draft-4 exclusive flags, read below
      if (!s[key].is_number()) return Error(path, std::string("'") + key + "' must be a number");
      *out = s[key].get<double>();
      bounded = true;
      return Status::Ok();
    };
    double minimum = lo, maximum = hi, xmin = NAN, xmax = NAN;
    FOUNDRY_RETURN_IF_ERROR(num("minimum", &minimum));
    FOUNDRY_RETURN_IF_ERROR(num("maximum", &maximum));
    FOUNDRY_RETURN_IF_ERROR(num("exclusiveMinimum", &xmin));
    FOUNDRY_RETURN_IF_ERROR(num("exclusiveMaximum", &xmax));
    if (!bounded) return w_->Use(integer ? "json-integer" : "json-number");
    // Draft 4: exclusiveMinimum/Maximum are booleans applying to minimum/maximum.
    if (s.value("exclusiveMinimum", ojson()).is_boolean() && s["exclusiveMinimum"].get<bool>()) xmin = minimum;
    if (s.value("exclusiveMaximum", ojson()).is_boolean() && s["exclusiveMaximum"].get<bool>()) xmax = maximum;
    double l = std::ceil(minimum), h = std::floor(maximum);
    if (!std::isnan(xmin)) l = std::max(l, std::floor(xmin) + 1);
    if (!std::isnan(xmax)) h = std::min(h, std::ceil(xmax) - 1);
    l = std::max(l, -double(kMaxJsonMagnitude));
    h = std::min(h, double(kMaxJsonMagnitude));
    if (!(l <= h))
      return Error(path, "no " + std::string(integer ? "integer" : "number") +
                             " satisfies the bounds (numbers are generated with integer bounds rounded inward)");
    return "( " + (integer ? IntegerRangeGbnf(int64_t(l), int64_t(h)) : NumberRangeGbnf(int64_t(l), int64_t(h))) + " )";
  }

  const ojson& doc_;
  GbnfWriter* w_;
  std::string prefix_;
  std::map<std::string, std::string> refs_;
  int depth_ = 0;
};

Result<std::string> CompileWith(const ojson& schema, GbnfWriter* w, const std::string& prefix,
                                const std::string& hint) {
  try {
    SchemaCompiler c(schema, w, prefix);
    return c.Compile(schema, "#", hint);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("JSON schema: ") + e.what());
  }
}

}  // namespace

Result<std::string> JsonSchemaToGbnf(const nlohmann::ordered_json& schema) {
  GbnfWriter w;
  FOUNDRY_ASSIGN_OR_RETURN(std::string top, CompileWith(schema, &w, "", "value"));
  return "root ::= " + top + "\n" + w.Text();
}

Result<Grammar> CompileJsonSchema(const nlohmann::ordered_json& schema) {
  FOUNDRY_ASSIGN_OR_RETURN(std::string gbnf, JsonSchemaToGbnf(schema));
  Result<Grammar> g = ParseGrammar(gbnf);
  if (!g.ok()) return Status(g.status().code(), "JSON schema: " + g.status().message());
  return g;
}

Result<Grammar> CompileJsonSchema(const nlohmann::json& schema) {
  return CompileJsonSchema(nlohmann::ordered_json(schema));
}

Result<Grammar> CompileJsonSchemaText(std::string_view schema_json) {
  ojson schema = ojson::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return Status::InvalidArgument("the JSON schema is not valid JSON");
  return CompileJsonSchema(schema);
}

std::string JsonObjectGbnf() {
  GbnfWriter w;
  const std::string top = w.Use("json-object");  // before Text(): it lists what is used
  return "root ::= " + top + "\n" + w.Text();
}

Grammar JsonObjectGrammar() {
  Result<Grammar> g = ParseGrammar(JsonObjectGbnf());
  // The text is a constant of this file; failing to parse it is our bug.
  assert(g.ok());
  return std::move(g).value();
}

Result<std::string> ToolCallGbnf(std::span<const ToolCallGrammarSpec> tools, const ToolCallGrammarOptions& options) {
  if (tools.empty()) return Status::InvalidArgument("a tool-call grammar needs at least one tool");
  GbnfWriter w;
  std::vector<std::string> calls;
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string prefix = "tool" + std::to_string(i) + "-";
    std::string args;
    if (tools[i].parameters.is_null()) {
      args = w.Use("json-object");
    } else {
      Result<std::string> r = CompileWith(tools[i].parameters, &w, prefix, "args");
      if (!r.ok()) return Status(r.status().code(), "tool " + std::to_string(i) + ": " + r.status().message());
      args = *r;
    }
    const std::string name = w.NewName(prefix + "call");
    w.Define(name, GbnfLiteral(tools[i].prefix) + " " + args + " " + GbnfLiteral(tools[i].suffix));
    calls.push_back(name);
  }
  std::string call = Join(calls);
  std::string root = call;
  if (options.allow_multiple && options.max_calls > 1) {
    const uint64_t more = std::min<uint64_t>(options.max_calls, kMaxCount) - 1;
    root += " " + Counted(GbnfLiteral(options.separator) + " " + call, 0, more);
  }
  return "root ::= " + root + "\n" + w.Text();
}

Result<Grammar> CompileToolCallGrammar(std::span<const ToolCallGrammarSpec> tools,
                                       const ToolCallGrammarOptions& options) {
  FOUNDRY_ASSIGN_OR_RETURN(std::string gbnf, ToolCallGbnf(tools, options));
  Result<Grammar> g = ParseGrammar(gbnf);
  if (!g.ok()) return Status(g.status().code(), "tool-call grammar: " + g.status().message());
  return g;
}

}  // namespace foundry::runtime::grammar
