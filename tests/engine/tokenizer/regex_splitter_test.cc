// The PCRE2 pre-tokenizer splitting rules of formats.md §4.5.

#include "engine/tokenizer/regex_splitter.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

// The pieces of `text` under `expressions`, as UTF-8 strings.
std::vector<std::string> Pieces(std::vector<std::string_view> expressions, std::string_view text) {
  auto splitter = RegexSplitter::Create(expressions);
  EXPECT_TRUE(splitter.ok()) << splitter.status().ToString();
  if (!splitter.ok()) return {};
  const std::vector<uint32_t> cps = DecodeUtf8Lenient(text);
  std::vector<std::string> out;
  size_t at = 0;
  for (uint32_t len : splitter->Split(cps)) {
    EXPECT_GT(len, 0u);
    std::string piece;
    for (size_t k = at; k < at + len; ++k) AppendUtf8(cps[k], piece);
    out.push_back(piece);
    at += len;
  }
  EXPECT_EQ(at, cps.size());
  return out;
}

using Strings = std::vector<std::string>;

TEST(RegexSplitterTest, Gpt2Expression) {
  const auto* gpt2 = FindPreTokenizer("gpt-2");
  ASSERT_NE(gpt2, nullptr);
  std::vector<std::string_view> exprs(gpt2->expressions.begin(), gpt2->expressions.end());
  EXPECT_EQ(Pieces(exprs, "Hello world's  end!!\n"),
            (Strings{"Hello", " world", "'s", " ", " end", "!!", "\n"}));
  EXPECT_EQ(Pieces(exprs, ""), Strings{});
}

TEST(RegexSplitterTest, UnmatchedTextIsKeptAsItsOwnPiece) {
  EXPECT_EQ(Pieces({"[0-9][0-9][0-9]"}, "a12345b"), (Strings{"a", "123", "45b"}));
  EXPECT_EQ(Pieces({"x"}, "abc"), (Strings{"abc"}));
}

TEST(RegexSplitterTest, ExpressionsApplyInOrderToEveryPiece) {
  EXPECT_EQ(Pieces({"\\p{N}", "[a-z]+"}, "ab12cd"), (Strings{"ab", "1", "2", "cd"}));
}

TEST(RegexSplitterTest, DollarIsTheEndOfThePiece) {
  // Not "before a final newline" (PCRE2_DOLLAR_ENDONLY) and not the end of the whole text.
  EXPECT_EQ(Pieces({"\\s+$"}, "a \n"), (Strings{"a", " \n"}));
  EXPECT_EQ(Pieces({"b", "a\\s+$"}, "a  b"), (Strings{"a  ", "b"}));
}

TEST(RegexSplitterTest, NonAsciiWhitespaceMatchesBackslashSButNoLiteral) {
  // U+3000 IDEOGRAPHIC SPACE and U+0085 NEXT LINE count as \s; a literal U+3000 never matches.
  EXPECT_EQ(Pieces({"\\s+"}, "a\u3000\xC2\x85\x62"), (Strings{"a", "\xE3\x80\x80\xC2\x85", "b"}));
  EXPECT_EQ(Pieces({"[\\x{3000}]"}, "\xE3\x80\x80"), (Strings{"\xE3\x80\x80"}));
  EXPECT_EQ(Pieces({"\\S+"}, "a\u3000b"), (Strings{"a", "\xE3\x80\x80", "b"}));
  // U+001C..U+001F are not whitespace here.
  EXPECT_EQ(Pieces({"\\s"}, "\x1C"), (Strings{"\x1C"}));
  EXPECT_EQ(Pieces({"\\S"}, "\x1C"), (Strings{"\x1C"}));
}

TEST(RegexSplitterTest, UnicodeCategories) {
  EXPECT_EQ(Pieces({"\\p{L}+"}, "нещо 12"), (Strings{"нещо", " 12"}));
  // qwen35 keeps combining marks with letters, qwen2 does not.
  const std::string decomposed = "e\xCC\x81t";  // e + U+0301 + t
  auto exprs = [](const char* pre) {
    const auto* spec = FindPreTokenizer(pre);
    return std::vector<std::string_view>(spec->expressions.begin(), spec->expressions.end());
  };
  EXPECT_EQ(Pieces(exprs("qwen35"), decomposed), (Strings{decomposed}));
  EXPECT_EQ(Pieces(exprs("qwen2"), decomposed), (Strings{"e", "\xCC\x81t"}));
}

TEST(RegexSplitterTest, SurrogatesFromLenientDecodingAreSafe) {
  const auto* gpt2 = FindPreTokenizer("gpt-2");
  std::vector<std::string_view> exprs(gpt2->expressions.begin(), gpt2->expressions.end());
  // ED A0 80 decodes to the lone surrogate U+D800, which behaves like a control character.
  EXPECT_EQ(Pieces(exprs, "a\xED\xA0\x80\x62"), (Strings{"a", "\xED\xA0\x80", "b"}));
}

TEST(RegexSplitterTest, EveryBuiltInListCompiles) {
  for (const char* pre : {"default", "gpt-2", "llama-bpe", "qwen2", "qwen35", "starcoder", "falcon",
                          "deepseek-coder", "deepseek-llm", "bloom", "viking"}) {
    const auto* spec = FindPreTokenizer(pre);
    ASSERT_NE(spec, nullptr) << pre;
    EXPECT_TRUE(RegexSplitter::Create(spec->expressions).ok()) << pre;
  }
  EXPECT_EQ(FindPreTokenizer("")->name, "default");
  EXPECT_EQ(FindPreTokenizer("no-such-pre"), nullptr);
}

TEST(RegexSplitterTest, BadExpressionIsAnInternalError) {
  std::vector<std::string_view> bad = {"(unclosed"};
  auto s = RegexSplitter::Create(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  EXPECT_NE(s.status().message().find("(unclosed"), std::string::npos);
}

TEST(RegexSplitterTest, LongInputs) {
  // A long whitespace run and a long letter run stay single pieces.
  const std::string spaces(100000, ' ');
  EXPECT_EQ(Pieces({"\\s+(?!\\S)"}, spaces), (Strings{spaces}));
  const std::string letters(100000, 'x');
  EXPECT_EQ(Pieces({" ?\\p{L}+"}, letters), (Strings{letters}));
}

}  // namespace
}  // namespace foundry::engine::tokenizer
