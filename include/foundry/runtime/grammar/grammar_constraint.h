#pragma once
// GrammarConstraint: masks a model's logits so that sampling can only continue the output as a
// prefix of a sentence of a Grammar, and advances with each chosen token. The runtime generator
// uses it when GenerateOptions::grammar is set.
//
// A token is allowed when every one of its bytes is accepted in turn by the grammar; EOG
// tokens are allowed only where the grammar can end. The mask walks the vocabulary's byte trie
// once with the matcher's memoized DFA, skipping whole subtrees at the first rejected byte, and
// caches the result per matcher state (generation revisits the same states constantly: inside
// a JSON string every character leads back to the same state).
//
// Token budget: with `budget_tokens` tokens left (this one included), a token is allowed only
// if the output can still be completed in the remaining budget counted in bytes — i.e. its end
// state needs at most budget_tokens - 1 more bytes (Grammar minimum lengths). With a vocabulary
// that has a token for every single byte (byte-level BPE, SPM byte fallback) this guarantees
// that generation reaches an accepting state before the budget runs out, whatever the model —
// even one with random weights. When no token fits the budget the plain grammar mask is used.
//
// Thread-compatible: one per generation.

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/grammar/grammar.h"
#include "foundry/runtime/grammar/grammar_matcher.h"
#include "foundry/runtime/grammar/token_vocabulary.h"

namespace foundry::runtime::grammar {

struct GrammarConstraintOptions {
  // Reuse the mask computed for a matcher state when generation comes back to it. Off only to
  // measure the trie walk itself (bench/).
  bool cache_masks = true;
};

class GrammarConstraint {
 public:
  // REQUIRES grammar and vocabulary non-null.
  GrammarConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocabulary,
                    const GrammarConstraintOptions& options = {});

  // The allowed tokens now, as a bitset over the vocabulary (bit i of word i/64). The span
  // lives until the next call of any non-const method. budget_tokens <= 0 means no budget.
  // kResourceExhausted if the grammar is too ambiguous or its states exceed the memory bound.
  // kFailedPrecondition if no token at all can continue the grammar (e.g. a vocabulary without
  // the needed bytes); the message says so.
  Result<std::span<const uint64_t>> ComputeMask(int64_t budget_tokens);

  // ComputeMask, then sets the logit of every token not allowed to -infinity.
  // REQUIRES logits.size() == vocabulary n_vocab.
  Status Apply(std::span<float> logits, int64_t budget_tokens);

  // Advances by `token`'s bytes. An EOG token is accepted where the grammar can end (and ends
  // it: IsComplete() turns true). kInvalidArgument for a token the grammar does not allow here
  // (state unchanged).
  Status Accept(engine::TokenId token);

  // Back to the start of the grammar, keeping memoized states and masks (a constraint can
  // serve one generation after another with the same grammar and vocabulary).
  void Reset() {
    matcher_.Reset();
    ended_ = false;
  }

  // The output so far is a complete sentence.
  bool IsAccepting() const { return matcher_.IsAccepting(matcher_.state()); }
  // Nothing may follow (complete sentence with no continuation, or an EOG was accepted).
  bool IsComplete() const { return ended_ || matcher_.IsComplete(matcher_.state()); }
  // Fewest bytes that would complete the output now.
  uint32_t MinBytesToAccept() const { return matcher_.MinBytesToAccept(matcher_.state()); }

  const GrammarMatcher& matcher() const { return matcher_; }

 private:
  struct CachedMask {
    std::vector<uint64_t> bits;  // grammar-allowed tokens (EOG excluded)
    uint32_t max_min_bytes;      // largest MinBytesToAccept over their end states
  };
  Status Walk(int64_t budget_after, std::vector<uint64_t>* all, std::vector<uint64_t>* in_budget,
              uint32_t* max_min_bytes);

  GrammarMatcher matcher_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::unordered_map<GrammarMatcher::StateId, CachedMask> cache_;
  std::vector<GrammarMatcher::StateId> walk_states_;  // per trie depth
  std::vector<uint64_t> mask_, scratch_;
  GrammarConstraintOptions options_;
  bool ended_ = false;
};

}  // namespace foundry::runtime::grammar
