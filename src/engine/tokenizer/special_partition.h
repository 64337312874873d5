#pragma once
// The special-token partition (formats.md §4.2): splits input text into raw-text fragments and
// special-token fragments before any model-specific tokenization.

#include <cstddef>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace foundry::engine::tokenizer {

// A piece of the input: either a special token (token >= 0) or raw text
// [offset, offset + length) of the input (token == -1, length > 0).
struct Fragment {
  TokenId token = -1;
  size_t offset = 0;
  size_t length = 0;
  bool is_token() const { return token >= 0; }
};

// Splits `text` by every occurrence of the vocabulary's special tokens, longest candidates
// first. CONTROL and UNKNOWN tokens take part only when `parse_special`; USER_DEFINED tokens
// always do. LSTRIP/RSTRIP tokens drop ASCII whitespace on that side of the match. Empty raw
// fragments are dropped, so an empty `text` gives no fragment.
std::vector<Fragment> PartitionSpecial(const Vocab& vocab, std::string_view text,
                                       bool parse_special);

}  // namespace foundry::engine::tokenizer
