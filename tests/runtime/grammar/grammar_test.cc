#include "foundry/runtime/grammar/grammar.h"

#include <gtest/gtest.h>

#include <memory>

#include "foundry/runtime/grammar/grammar_matcher.h"

namespace foundry::runtime::grammar {
namespace {

std::shared_ptr<const Grammar> Parse(std::string_view text) {
  Result<Grammar> g = ParseGrammar(text);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return nullptr;
  return std::make_shared<const Grammar>(std::move(g).value());
}

// Whole-string match.
bool Matches(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  GrammarMatcher m(g);
  GrammarMatcher::StateId st = m.Walk(m.start(), s);
  return st != GrammarMatcher::kDead && m.IsAccepting(st);
}

// `s` can be continued into a sentence.
bool IsPrefix(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  GrammarMatcher m(g);
  return m.Walk(m.start(), s) != GrammarMatcher::kDead;
}

std::string ErrorOf(std::string_view text) {
  Result<Grammar> g = ParseGrammar(text);
  EXPECT_FALSE(g.ok()) << "expected an error for: " << text;
  return g.ok() ? "" : g.status().message();
}

TEST(GrammarParse, LiteralsAndAlternation) {
  auto g = Parse(R"(root ::= "yes" | "no" | "maybe")");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "yes"));
  EXPECT_TRUE(Matches(g, "no"));
  EXPECT_TRUE(Matches(g, "maybe"));
  EXPECT_FALSE(Matches(g, "ye"));
  EXPECT_TRUE(IsPrefix(g, "ma"));
  EXPECT_FALSE(Matches(g, "yess"));
  EXPECT_FALSE(Matches(g, ""));
  EXPECT_FALSE(IsPrefix(g, "x"));
}

TEST(GrammarParse, RulesSpanLinesAndComments) {
  auto g = Parse(
      "# a list of digits\n"
      "root ::= \"[\" digits\n"
      "         \"]\"   # closing\n"
      "digits ::=\n"
      "  [0-9]\n"
      "  | [0-9] digits\n");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "[1]"));
  EXPECT_TRUE(Matches(g, "[1234567890]"));
  EXPECT_FALSE(Matches(g, "[]"));
  EXPECT_FALSE(Matches(g, "[12a]"));
}

TEST(GrammarParse, CharacterClasses) {
  auto g = Parse(R"(root ::= [a-cx] [^a-z\n] [\]\-\\] [\x41-\x43])");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "a0]A"));
  EXPECT_TRUE(Matches(g, "xZ-C"));
  EXPECT_TRUE(Matches(g, "c\\\\B"));
  EXPECT_FALSE(Matches(g, "d0]A"));
  EXPECT_FALSE(Matches(g, "aq]A"));
  EXPECT_FALSE(Matches(g, "a\n]A"));
  EXPECT_FALSE(Matches(g, "a0]D"));
}

TEST(GrammarParse, NegatedClassMatchesMultibyteCharactersWhole) {
  auto g = Parse(R"(root ::= "<" [^>]* ">")");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "<héllo wörld 日本 🙂>"));
  EXPECT_FALSE(Matches(g, "<a>b>"));
  // Invalid UTF-8 is never accepted: a lone continuation byte, an overlong form, a surrogate.
  EXPECT_FALSE(IsPrefix(g, "<\x80"));
  EXPECT_FALSE(IsPrefix(g, "<\xC0\xAF"));
  EXPECT_FALSE(IsPrefix(g, "<\xED\xA0\x80"));
  EXPECT_FALSE(IsPrefix(g, "<\xF4\x90"));  // above U+10FFFF
  // A prefix ending inside a character is still alive.
  EXPECT_TRUE(IsPrefix(g, "<\xE6\x97"));
  EXPECT_FALSE(Matches(g, "<\xE6\x97>"));
}

TEST(GrammarParse, UnicodeRangesAndEscapes) {
  auto g = Parse("root ::= [α-ω]+ \"\\u00e9\" \"\\U0001F642\" [\\u4e00-\\u9fff]");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "αβγé🙂日"));
  EXPECT_FALSE(Matches(g, "aé🙂日"));
  EXPECT_FALSE(Matches(g, "αe🙂日"));
  EXPECT_FALSE(Matches(g, "αé🙂a"));
}

TEST(GrammarParse, AnyCharacter) {
  auto g = Parse(R"(root ::= "'" . "'")");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "'x'"));
  EXPECT_TRUE(Matches(g, "'€'"));
  EXPECT_FALSE(Matches(g, "''"));
  EXPECT_FALSE(Matches(g, "'ab'"));
}

TEST(GrammarParse, Repetitions) {
  auto g = Parse(R"(root ::= "a"? "b"* "c"+ "d"{2} "e"{1,3} "f"{2,})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "cddeff"));
  EXPECT_TRUE(Matches(g, "abbbcccddeeefff"));
  EXPECT_FALSE(Matches(g, "ddeff"));     // no c
  EXPECT_FALSE(Matches(g, "cdeff"));     // one d
  EXPECT_FALSE(Matches(g, "cddeeeeff"));  // four e
  EXPECT_FALSE(Matches(g, "cddef"));     // one f
  EXPECT_FALSE(Matches(g, "aacddeff"));  // two a
}

TEST(GrammarParse, GroupsRepeatAsAWhole) {
  auto g = Parse(R"(root ::= ( "ab" | "c" )+ ( "x" "y" ){0,2})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, "abcab"));
  EXPECT_TRUE(Matches(g, "cxyxy"));
  EXPECT_FALSE(Matches(g, "a"));
  EXPECT_FALSE(Matches(g, "cxyxyxy"));
  EXPECT_FALSE(Matches(g, "cx"));
}

TEST(GrammarParse, EmptyAlternativeAndCompletion) {
  auto g = Parse(R"(root ::= "a" tail
tail ::= "b" | "")");
  ASSERT_TRUE(g);
  GrammarMatcher m(g);
  auto s = m.Next(m.start(), 'a');
  EXPECT_TRUE(m.IsAccepting(s));
  EXPECT_FALSE(m.IsComplete(s));
  s = m.Next(s, 'b');
  EXPECT_TRUE(m.IsComplete(s));
  EXPECT_EQ(m.Next(s, 'b'), GrammarMatcher::kDead);
}

TEST(GrammarParse, RecursionNestsDeeply) {
  auto g = Parse(R"g(root ::= "(" root ")" | "x")g");
  ASSERT_TRUE(g);
  std::string deep = std::string(500, '(') + "x" + std::string(500, ')');
  EXPECT_TRUE(Matches(g, deep));
  EXPECT_FALSE(Matches(g, deep + ")"));
  EXPECT_FALSE(Matches(g, deep.substr(1)));
}

TEST(GrammarParse, MinBytes) {
  auto g = Parse(R"(root ::= "ab" x | "c"
x ::= [0-9]{3} | "ok")");
  ASSERT_TRUE(g);
  GrammarMatcher m(g);
  EXPECT_EQ(m.MinBytesToAccept(m.start()), 1u);
  auto s = m.Next(m.start(), 'a');
  EXPECT_EQ(m.MinBytesToAccept(s), 3u);  // "b" + "ok"
  s = m.Walk(s, "b1");
  EXPECT_EQ(m.MinBytesToAccept(s), 2u);
}

TEST(GrammarParse, AcceptReportsRejection) {
  auto g = Parse(R"(root ::= "abc")");
  ASSERT_TRUE(g);
  GrammarMatcher m(g);
  EXPECT_TRUE(m.Accept("ab").ok());
  Status st = m.Accept("x");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(m.Accept("c").ok());  // state unchanged by the failed call
  EXPECT_TRUE(m.IsComplete(m.state()));
}

TEST(GrammarParse, TrimCacheKeepsTheCurrentPosition) {
  auto g = Parse(R"(root ::= "[" [a-z]* "]" | "[" [0-9]+ "]")");
  ASSERT_TRUE(g);
  GrammarMatcher m(g);
  ASSERT_TRUE(m.Accept("[12").ok());
  m.TrimCache(0);
  EXPECT_LE(m.n_states(), 3u);
  EXPECT_TRUE(m.Accept("3").ok());
  EXPECT_FALSE(m.Accept("a").ok());
  EXPECT_TRUE(m.Accept("]").ok());
  EXPECT_TRUE(m.IsComplete(m.state()));
}

TEST(GrammarParse, LiteralHelperRoundTrips) {
  const std::string text = "say \"hi\"\\\n\t\x01 ünï";
  auto g = Parse("root ::= " + GbnfLiteral(text));
  ASSERT_TRUE(g);
  EXPECT_TRUE(Matches(g, text));
}

TEST(GrammarErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(ErrorOf("root ::= \"abc"), "line 1, column 10: unterminated literal");
  EXPECT_EQ(ErrorOf("root ::= [abc"), "line 1, column 10: unterminated character class");
  EXPECT_EQ(ErrorOf("root ::= x\nx ::= \"a\" )"), "line 2, column 11: unbalanced ')'");
  EXPECT_EQ(ErrorOf("root ::= ( \"a\""), "line 1, column 15: expected ')' to close the '(' at line 1, column 10");
  EXPECT_EQ(ErrorOf("root \"a\""), "line 1, column 6: expected '::=' after rule name 'root'");
  EXPECT_EQ(ErrorOf("root ::= \"\\q\""), "line 1, column 11: unknown escape '\\q'");
  EXPECT_EQ(ErrorOf("root ::= \"\\x4\""), "line 1, column 11: \\x needs 2 hex digits");
  EXPECT_EQ(ErrorOf("root ::= [z-a]"), "line 1, column 11: character range is reversed");
  EXPECT_EQ(ErrorOf("root ::= []"), "line 1, column 10: empty character class");
  EXPECT_EQ(ErrorOf("root ::= \"a\"{3,2}"), "line 1, column 13: repetition {m,n} with n < m");
  EXPECT_EQ(ErrorOf("root ::= \"a\"{2"), "line 1, column 15: expected '}'");
  EXPECT_EQ(ErrorOf("root ::= \"a\"{20000}"), "line 1, column 14: repetition count above 10000");
  EXPECT_EQ(ErrorOf("root ::= [\xff]"), "line 1, column 11: invalid UTF-8");
  EXPECT_EQ(ErrorOf("root ::= @"), "line 1, column 10: unexpected character '@'");
  EXPECT_EQ(ErrorOf("  \n# only a comment\n"), "the grammar is empty (it needs a 'root' rule)");
}

TEST(GrammarErrors, RuleErrors) {
  EXPECT_EQ(ErrorOf("root ::= value\n"), "line 1, column 10: rule 'value' is not defined");
  EXPECT_EQ(ErrorOf("start ::= \"a\""), "the grammar has no 'root' rule");
  EXPECT_EQ(ErrorOf("root ::= \"a\"\nroot ::= \"b\""), "line 2, column 1: rule 'root' is defined twice");
}

TEST(GrammarErrors, LeftRecursionIsRefused) {
  EXPECT_NE(ErrorOf("root ::= root \"a\" | \"b\"").find("left recursion: root -> root"), std::string::npos);
  EXPECT_NE(ErrorOf("root ::= e x\ne ::= \"\" | \"y\"\nx ::= root \"z\" | \"q\"").find("left recursion"),
            std::string::npos);
  EXPECT_NE(ErrorOf("root ::= ( \"a\"? )*").find("left recursion"), std::string::npos);
}

TEST(GrammarErrors, HugeGrammarsAreRefused) {
  // Rule references do not multiply; counted literals do: 450 x 10000 elements > 4M.
  std::string text = "root ::=";
  for (int i = 0; i < 450; ++i) text += " \"x\"{10000}";
  Result<Grammar> g = ParseGrammar(text);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kResourceExhausted);
}

TEST(GrammarErrors, TruncatedInputNeverCrashes) {
  const std::string text =
      "root ::= \"{\" ws ( pair ( \",\" ws pair )* )? \"}\" # c\n"
      "pair ::= [\"] [^\"\\\\\\x00-\\x1F]{1,8} [\"] ws \":\" ws ( [0-9]+ | \"\\u00e9\" )\n"
      "ws ::= [ \\t\\n]*\n";
  ASSERT_TRUE(ParseGrammar(text).ok()) << ParseGrammar(text).status().ToString();
  for (size_t n = 0; n < text.size(); ++n) {
    Result<Grammar> g = ParseGrammar(text.substr(0, n));
    if (!g.ok()) {
      EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument) << n;
    }
  }
}

}  // namespace
}  // namespace foundry::runtime::grammar
