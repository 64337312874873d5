#include "foundry/runtime/grammar/json_schema.h"

#include <gtest/gtest.h>

#include <memory>

#include "foundry/runtime/grammar/grammar_matcher.h"
#include "runtime/grammar/schema_validator.h"

namespace foundry::runtime::grammar {
namespace {

using nlohmann::ordered_json;

std::shared_ptr<const Grammar> FromSchema(std::string_view schema) {
  Result<Grammar> g = CompileJsonSchemaText(schema);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return nullptr;
  return std::make_shared<const Grammar>(std::move(g).value());
}

bool Matches(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  GrammarMatcher m(g);
  GrammarMatcher::StateId st = m.Walk(m.start(), s);
  return st != GrammarMatcher::kDead && m.IsAccepting(st);
}

// Every `good` text matches the grammar (and, as a check of the test data, the validator);
// no `bad` text matches.
void Expect(std::string_view schema, std::vector<std::string> good, std::vector<std::string> bad) {
  auto g = FromSchema(schema);
  ASSERT_TRUE(g) << schema;
  testing::SchemaValidator v(ordered_json::parse(schema));
  for (const std::string& s : good) {
    EXPECT_TRUE(Matches(g, s)) << "schema " << schema << "\nshould accept: " << s;
    EXPECT_EQ(v.Validate(ordered_json::parse(s)), "") << s;
  }
  for (const std::string& s : bad) EXPECT_FALSE(Matches(g, s)) << "schema " << schema << "\nshould reject: " << s;
}

std::string ErrorOf(std::string_view schema) {
  Result<Grammar> g = CompileJsonSchemaText(schema);
  EXPECT_FALSE(g.ok()) << schema;
  return g.ok() ? "" : g.status().message();
}

TEST(JsonSchema, Primitives) {
  Expect(R"({"type": "string"})", {R"("")", R"("hi")", R"("a\"b\\c\n\u00e9\ud7ff")", "\"日本🙂\""},
         {"hi", R"("a)", "\"\n\"", R"("\x")", R"("\ud800")", R"( "x")", R"("x" )"});
  Expect(R"({"type": "integer"})", {"0", "-7", "42", "1234567890123456"},
         {"01", "1.5", "+1", "-", "12345678901234567", "1e3"});
  Expect(R"({"type": "number"})", {"0", "-0.5", "3.25", "1e10", "2.5E-3", "-12"},
         {".5", "1.", "01", "1e", "1e123", "NaN"});
  Expect(R"({"type": "boolean"})", {"true", "false"}, {"True", "1", "null"});
  Expect(R"({"type": "null"})", {"null"}, {"nil", "0", ""});
  Expect(R"({"type": ["integer", "null"]})", {"3", "null"}, {"\"3\"", "true"});
  Expect(R"({"type": "string", "nullable": true})", {"\"x\"", "null"}, {"1"});
}

TEST(JsonSchema, EnumAndConst) {
  Expect(R"({"enum": ["red", "green", 3, null, {"a": [1]}]})", {R"("red")", R"("green")", "3", "null", R"({"a":[1]})"},
         {R"("blue")", R"("Red")", "4", R"({"a": [2]})"});
  Expect(R"({"type": "string", "enum": ["a\"b", "ü"]})", {R"("a\"b")", "\"ü\""}, {R"("ab")"});
  Expect(R"({"const": "fixed"})", {R"("fixed")"}, {R"("fixe")", R"("fixedx")"});
}

TEST(JsonSchema, StringLengths) {
  Expect(R"({"type": "string", "minLength": 2, "maxLength": 4})", {R"("ab")", R"("abcd")", "\"日本\"", R"("\n\t")"},
         {R"("a")", R"("abcde")", R"("")"});
}

TEST(JsonSchema, IntegerAndNumberBounds) {
  Expect(R"({"type": "integer", "minimum": -15, "maximum": 120})", {"-15", "-9", "0", "7", "99", "100", "120"},
         {"-16", "121", "200", "-100", "1000"});
  Expect(R"({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10})", {"1", "9"}, {"0", "10", "-1"});
  Expect(R"({"type": "integer", "minimum": 1000})", {"1000", "99999"}, {"999", "-5", "0"});
  Expect(R"({"type": "number", "minimum": -90, "maximum": 90})", {"-90", "90", "-89.5", "0.25", "-0.5", "45"},
         {"-91", "90.5", "-90.5", "100", "1e2"});
  Expect(R"({"type": "number", "minimum": 0})", {"0", "0.5", "123.25"}, {"-0.5", "-1"});
  EXPECT_NE(ErrorOf(R"({"type": "integer", "minimum": 5, "maximum": 4})").find("no integer satisfies"), std::string::npos);
}

TEST(JsonSchema, ObjectsRequiredOptionalAndOrder) {
  const char* schema = R"({"type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["name"], "additionalProperties": false})";
  Expect(schema,
         {R"({"name":"x"})", R"({"name": "x", "age": 3})", R"({"name":"x","tags":["a","b"]})",
          R"({"name":"x","age":1,"tags":[]})", "{\n  \"name\": \"x\",\n  \"age\": 1\n}", R"({ "name" : "x" })"},
         {R"({})", R"({"age":3})", R"({"age":3,"name":"x"})", R"({"name":"x","extra":1})",
          R"({"name":"x","age":"3"})", R"({"name":"x",})", R"({"name":"x"} )"});
  // All optional: the empty object and any ordered subset.
  Expect(R"({"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}})", {"{}", R"({"a":1})", R"({"b":2})", R"({"a":1,"b":2})"},
         {R"({"b":2,"a":1})", R"({,"b":2})"});
  // Required but not declared: any value.
  Expect(R"({"type": "object", "required": ["x"]})", {R"({"x":[1,{"y":null}]})"}, {"{}"});
}

TEST(JsonSchema, MapsAndEmptyObjects) {
  Expect(R"({"type": "object", "additionalProperties": {"type": "integer"}})", {"{}", R"({"a":1,"b":2})"},
         {R"({"a":"x"})"});
  Expect(R"({"type": "object", "additionalProperties": false})", {"{}", "{ }"}, {R"({"a":1})"});
  Expect(R"({"type": "object"})", {"{}", R"({"a":{"b":[true,null,"s",1.5]}})"}, {"[]", R"({"a"})"});
}

TEST(JsonSchema, Arrays) {
  Expect(R"({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3})", {"[1]", "[1,2,3]", "[ 1 , 2 ]"},
         {"[]", "[1,2,3,4]", "[1,]", "[\"a\"]"});
  Expect(R"({"type": "array", "maxItems": 0})", {"[]"}, {"[1]"});
  Expect(R"({"type": "array", "items": {"type": "boolean"}})", {"[]", "[true,false,true]"}, {"[1]"});
  Expect(R"({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false})", {R"(["a",1])"},
         {R"([1,"a"])", R"(["a"])", R"(["a",1,2])"});
  Expect(R"({"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}, "maxItems": 3})",
         {R"(["a"])", R"(["a",1,2])"}, {R"(["a",1,2,3])", R"(["a","b"])"});
}

TEST(JsonSchema, AnyOfOneOfAllOf) {
  Expect(R"({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]})", {"1", R"("ab")"}, {R"("abc")", "true"});
  Expect(R"({"oneOf": [{"type": "boolean"}, {"type": "null"}]})", {"true", "null"}, {"0"});
  Expect(R"({"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                       {"properties": {"b": {"type": "string"}}, "required": ["b"]}]})",
         {R"({"a":1,"b":"x"})"}, {R"({"a":1})", R"({"b":"x"})"});
  // anyOf with sibling keywords: each branch is merged with them.
  Expect(R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
             "anyOf": [{"required": ["a"]}, {"required": ["b"]}]})",
         {R"({"a":1})", R"({"b":1})", R"({"a":1,"b":2})"}, {"{}"});
}

TEST(JsonSchema, RefsDefsAndRecursion) {
  Expect(R"({"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                                  "required": ["x", "y"]}},
             "type": "array", "items": {"$ref": "#/$defs/point"}})",
         {R"([{"x":1,"y":2}])", "[]"}, {R"([{"x":1}])"});
  Expect(R"({"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}, "required": ["a"]})",
         {R"({"a":"x"})"}, {R"({"a":1})"});
  // A tree: recursion through $ref "#".
  Expect(R"({"type": "object", "properties": {"value": {"type": "integer"},
             "children": {"type": "array", "items": {"$ref": "#"}}}, "required": ["value"]})",
         {R"({"value":1,"children":[{"value":2},{"value":3,"children":[{"value":4}]}]})"},
         {R"({"value":1,"children":[{}]})"});
}

TEST(JsonSchema, NestedObjects) {
  Expect(R"({"type": "object", "properties": {"user": {"type": "object", "properties": {
             "id": {"type": "integer"}, "email": {"type": "string", "format": "email"}}, "required": ["id", "email"]}},
             "required": ["user"]})",
         {R"({"user":{"id":1,"email":"a@b"}})"}, {R"({"user":{"id":1}})", R"({"user":{"email":"a@b","id":1}})"});
}

TEST(JsonSchema, PropertyOrderFollowsTheSchema) {
  // Keys not in alphabetical order: with ordered_json the grammar keeps "z" before "a".
  auto g = FromSchema(R"({"properties": {"z": {"type": "integer"}, "a": {"type": "integer"}}, "required": ["z", "a"]})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, R"({"z":1,"a":2})"));
  EXPECT_FALSE(Matches(g, R"({"a":2,"z":1})"));
}

TEST(JsonSchema, BooleanSchemas) {
  Expect("true", {"1", R"({"a":[]})", "null"}, {"", "nul"});
  EXPECT_NE(ErrorOf("false").find("matches nothing"), std::string::npos);
}

TEST(JsonSchema, RefusedKeywordsNameThePath) {
  EXPECT_EQ(ErrorOf(R"({"properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}})"),
            "JSON schema #/properties/code: 'pattern' is not supported");
  EXPECT_EQ(ErrorOf(R"({"type": "array", "uniqueItems": true})"), "JSON schema #: 'uniqueItems': true is not supported");
  EXPECT_EQ(ErrorOf(R"({"not": {"type": "string"}})"), "JSON schema #: 'not' is not supported");
  EXPECT_EQ(ErrorOf(R"({"type": "array", "minItems": 3, "maxItems": 2})"), "JSON schema #: minItems is greater than maxItems");
  EXPECT_EQ(ErrorOf(R"({"$ref": "#/$defs/missing"})"), "JSON schema #: $ref '#/$defs/missing' does not resolve");
  EXPECT_EQ(ErrorOf(R"({"$ref": "https://example.com/s.json"})"),
            "JSON schema #: only local $ref (\"#...\") is supported, not 'https://example.com/s.json'");
  EXPECT_EQ(ErrorOf(R"({"type": "banana"})"), "JSON schema #: unknown type 'banana'");
  EXPECT_EQ(ErrorOf(R"({"type": 5})"), "JSON schema #: 'type' must be a string or a non-empty array of strings");
  EXPECT_EQ(ErrorOf(R"({"enum": []})"), "JSON schema #: 'enum' must be a non-empty array");
  EXPECT_EQ(ErrorOf(R"({"type": "string", "maxLength": -1})"), "JSON schema #: 'maxLength' must be a non-negative integer");
  EXPECT_EQ(ErrorOf("[1"), "the JSON schema is not valid JSON");
  EXPECT_EQ(ErrorOf("42"), "JSON schema #: a schema must be an object or a boolean");
  // $ref cycles that consume nothing are left recursion in the grammar.
  EXPECT_NE(ErrorOf(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})")
                .find("left recursion"),
            std::string::npos);
}

TEST(JsonSchema, JsonObjectGrammar) {
  auto g = std::make_shared<const Grammar>(JsonObjectGrammar());
  EXPECT_TRUE(Matches(g, "{}"));
  EXPECT_TRUE(Matches(g, R"({"a": [1, 2.5, -3e2, "x", true, false, null, {"b": {}}]})"));
  EXPECT_TRUE(Matches(g, "{\n  \"a\": 1\n}"));
  EXPECT_FALSE(Matches(g, "[]"));
  EXPECT_FALSE(Matches(g, "\"s\""));
  EXPECT_FALSE(Matches(g, R"({"a": 1,})"));
  EXPECT_FALSE(Matches(g, R"({'a': 1})"));
  EXPECT_FALSE(Matches(g, " {}"));
}

TEST(JsonSchema, ToolCallGrammar) {
  std::vector<ToolCallGrammarSpec> tools = {
      {.prefix = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ",
       .parameters = ordered_json::parse(R"({"type": "object", "properties": {"city": {"type": "string"},
          "unit": {"enum": ["c", "f"]}}, "required": ["city"]})"),
       .suffix = "}\n</tool_call>"},
      {.prefix = "<tool_call>\n{\"name\": \"now\", \"arguments\": ", .parameters = nullptr, .suffix = "}\n</tool_call>"},
  };
  Result<Grammar> one = CompileToolCallGrammar(tools);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  auto g = std::make_shared<const Grammar>(std::move(one).value());
  const std::string call1 = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>";
  const std::string call2 = "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>";
  EXPECT_TRUE(Matches(g, call1));
  EXPECT_TRUE(Matches(g, call2));
  EXPECT_FALSE(Matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"unit\": \"c\"}}\n</tool_call>"));
  EXPECT_FALSE(Matches(g, call1 + "\n" + call2));

  Result<Grammar> many = CompileToolCallGrammar(tools, {.allow_multiple = true, .separator = "\n", .max_calls = 2});
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  auto gm = std::make_shared<const Grammar>(std::move(many).value());
  EXPECT_TRUE(Matches(gm, call1));
  EXPECT_TRUE(Matches(gm, call1 + "\n" + call2));
  EXPECT_FALSE(Matches(gm, call1 + "\n" + call2 + "\n" + call1));

  EXPECT_EQ(CompileToolCallGrammar({}).status().code(), StatusCode::kInvalidArgument);
  std::vector<ToolCallGrammarSpec> bad = {{.prefix = "x", .parameters = ordered_json::parse(R"({"pattern": "a"})")}};
  EXPECT_EQ(CompileToolCallGrammar(bad).status().message(), "tool 0: JSON schema #: 'pattern' is not supported");
}

TEST(JsonSchema, GbnfIsReadable) {
  Result<std::string> gbnf = JsonSchemaToGbnf(ordered_json::parse(R"({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})"));
  ASSERT_TRUE(gbnf.ok());
  EXPECT_EQ(gbnf->substr(0, gbnf->find('\n')), "root ::= value");
  EXPECT_NE(gbnf->find("value ::= \"{\" ws \"\\\"name\\\"\" ws \":\" ws json-string ws \"}\""), std::string::npos) << *gbnf;
}

}  // namespace
}  // namespace foundry::runtime::grammar
