// End-to-end tests of `foundry model run|eval|info` through the real binary.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "runtime/scoped_temp_dir.h"
#include "support/shared_data.h"
#include "support/subprocess.h"

namespace foundry::cli {
namespace {

using nlohmann::json;
using foundry::testing::FoundryBinary;
using foundry::testing::RunCommand;
using foundry::testing::SharedPath;
using foundry::testing::ShellQuote;

std::string Foundry(const std::string& args) {
  return ShellQuote(FoundryBinary().string()) + " " + args;
}

std::string Model(const std::string& rel) { return ShellQuote(SharedPath(rel).string()); }

json Golden(const std::string& name) {
  return json::parse(foundry::testing::ReadFileText(SharedPath("golden/" + name + ".json")));
}

TEST(ModelRun, TinyLlamaGreedyPrintsTheReferenceStory) {
  json g = Golden("tinyllama-v0-f32");
  const json& p = g["prompts"][0];
  ASSERT_EQ(p["text"], "Once upon a time");
  auto r = RunCommand(Foundry("model run " + Model("models/real/tinyllama-v0-f32.gguf") +
                              " --prompt 'Once upon a time' --temperature 0 --max-tokens 32 --ignore-eos"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The streamed continuation is the golden greedy text (pieces joined), then a newline.
  std::string want;
  for (const auto& piece : p["greedy"]["pieces"]) want += piece.get<std::string>();
  EXPECT_EQ(r.out, want + "\n");
}

TEST(ModelRun, DefaultInvocationStartsWithTheReferenceStory) {
  // As a user would type it: greedy, default max tokens, stops at EOS.
  json g = Golden("tinyllama-v0-f32");
  std::string want;
  for (const auto& piece : g["prompts"][0]["greedy"]["pieces"]) want += piece.get<std::string>();
  auto r = RunCommand(Foundry("model run " + Model("models/real/tinyllama-v0-f32.gguf") +
                              " --prompt 'Once upon a time' --temperature 0"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, want.size()), want);
}

TEST(ModelRun, JsonHasPromptTokensTokensAndText) {
  json g = Golden("stories260K");
  const json& p = g["prompts"][0];
  auto r = RunCommand(Foundry("model run " + Model("models/real/stories260K.gguf") + " --prompt " +
                              ShellQuote(p["text"]) + " --temperature 0 --max-tokens 8 --ignore-eos --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["prompt_tokens"], p["tokens"]);
  std::vector<int> want(p["greedy"]["tokens"].begin(), p["greedy"]["tokens"].begin() + 8);
  EXPECT_EQ(out["tokens"].get<std::vector<int>>(), want);
  std::string text;
  for (int i = 0; i < 8; ++i) text += p["greedy"]["pieces"][i].get<std::string>();
  EXPECT_EQ(out["text"], text);
  EXPECT_EQ(out["finish_reason"], "length");
}

TEST(ModelRun, SeededSamplingIsReproducible) {
  std::string cmd = Foundry("model run " + Model("models/real/stories260K.gguf") +
                            " --prompt 'Lily and Tom' --temperature 1.0 --seed 7 --max-tokens 24 --json");
  auto a = RunCommand(cmd), b = RunCommand(cmd);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(json::parse(a.out)["tokens"], json::parse(b.out)["tokens"]);
}

TEST(ModelRun, PromptLongerThanContextIsAClearError) {
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "Once upon a time ";
  auto r = RunCommand(Foundry("model run " + Model("models/real/stories260K.gguf") + " --ctx-size 64 --prompt " +
                              ShellQuote(prompt)));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("context holds 64"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("too many"), std::string::npos) << r.err;
}

TEST(ModelRun, BadFilesAreClearErrors) {
  auto r = RunCommand(Foundry("model run /nonexistent.gguf --prompt hi"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/nonexistent.gguf"), std::string::npos) << r.err;

  r = RunCommand(Foundry("model run " + Model("models/real/tinyllamas-stories-260k-q8_0.gguf") + " --prompt hi"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("block size"), std::string::npos) << r.err;

  r = RunCommand(Foundry("model run " + Model("README.md") + " --prompt hi"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a GGUF file"), std::string::npos) << r.err;
}

TEST(ModelEval, TopLogitsMatchGolden) {
  json g = Golden("stories260K");
  const json& p = g["prompts"][0];
  auto r = RunCommand(Foundry("model eval " + Model("models/real/stories260K.gguf") + " --prompt " +
                              ShellQuote(p["text"]) + " --top 3"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["tokens"], p["tokens"]);
  ASSERT_EQ(out["top"].size(), p["tokens"].size());
  for (size_t i = 0; i < out["top"].size(); ++i) {
    const auto& top = out["top"][i];
    ASSERT_EQ(top.size(), 3u);
    const std::vector<float> want = p["logits"][i];
    int best = int(std::max_element(want.begin(), want.end()) - want.begin());
    EXPECT_EQ(top[0][0].get<int>(), best) << "position " << i;
    EXPECT_NEAR(top[0][1].get<double>(), want[size_t(best)], 1e-2);
    EXPECT_GE(top[0][1].get<double>(), top[1][1].get<double>());
  }
}

TEST(ModelInfo, SummarisesTheModel) {
  auto r = RunCommand(Foundry("model info " + Model("models/synthetic/bpe-qwen2.gguf") + " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["architecture"], "qwen2");
  EXPECT_EQ(j["block_count"], 2);
  EXPECT_EQ(j["embedding_length"], 64);
  EXPECT_EQ(j["tokenizer"]["model"], "gpt2");
  EXPECT_EQ(j["tokenizer"]["pre"], "qwen2");
  EXPECT_EQ(j["tokenizer"]["n_vocab"], 151936);
  EXPECT_EQ(j["chat_template"], true);
  EXPECT_EQ(j["tied_embeddings"], true);

  r = RunCommand(Foundry("model info " + Model("models/real/stories260K.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("architecture:    llama"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chat template:   no"), std::string::npos) << r.out;
}

TEST(Cli, HelpAndUsageErrors) {
  auto r = RunCommand(Foundry("model run --help"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--temperature"), std::string::npos);
  r = RunCommand(Foundry("model run"));
  EXPECT_NE(r.exit_code, 0);
}

TEST(ModelRun, JsonSchemaConstrainsTheOutput) {
  foundry::testing::ScopedTempDir dir;
  const auto schema_path = dir.path() / "person.json";
  std::ofstream(schema_path) << R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
      "age": {"type": "integer", "minimum": 0, "maximum": 120}}, "required": ["name", "age"]})";
  auto r = RunCommand(Foundry("model run " + Model("models/real/tinyllama-v0-f32.gguf") +
                              " --prompt 'Tom was' --temperature 1 --seed 7 --max-tokens 60 --json --json-schema " +
                              ShellQuote(schema_path.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["finish_reason"], "stop");
  json person = json::parse(out["text"].get<std::string>());
  ASSERT_TRUE(person.is_object()) << out["text"];
  EXPECT_TRUE(person["name"].is_string());
  EXPECT_LE(person["name"].get<std::string>().size(), 20u * 4);
  ASSERT_TRUE(person["age"].is_number_integer());
  EXPECT_GE(person["age"].get<int>(), 0);
  EXPECT_LE(person["age"].get<int>(), 120);
}

TEST(ModelRun, GrammarFileAndItsErrors) {
  foundry::testing::ScopedTempDir dir;
  const auto good = dir.path() / "pet.gbnf";
  const auto bad = dir.path() / "bad.gbnf";
  std::ofstream(good) << "root ::= \" a \" (\"dog\" | \"cat\") \".\"\n";
  std::ofstream(bad) << "root ::= \"a\n";
  auto r = RunCommand(Foundry("model run " + Model("models/real/tinyllama-v0-f32.gguf") +
                              " --prompt 'Tom had' --temperature 0 --max-tokens 20 --grammar " + ShellQuote(good.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == " a dog.\n" || r.out == " a cat.\n") << r.out;
  r = RunCommand(Foundry("model run " + Model("models/real/tinyllama-v0-f32.gguf") + " --prompt x --grammar " +
                         ShellQuote(bad.string())));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.gbnf: line 1, column 10: unterminated literal"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace foundry::cli
