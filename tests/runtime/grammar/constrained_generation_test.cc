// The strong test of constrained decoding: real models (a trained tiny llama with a 32k SPM
// vocabulary, and a random-weight qwen2 with the 152k byte-level BPE vocabulary) sample at
// temperature 1 with several seeds; every output must parse as JSON, validate against the
// schema (independent validator), be accepted by the grammar, and finish before max_tokens.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "foundry/engine/context.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/model.h"
#include "foundry/runtime/generator.h"
#include "foundry/runtime/grammar/grammar_matcher.h"
#include "foundry/runtime/grammar/json_schema.h"
#include "runtime/grammar/schema_validator.h"
#include "support/shared_data.h"

namespace foundry::runtime::grammar {
namespace {

using foundry::testing::SharedPath;
using nlohmann::ordered_json;

// Schemas covering every supported keyword; the last ones are recursive/unbounded, where
// only the token budget makes a random model finish.
const char* const kSchemas[] = {
    R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "email": {"type": "string", "format": "email"}, "admin": {"type": "boolean"}}, "required": ["name", "age"], "additionalProperties": false})",
    R"({"type": "object", "properties": {"color": {"enum": ["red", "green", "blue"]}, "rgb": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3},
        "alpha": {"type": ["number", "null"]}, "kind": {"const": "color"}}, "required": ["color", "rgb", "kind"]})",
    R"({"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number", "minimum": -90, "maximum": 90}, "y": {"type": "number"}}, "required": ["x", "y"], "additionalProperties": false}},
        "type": "object", "properties": {"path": {"type": "array", "items": {"$ref": "#/$defs/point"}, "maxItems": 4},
        "label": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 8}, {"type": "null"}]}}, "required": ["path", "label"]})",
    R"({"type": "object", "properties": {"id": {"type": "integer"}, "note": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["id", "note", "children"]})",
    R"({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}})",
};

void RunSchemas(const std::string& model_path, int max_tokens, int seeds) {
  {
    auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    auto m = engine::Model::Load(SharedPath(model_path), kernels);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ThreadPool pool(2);
    auto c = engine::Context::Create(*m, kernels, pool, {.n_ctx = 512});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto vocab = TokenVocabulary::Build((*m)->tokenizer());
    ASSERT_TRUE(vocab.ok());

    for (const char* schema_text : kSchemas) {
      const ordered_json schema = ordered_json::parse(schema_text);
      Result<Grammar> g = CompileJsonSchema(schema);
      ASSERT_TRUE(g.ok()) << g.status().ToString();
      auto grammar = std::make_shared<const Grammar>(std::move(g).value());
      testing::SchemaValidator validator(schema);
      for (int seed = 1; seed <= seeds; ++seed) {
        GenerateOptions o;
        o.max_tokens = max_tokens;
        o.sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = uint64_t(seed)};
        o.grammar = grammar;
        o.grammar_vocabulary = *vocab;
        std::string streamed;
        auto r = Generate(**c, "Here is the JSON:", o, [&](std::string_view p) {
          streamed.append(p);
          return true;
        });
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        SCOPED_TRACE("schema " + std::string(schema_text) + "\nseed " + std::to_string(seed) + "\noutput: " + r->text);
        EXPECT_EQ(r->finish, FinishReason::kStop);
        EXPECT_LE(r->tokens.size(), size_t(max_tokens));
        EXPECT_EQ(streamed, r->text);
        GrammarMatcher matcher(grammar);
        auto st = matcher.Walk(matcher.start(), r->text);
        EXPECT_TRUE(st != GrammarMatcher::kDead && matcher.IsAccepting(st));
        ordered_json parsed = ordered_json::parse(r->text, nullptr, /*allow_exceptions=*/false);
        ASSERT_FALSE(parsed.is_discarded()) << "not JSON";
        EXPECT_EQ(validator.Validate(parsed), "");
      }
    }
  }
}

TEST(ConstrainedGeneration, TinyLlamaSpmVocabulary) {
  RunSchemas("models/real/tinyllama-v0-f32.gguf", /*max_tokens=*/160, /*seeds=*/4);
}

TEST(ConstrainedGeneration, RandomQwen2BpeVocabulary) {
  RunSchemas("models/synthetic/bpe-qwen2.gguf", /*max_tokens=*/120, /*seeds=*/3);
}

}  // namespace
}  // namespace foundry::runtime::grammar
