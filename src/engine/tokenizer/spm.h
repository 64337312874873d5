#pragma once
// SentencePiece-style encoding of one raw fragment (formats.md §4.3).

#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace foundry::engine::tokenizer {

// Appends the ids of `text`, which the caller has already prefixed and escaped (' ' -> U+2581).
// Adjacent symbols merge highest-score-first while their concatenation is a token; leftovers
// fall back to byte tokens. Departure from the reference (which throws): a byte with no byte
// token becomes the UNK id, or is dropped when the vocabulary has none.
// REQUIRES: vocab.kind == VocabKind::kSpm.
void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<TokenId>& out);

// Replaces every ' ' by U+2581 '▁' (the SentencePiece whitespace escape).
std::string EscapeSpmWhitespace(std::string_view text);

}  // namespace foundry::engine::tokenizer
