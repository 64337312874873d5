// Detokenization rules of formats.md §4.7: pieces per token type, the SPM leading-space rule,
// remove_special / unparse_special, and the clean_spaces passes.

#include "engine/tokenizer/detokenize.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/test_vectors.h"
#include "engine/tokenizer/vocab_builder.h"

namespace foundry::engine::testing {
namespace {

using Ids = std::vector<TokenId>;

TEST(TokenPieceTest, PiecesByTokenType) {
  TinyVocab t = SmallSpm();
  t.tokens.push_back("x▁y");  // USER_DEFINED keeps its raw text, marker included
  t.scores.push_back(0);
  t.types.push_back(kUserDefined);
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  using tokenizer::TokenPiece;
  EXPECT_EQ(TokenPiece(*v, 8, 0, true), " ab");  // NORMAL: U+2581 -> space
  EXPECT_EQ(TokenPiece(*v, 8, 1, true), "ab");   // lstrip
  EXPECT_EQ(TokenPiece(*v, 3, 5, true), "");     // lstrip never goes past the piece
  EXPECT_EQ(TokenPiece(*v, 9, 0, true), "\n");   // BYTE <0x0A>
  EXPECT_EQ(TokenPiece(*v, 1, 0, true), "<s>");  // CONTROL with special
  EXPECT_EQ(TokenPiece(*v, 1, 0, false), "");    // ... and without
  EXPECT_EQ(TokenPiece(*v, 0, 0, false), "");    // UNKNOWN
  EXPECT_EQ(TokenPiece(*v, 12, 0, false), "x▁y");
  EXPECT_EQ(TokenPiece(*v, -1, 0, true), "");
  EXPECT_EQ(TokenPiece(*v, 13, 0, true), "");
}

TEST(TokenPieceTest, BpeCharacterOutsideTheAlphabet) {
  TinyVocab t{.model = "gpt2", .pre = "gpt-2", .tokens = {"a", "b", "a b"}, .merges = {"a b"}};
  auto v = LoadTiny(WriterFor(t));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  // A raw space is not in the byte-level alphabet; the reference writes a marker with the
  // character's UTF-8 in hex followed by the whole token text.
  EXPECT_EQ(tokenizer::TokenPiece(*v, 2, 0, true), "a[UNK_BYTE_0x20a b]b");
}

TEST(DetokenizeTest, SpmLeadingSpaceAndSpecials) {
  auto tok = LoadTokenizer(VocabPath("llama-spm"));
  ASSERT_NE(tok, nullptr);
  const Ids ids = tok->Encode("Hello world", {});  // [BOS, ▁Hello, ▁world]
  ASSERT_EQ(ids.front(), tok->bos_id());
  EXPECT_EQ(tok->Decode(ids), "<s> Hello world");
  EXPECT_EQ(tok->Decode(ids, /*remove_special=*/false, /*unparse_special=*/false), " Hello world");
  // Dropping the BOS also keeps the leading space, exactly like the reference.
  EXPECT_EQ(tok->Decode(ids, /*remove_special=*/true), " Hello world");
  const Ids no_bos(ids.begin() + 1, ids.end());
  EXPECT_EQ(tok->Decode(no_bos), "Hello world");
}

TEST(DetokenizeTest, CleanSpacesForBpe) {
  auto tok = LoadTokenizer(VocabPath("gpt-2"));
  ASSERT_NE(tok, nullptr);
  auto round = [&](std::string_view text) {
    return tok->Decode(tok->Encode(text, {.add_special = false}));
  };
  EXPECT_EQ(round("Hello , world ! Ok . Yes ?"), "Hello, world! Ok. Yes?");
  EXPECT_EQ(round("a ' b"), "a'b");
  EXPECT_EQ(round("it 's I 'm we 're they 've"), "it's I'm we're they've");
  EXPECT_EQ(round("don 't I 'd we 'll"), "don 't I 'd we 'll");
  EXPECT_EQ(round("Hello world"), "Hello world");
}

TEST(DetokenizeTest, NoCleanSpacesForQwen2) {
  auto tok = LoadTokenizer(VocabPath("qwen2"));
  ASSERT_NE(tok, nullptr);
  const std::string text = "Hello , world ! it 's";
  EXPECT_EQ(tok->Decode(tok->Encode(text, {.add_special = false})), text);
}

TEST(DetokenizeTest, RemoveSpecialDropsOnlyWhatTheModelAdds) {
  auto tok = LoadTokenizer(VocabPath("llama-bpe"));  // adds BOS, not EOS
  ASSERT_NE(tok, nullptr);
  Ids ids = tok->Encode("Hi", {});
  ASSERT_EQ(ids.front(), tok->bos_id());
  ids.push_back(tok->eos_id());
  EXPECT_EQ(tok->Decode(ids, /*remove_special=*/true), "Hi<|end_of_text|>");
  EXPECT_EQ(tok->Decode(ids, /*remove_special=*/true, /*unparse_special=*/false), "Hi");
}

TEST(DetokenizeTest, MultiByteCharactersAssembleFromBytePieces) {
  auto tok = LoadTokenizer(VocabPath("llama-spm"));
  ASSERT_NE(tok, nullptr);
  const std::string text = "🦙 ភ្នំពេញ";
  const Ids ids = tok->Encode(text, {.add_special = false});
  std::string joined;
  for (TokenId id : ids) joined += tok->TokenToPiece(id);
  EXPECT_EQ(joined, " " + text);
  EXPECT_EQ(tok->Decode(ids), text);
}

}  // namespace
}  // namespace foundry::engine::testing
