#pragma once
// TokenVocabulary: a model's tokens as bytes, arranged in a byte trie for grammar masking
// (grammar_constraint.h). Built once per tokenizer and shared by every constrained generation
// on that model: ~0.1-0.3 s for a 150k-token vocabulary, a few MB.
//
// Which tokens take part: every token whose piece (Tokenizer::TokenToPiece with
// special = false) is non-empty and that is not an end-of-generation token. Control and
// unknown tokens render as "" and so are never allowed by a grammar — except the ones passed
// as `as_text` (GenerateOptions::keep_special: tool-call markers such as <|tool_call|> that
// generation streams as text), which take part with their text. EOG tokens are listed apart
// (allowed only where the grammar can end).
//
// The trie is stored in preorder (children in byte order), which is lexicographic order of
// the token bytes: node i covers nodes [i, subtree_end(i)), its parent is the nearest earlier
// node of depth depth(i) - 1. A walk visits nodes in index order and skips a rejected subtree
// by jumping to subtree_end — no pointers, no recursion.
//
// Thread-safety: immutable after Build(); safe to share between threads.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::runtime::grammar {

class TokenVocabulary {
 public:
  // The tokenizer is only read during the call. `as_text`: control tokens that take part with
  // their text (see above; ids out of range and EOG tokens are ignored). kInvalidArgument if
  // the tokenizer has no tokens; kResourceExhausted if out of memory.
  static Result<std::shared_ptr<const TokenVocabulary>> Build(const engine::Tokenizer& tokenizer,
                                                              std::span<const engine::TokenId> as_text = {});

  int32_t n_vocab() const { return n_vocab_; }
  // The bytes a token adds to the output ("" for control/unknown/EOG tokens and ids out of
  // range).
  std::string_view bytes(engine::TokenId id) const;
  bool is_eog(engine::TokenId id) const { return id >= 0 && id < n_vocab_ && is_eog_[size_t(id)]; }
  const std::vector<engine::TokenId>& eog_tokens() const { return eog_; }

  // Trie nodes (the root is implicit: nodes of depth 1 are its children).
  size_t n_nodes() const { return byte_.size(); }
  uint8_t node_byte(size_t i) const { return byte_[i]; }
  uint32_t node_depth(size_t i) const { return depth_[i]; }
  uint32_t subtree_end(size_t i) const { return end_[i]; }
  // Tokens whose bytes end exactly at node i (several when tokens share their bytes).
  std::span<const engine::TokenId> node_tokens(size_t i) const {
    return {token_ids_.data() + tok_begin_[i], token_ids_.data() + tok_begin_[i + 1]};
  }
  uint32_t max_depth() const { return max_depth_; }

 private:
  int32_t n_vocab_ = 0;
  std::string bytes_pool_;
  std::vector<uint32_t> bytes_off_;  // [n_vocab + 1]
  std::vector<bool> is_eog_;
  std::vector<engine::TokenId> eog_;
  std::vector<uint8_t> byte_;
  std::vector<uint32_t> depth_, end_, tok_begin_;
  std::vector<engine::TokenId> token_ids_;
  uint32_t max_depth_ = 0;
};

}  // namespace foundry::runtime::grammar
