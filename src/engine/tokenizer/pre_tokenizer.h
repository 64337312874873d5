#pragma once
// Pre-tokenizer settings per `tokenizer.ggml.pre` value of byte-level BPE vocabularies
// (formats.md §4.5): the regex list and the flags the reference ties to the name.

#include <span>
#include <string_view>

namespace foundry::engine::tokenizer {

struct PreTokenizerSpec {
  std::string_view name;                          // the `tokenizer.ggml.pre` value
  std::span<const std::string_view> expressions;  // PCRE2 syntax, applied in order
  bool ignore_merges = false;  // emit a whole pre-token directly when it is a token (§4.4)
  bool clean_spaces = true;    // detokenizer removes spaces before punctuation (§4.7)
  bool add_bos = false;        // default add_bos (the add_bos_token key still overrides)
};

// The row for `pre`; "" (key absent) selects "default". nullptr for a name we do not know.
const PreTokenizerSpec* FindPreTokenizer(std::string_view pre);

}  // namespace foundry::engine::tokenizer
