#pragma once
// Sequence: one generation's own state — its tokens, sampler, grammar constraint, stop strings
// and the text streamed so far — apart from running the model. Generate() (generator.h) drives
// one Sequence over a Context; the Scheduler (scheduler.h) drives many in shared batches. Given
// the same logits, both produce the same tokens and text.
//
// The driver's loop: evaluate every token of tokens() not yet in the KV cache, asking for the
// logits of the last one; hand those logits to Step(), which samples the next token (appended
// to tokens()) and streams text; repeat until done(); then Finish().
//
// Thread-compatible: one driver at a time.

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/model.h"
#include "foundry/engine/sampler.h"
#include "foundry/runtime/generator.h"
#include "foundry/runtime/grammar/grammar_constraint.h"

namespace foundry::runtime {

class Sequence {
 public:
  // Tokenizes `prompt` and checks it and the options against a context of n_ctx positions per
  // sequence. Errors as Generate() (generator.h): kOutOfRange for a prompt over n_ctx,
  // kInvalidArgument for bad options or an empty prompt.
  static Result<std::unique_ptr<Sequence>> Create(const engine::Model& model, uint32_t n_ctx,
                                                  std::string_view prompt, GenerateOptions options);

  // The prompt's tokens followed by the generated ones. While !done(), all of them must be in
  // the KV cache before the next Step(), whose logits are those of the last one.
  std::span<const engine::TokenId> tokens() const { return tokens_; }
  size_t n_prompt() const { return n_prompt_; }
  size_t n_generated() const { return tokens_.size() - n_prompt_; }
  const GenerateOptions& options() const { return options_; }

  // Generation has ended (finish reason decided). True from the start when max_tokens is 0.
  bool done() const { return done_; }

  // Marks the moment evaluation starts (prompt time is measured from here; default: Create).
  void MarkStart();

  // Samples the next token from `logits` (n_vocab entries of the last token; the grammar mask
  // is applied in place), streams the text that became safe through `on_piece`, and decides
  // whether generation ends. An error (grammar) also ends it. REQUIRES: !done().
  Status Step(std::span<float> logits, const PieceCallback& on_piece);

  // Ends the generation as cancelled: Finish() reports kCancelled and flushes nothing.
  void Cancel();

  // Flushes text held back (a stop-string prefix that never completed) unless cancelled, and
  // returns the result. Call once, after done() (or to end early, as kLength).
  GenerateResult Finish(const PieceCallback& on_piece);

 private:
  Sequence(const engine::Model& model, uint32_t n_ctx, GenerateOptions options);
  void End(FinishReason why) {
    finish_ = why;
    done_ = true;
  }

  const engine::Model& model_;
  const uint32_t n_ctx_;
  GenerateOptions options_;
  engine::Sampler sampler_;
  std::optional<grammar::GrammarConstraint> constraint_;
  std::vector<engine::TokenId> tokens_;
  size_t n_prompt_ = 0;
  int64_t can_generate_ = 0;  // tokens the budget (max_tokens, context) allows at all

  std::string text_;          // generated text so far, cut at a stop string
  size_t emitted_ = 0;        // text_[0, emitted_) went out through on_piece
  std::vector<engine::SampledToken> logprobs_;
  size_t logprobs_sent_ = 0;  // logprobs_[0, logprobs_sent_) went out with a piece

  bool done_ = false;
  FinishReason finish_ = FinishReason::kLength;
  std::chrono::steady_clock::time_point start_, first_step_;
  bool stepped_ = false;
};

}  // namespace foundry::runtime
