// The special-token partition of formats.md §4.2.

#include "engine/tokenizer/special_partition.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "engine/tokenizer/vocab_builder.h"

namespace foundry::engine::testing {
namespace {

using tokenizer::Fragment;
using tokenizer::PartitionSpecial;

// Fragments rendered as "[id]" for tokens and the raw text otherwise.
std::vector<std::string> Render(const std::vector<Fragment>& fragments, std::string_view text) {
  std::vector<std::string> out;
  for (const Fragment& f : fragments) {
    if (f.is_token()) {
      char buf[16];  // (snprintf: GCC 12 -Wrestrict misfires on string concatenation here)
      std::snprintf(buf, sizeof buf, "[%d]", f.token);
      out.emplace_back(buf);
    } else {
      out.emplace_back(text.substr(f.offset, f.length));
    }
  }
  return out;
}

using Strings = std::vector<std::string>;

TinyVocab PartitionVocab() {
  TinyVocab v;
  v.tokens = {"<unk>", "<s>", "</s>", "<|user|>", "<|user|>x", "a", "<|ctl|>", "\xE2\x96\x81"};
  v.types = {kUnknown, kControl, kControl, kUserDefined, kUserDefined, kNormal, kControl, kNormal};
  return v;
}

TEST(SpecialPartitionTest, UserDefinedAlwaysControlOnlyWhenParsingSpecial) {
  auto v = LoadTiny(WriterFor(PartitionVocab()));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const std::string text = "a<|user|>b<|ctl|>c<unk>";
  EXPECT_EQ(Render(PartitionSpecial(*v, text, false), text),
            (Strings{"a", "[3]", "b<|ctl|>c<unk>"}));
  EXPECT_EQ(Render(PartitionSpecial(*v, text, true), text),
            (Strings{"a", "[3]", "b", "[6]", "c", "[0]"}));
}

TEST(SpecialPartitionTest, LongestCandidateFirstAndRepeatedMatches) {
  auto v = LoadTiny(WriterFor(PartitionVocab()));
  ASSERT_TRUE(v.ok());
  const std::string text = "<|user|>x<|user|><|user|>";
  EXPECT_EQ(Render(PartitionSpecial(*v, text, false), text), (Strings{"[4]", "[3]", "[3]"}));
}

TEST(SpecialPartitionTest, EmptyTextAndNoMatch) {
  auto v = LoadTiny(WriterFor(PartitionVocab()));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(PartitionSpecial(*v, "", true).empty());
  EXPECT_EQ(Render(PartitionSpecial(*v, "plain", true), "plain"), (Strings{"plain"}));
}

TEST(SpecialPartitionTest, Phi3RstripEatsWhitespaceAfterTheToken) {
  TinyVocab t = PartitionVocab();
  t.tokens.push_back("<|endoftext|>");
  t.types.push_back(kControl);
  t.name = "phi3";
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const std::string text = "a <|user|> \n\tb <s> c";
  // <|user|> has RSTRIP: " \n\t" after it is dropped; the space before it stays.
  // <s> lost RSTRIP by the phi-3 rule, so " c" keeps its space.
  EXPECT_EQ(Render(PartitionSpecial(*v, text, true), text),
            (Strings{"a ", "[3]", "b ", "[1]", " c"}));
  // Only whitespace after the token: nothing is left of the right part.
  const std::string tail = "<|user|>   ";
  EXPECT_EQ(Render(PartitionSpecial(*v, tail, false), tail), (Strings{"[3]"}));
}

}  // namespace
}  // namespace foundry::engine::testing
