#pragma once
// Detokenization (formats.md §4.7): token pieces and their concatenation.

#include <span>
#include <string>

#include "engine/tokenizer/vocab.h"

namespace foundry::engine::tokenizer {

// The bytes of token `id` with up to `lstrip` leading spaces removed. CONTROL/UNKNOWN tokens give
// their text only when `special`; USER_DEFINED tokens always give their raw text; NORMAL tokens
// are unescaped (SPM/WPM: U+2581 -> ' '; BPE: byte-level alphabet -> bytes); SPM BYTE tokens
// give their byte; anything else (and an id outside the vocabulary) gives "".
std::string TokenPiece(const Vocab& vocab, TokenId id, int lstrip, bool special);

// Concatenated pieces (special = unparse_special). With remove_special, a leading BOS / trailing
// EOS is dropped when the vocabulary adds it. The first piece loses one leading space when the
// vocabulary adds a space prefix and no BOS was dropped; then the clean-up passes run when
// vocab.clean_spaces.
std::string Detokenize(const Vocab& vocab, std::span<const TokenId> ids, bool remove_special,
                       bool unparse_special);

}  // namespace foundry::engine::tokenizer
