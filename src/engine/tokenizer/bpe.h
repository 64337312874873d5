#pragma once
// Byte-level BPE encoding (formats.md §4.4) for `tokenizer.ggml.model = gpt2` vocabularies.

#include <string_view>
#include <vector>

#include "engine/tokenizer/regex_splitter.h"
#include "engine/tokenizer/vocab.h"

namespace foundry::engine::tokenizer {

// Appends the ids of one raw text fragment: decodes it leniently (invalid UTF-8 -> U+FFFD),
// pre-tokenizes it with `splitter`, maps every pre-token to the byte-level alphabet and merges
// each one by rank (EncodeBpeWord).
// REQUIRES: vocab.kind == VocabKind::kBpe.
void EncodeBpe(const Vocab& vocab, const RegexSplitter& splitter, std::string_view fragment,
               std::vector<TokenId>& out);

// Appends the ids of one byte-level-encoded pre-token. With vocab.ignore_merges a word that is
// itself a token is emitted whole. Otherwise adjacent symbols (initially UTF-8 characters) merge
// lowest rank first, leftmost on ties. A final symbol that is not a token is emitted byte by byte
// as one-byte tokens where they exist (others are dropped, as in the reference).
void EncodeBpeWord(const Vocab& vocab, std::string_view word, std::vector<TokenId>& out);

}  // namespace foundry::engine::tokenizer
