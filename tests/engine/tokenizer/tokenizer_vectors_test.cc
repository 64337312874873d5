// Replays every .inp/.out vector of ../shared/tokenizer (add_special and parse_special off) and
// checks that decoding gives the text back where the reference's detokenizer is lossless.

#include <gtest/gtest.h>

#include <string>

#include "engine/tokenizer/test_vectors.h"

namespace foundry::engine::testing {
namespace {

class VectorsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorsTest, EveryCaseMatchesTheReference) {
  const std::string name = GetParam();
  auto tok = LoadTokenizer(VocabPath(name));
  ASSERT_NE(tok, nullptr);
  const std::vector<VectorCase> cases = LoadVectors(name);
  // README: 46 standard cases each, 50 for qwen35.
  EXPECT_EQ(cases.size(), name == "qwen35" ? 50u : 46u);
  int passed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto got = tok->Encode(cases[i].text, {.add_special = false, .parse_special = false});
    EXPECT_EQ(got, cases[i].ids) << name << " case " << i << ": \"" << Printable(cases[i].text)
                                 << "\"";
    passed += got == cases[i].ids;
  }
  RecordProperty("passed", passed);
  std::printf("[ vectors  ] %s: %d/%zu cases pass\n", name.c_str(), passed, cases.size());
}

// The clean-up rules of §4.7 (space before ?!., and around apostrophes) are lossy by design,
// and WordPiece lowercases and drops whitespace; everything else must round-trip.
bool DetokenizerIsLossless(const Tokenizer& tok, std::string_view text) {
  if (tok.kind() == VocabKind::kWpm) return false;
  const bool cleans = tok.kind() == VocabKind::kBpe && tok.pre() != "qwen2" &&
                      tok.pre() != "qwen35" && tok.pre() != "deepseek-llm" &&
                      tok.pre() != "deepseek-coder";
  if (!cleans) return true;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i - 1] == ' ' && std::string_view("?!.,'").find(text[i]) != std::string_view::npos)
      return false;
  }
  return true;
}

TEST_P(VectorsTest, DecodeRoundTrips) {
  const std::string name = GetParam();
  auto tok = LoadTokenizer(VocabPath(name));
  ASSERT_NE(tok, nullptr);
  int checked = 0;
  for (const VectorCase& c : LoadVectors(name)) {
    if (!DetokenizerIsLossless(*tok, c.text)) continue;
    ++checked;
    const auto ids = tok->Encode(c.text, {.add_special = false, .parse_special = false});
    EXPECT_EQ(tok->Decode(ids), c.text) << name << ": \"" << Printable(c.text) << "\"";
  }
  if (tok->kind() != VocabKind::kWpm) {
    EXPECT_GT(checked, 30) << name;
  }
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(AllVocabs, VectorsTest,
                         ::testing::ValuesIn(std::vector<std::string>(std::begin(kVectorVocabs),
                                                                      std::end(kVectorVocabs))),
                         ParamName);

}  // namespace
}  // namespace foundry::engine::testing
