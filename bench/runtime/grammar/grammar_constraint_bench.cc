// Token-mask cost of grammar-constrained decoding on the qwen2 vocabulary (151,936 tokens).
//
//   build/bench/runtime_grammar_grammar_constraint_bench [--benchmark_format=json]
//
// BM_MaskWalk/<case>: one full mask computation with the matcher's DFA warm but the per-state
//   mask cache off — the trie walk a step pays when it reaches a state for the first time.
// BM_GenerateDocument/<cold|warm>: replays the tokens of a JSON document as a generation
//   would (mask, then accept, per token) and reports the time per token; "cold" starts every
//   iteration from a fresh constraint (no memoized states or masks: the first request with a
//   grammar), "warm" keeps one constraint and Reset()s it (states and masks memoized).
// Compare the per-token figures with a decode step of a 0.5B model (~15-25 ms on the 2-core
// development machine): see docs/tool-calling.md.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/tokenizer/tokenizer.h"
#include "foundry/runtime/grammar/grammar_constraint.h"
#include "foundry/runtime/grammar/json_schema.h"

namespace foundry::runtime::grammar {
namespace {

std::string SharedDir() {
  const char* env = std::getenv("FOUNDRY_SHARED");  // bench main: fine to read the environment
  return env ? env : FOUNDRY_DEFAULT_SHARED;
}

struct Fixture {
  std::unique_ptr<engine::Tokenizer> tokenizer;
  std::shared_ptr<const TokenVocabulary> vocab;
  std::shared_ptr<const Grammar> schema_grammar, object_grammar;
};

const char* const kSchema = R"({"type": "object", "properties": {
  "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 150},
  "email": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 8},
  "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"},
              "zip": {"type": "string"}}, "required": ["street", "city"]},
  "score": {"type": "number"}, "active": {"type": "boolean"}},
  "required": ["name", "age", "tags", "address", "active"], "additionalProperties": false})";

const char* const kDocument =
    R"({"name": "Ada Lovelace", "age": 36, "email": "ada@example.org", "tags": ["math", "poetry", "engines"], )"
    R"("address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"}, "score": 9.75, "active": true})";

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto file = engine::GgufFile::Open(SharedDir() + "/tokenizer/ggml-vocab-qwen2.gguf");
    if (!file.ok()) {
      std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
      std::exit(1);
    }
    fx->tokenizer = std::move(engine::Tokenizer::FromGguf(*file)).value();
    fx->vocab = TokenVocabulary::Build(*fx->tokenizer).value();
    fx->schema_grammar = std::make_shared<const Grammar>(CompileJsonSchemaText(kSchema).value());
    fx->object_grammar = std::make_shared<const Grammar>(JsonObjectGrammar());
    return fx;
  }();
  return *f;
}

void BM_VocabularyBuild(benchmark::State& state) {
  Fixture& f = Get();
  for (auto _ : state) benchmark::DoNotOptimize(TokenVocabulary::Build(*f.tokenizer));
  state.counters["trie_nodes"] = double(f.vocab->n_nodes());
}
BENCHMARK(BM_VocabularyBuild)->Unit(benchmark::kMillisecond);

// Mask at the position after `prefix` of a document (the grammar chosen by range(0)).
void BM_MaskWalk(benchmark::State& state, bool schema, const char* prefix) {
  Fixture& f = Get();
  GrammarConstraint c(schema ? f.schema_grammar : f.object_grammar, f.vocab, {.cache_masks = false});
  std::vector<engine::TokenId> ids = f.tokenizer->Encode(prefix, {.add_special = false});
  for (engine::TokenId t : ids) {
    if (!c.ComputeMask(0).ok() || !c.Accept(t).ok()) {
      state.SkipWithError("prefix rejected");
      return;
    }
  }
  size_t allowed = 0;
  for (auto _ : state) {
    auto m = c.ComputeMask(0);
    benchmark::DoNotOptimize(m);
    if (!m.ok()) state.SkipWithError(m.status().ToString().c_str());
    else allowed = 0, [&] { for (uint64_t w : *m) allowed += size_t(__builtin_popcountll(w)); }();
  }
  state.counters["allowed_tokens"] = double(allowed);
}
BENCHMARK_CAPTURE(BM_MaskWalk, schema_in_string, true, R"({"name": "Ada Lo)")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWalk, schema_key, true, R"({"name": "Ada", "age": 3)")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWalk, schema_value_start, true, R"({"name": "Ada", "age": 36, )")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWalk, object_value, false, R"({"a": [1, {"b": )")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MaskWalk, object_in_string, false, R"({"a": "some te)")->Unit(benchmark::kMillisecond);

void BM_GenerateDocument(benchmark::State& state, bool cold) {
  Fixture& f = Get();
  std::vector<engine::TokenId> ids = f.tokenizer->Encode(kDocument, {.add_special = false});
  auto warm = std::make_unique<GrammarConstraint>(f.schema_grammar, f.vocab);
  for (auto _ : state) {
    std::unique_ptr<GrammarConstraint> fresh;
    GrammarConstraint* c = warm.get();
    if (cold) {
      fresh = std::make_unique<GrammarConstraint>(f.schema_grammar, f.vocab);
      c = fresh.get();
    } else {
      warm->Reset();
    }
    for (engine::TokenId t : ids) {
      auto m = c->ComputeMask(int64_t(ids.size()) * 4);
      benchmark::DoNotOptimize(m);
      if (!m.ok() || !c->Accept(t).ok()) {
        state.SkipWithError("document rejected");
        return;
      }
    }
  }
  state.counters["tokens"] = double(ids.size());
  state.counters["per_token"] = benchmark::Counter(double(ids.size()), benchmark::Counter::kIsIterationInvariantRate |
                                                                       benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_GenerateDocument, cold, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_GenerateDocument, warm, false)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foundry::runtime::grammar

BENCHMARK_MAIN();
