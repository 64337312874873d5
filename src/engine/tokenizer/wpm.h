#pragma once
// WordPiece encoding (formats.md §4.6) for `tokenizer.ggml.model = bert` vocabularies, whose
// GGUF form marks word-initial pieces with a leading U+2581 and stores continuations bare.
//
// Thread-safety: immutable after Create(); const methods are safe from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"
#include "foundry/core/status.h"

namespace foundry::engine::tokenizer {

class WpmEncoder {
 public:
  // Compiles the character classifier. kInternal if PCRE2 rejects it (a foundry bug).
  static Result<WpmEncoder> Create();

  WpmEncoder(WpmEncoder&&) noexcept;
  WpmEncoder& operator=(WpmEncoder&&) noexcept;
  ~WpmEncoder();

  // The normalized words of one raw fragment: NFD-first mapping when vocab.strip_accents;
  // whitespace ends a word; U+0000, U+FFFD and control/format/private-use characters are
  // dropped, as are marks when vocab.strip_accents; lowercase when vocab.lowercase; punctuation,
  // ASCII symbols and CJK ideographs become one-character words.
  std::vector<std::string> Words(const Vocab& vocab, std::string_view fragment) const;

  // Appends the ids of one raw fragment: per word, greedy longest match over the bytes of
  // "▁" + word; a word that cannot be covered becomes one UNK (nothing when the vocabulary has
  // no UNK id). REQUIRES: vocab.kind == VocabKind::kWpm.
  void Encode(const Vocab& vocab, std::string_view fragment, std::vector<TokenId>& out) const;

 private:
  struct Impl;
  explicit WpmEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace foundry::engine::tokenizer
