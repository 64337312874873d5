// Checks the tokenizer against ../shared/golden: every prompt of every golden file with status
// "ok" tokenizes (add_special = true, parse_special = false) to exactly `tokens`, and every
// prompt and greedy token renders to its recorded piece bytes. An "alias" file (a GGUF v1 copy
// of another model) must reproduce the tokens of the file it aliases.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tokenizer/test_vectors.h"

namespace foundry::engine::testing {
namespace {

using nlohmann::json;

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> names;
  const auto dir = foundry::testing::SharedDir() / "golden";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::filesystem::path ModelPath(const std::string& file_name) {
  for (const char* dir : {"models/real", "models/synthetic"}) {
    const auto p = foundry::testing::SharedDir() / dir / file_name;
    if (std::filesystem::exists(p)) return p;
  }
  ADD_FAILURE() << "model file not found under models/: " << file_name;
  return {};
}

TEST(GoldenFilesTest, AreThere) { EXPECT_GE(GoldenFiles().size(), 20u); }

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, PromptTokensAndPiecesMatch) {
  const json golden = json::parse(foundry::testing::ReadFileText(
      foundry::testing::SharedPath("golden/" + GetParam() + ".json")));
  const std::string status = golden.at("status");
  if (status == "load_error") {
    // The reference refuses this file, so there are no tokens to compare; our GGUF reader must
    // refuse it too (tests/engine/golden_test.cc checks the model loader's message).
    EXPECT_FALSE(GgufFile::Open(ModelPath(golden.at("model").at("file").get<std::string>())).ok());
    return;
  }
  ASSERT_TRUE(status == "ok" || status == "alias") << status;
  const auto path = ModelPath(golden.at("model").at("file").get<std::string>());
  // An alias has no prompts of its own: compare with those of the file it stands for.
  const json reference =
      status == "ok" ? golden
                     : json::parse(foundry::testing::ReadFileText(foundry::testing::SharedPath(
                           "golden/" + golden.at("alias_of").get<std::string>())));
  ASSERT_FALSE(path.empty());
  auto tok = LoadTokenizer(path);
  ASSERT_NE(tok, nullptr);
  if (reference.at("model").contains("n_vocab")) {
    EXPECT_EQ(tok->n_vocab(), reference.at("model").at("n_vocab").get<int32_t>());
  }

  for (const json& prompt : reference.at("prompts")) {
    const std::string id = prompt.at("id");
    const std::string text = prompt.at("text");
    const auto expected = prompt.at("tokens").get<std::vector<TokenId>>();
    const auto got = tok->Encode(text, {.add_special = true, .parse_special = false});
    EXPECT_EQ(got, expected) << GetParam() << "/" << id << ": \"" << Printable(text) << "\"";
    EXPECT_EQ(tok->add_bos(), prompt.at("add_bos").get<bool>()) << GetParam() << "/" << id;

    const auto prompt_pieces = prompt.at("token_pieces_hex").get<std::vector<std::string>>();
    ASSERT_EQ(prompt_pieces.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(tok->TokenToPiece(expected[i]), HexToBytes(prompt_pieces[i]))
          << GetParam() << "/" << id << " prompt token " << expected[i];
    }

    const json& greedy = prompt.at("greedy");
    const auto greedy_tokens = greedy.at("tokens").get<std::vector<TokenId>>();
    const auto greedy_pieces = greedy.at("pieces_hex").get<std::vector<std::string>>();
    ASSERT_EQ(greedy_tokens.size(), greedy_pieces.size());
    std::string joined;
    for (size_t i = 0; i < greedy_tokens.size(); ++i) {
      const std::string want = HexToBytes(greedy_pieces[i]);
      EXPECT_EQ(tok->TokenToPiece(greedy_tokens[i]), want)
          << GetParam() << "/" << id << " greedy token " << greedy_tokens[i];
      joined += want;
    }
    // Without clean-up rules or a stripped prefix, Decode is the concatenation of the pieces.
    if (tok->kind() == VocabKind::kBpe && tok->pre() == "qwen2") {
      EXPECT_EQ(tok->Decode(greedy_tokens), joined) << GetParam() << "/" << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllGoldens, GoldenTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace foundry::engine::testing
