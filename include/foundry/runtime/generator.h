#pragma once
// Generate: prompt text in, continuation out, one sequence of a Context.
//
// Tokenizes the prompt (model BOS/EOS rules), evaluates it in one batch, then samples token by
// token until max_tokens, an end-of-generation token, a stop string, the end of the context, or
// the callback asking to stop. Text is streamed through `on_text` in pieces that are whole UTF-8
// characters and never contain (a prefix of) a stop string that might still complete.
// Thread-compatible: one call per Context at a time.

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/context.h"
#include "foundry/engine/sampler.h"
#include "foundry/runtime/grammar/grammar.h"
#include "foundry/runtime/grammar/token_vocabulary.h"

namespace foundry::runtime {

struct GenerateOptions {
  int32_t max_tokens = 256;             // generated tokens at most (-1: until the context is full)
  engine::SamplerParams sampling;
  std::vector<std::string> stop;        // stop strings (not included in the output)
  bool stop_at_eog = true;              // stop on EOS/EOT tokens (not included in the output)
  engine::EncodeOptions encode;         // prompt tokenization
  uint32_t seq = 0;                     // sequence of the Context to use (cleared first)
  // Control tokens streamed as their text although special tokens are otherwise not (tool-call
  // markers such as <|python_tag|> or [TOOL_CALLS], which the tool-call parser must see).
  std::vector<engine::TokenId> keep_special;
  // -1: no log-probabilities. 0..N: report each generated token's log-probability and its N
  // most likely alternatives (engine::Sampler::Sample with n_top = N) in
  // GenerateResult::logprobs and to a PieceCallback.
  int32_t top_logprobs = -1;

  // Constrained decoding (docs/tool-calling.md, "Constrained decoding"). When set, each step
  // masks the logits to the tokens that keep the output a prefix of a sentence of the grammar
  // (grammar/grammar_constraint.h); EOG tokens are allowed only where the grammar can end,
  // and choosing one ends generation even with stop_at_eog = false. Generation also stops
  // (finish = kStop) as soon as the grammar is complete, i.e. nothing more may follow. The
  // token budget (max_tokens and the context) is taken into account so that, with a
  // vocabulary that has a token for every byte, the output is complete before the budget
  // runs out — whatever the model. The output text is then a sentence of the grammar unless
  // a stop string or the callback cut it.
  std::shared_ptr<const grammar::Grammar> grammar;
  // The model's token trie for `grammar`; built per call when null (about 0.1-0.3 s for a
  // 150k vocabulary), so callers that generate often should build it once
  // (TokenVocabulary::Build, or LoadedModel::GrammarVocabulary) and pass it here. REQUIRES
  // built from this model's tokenizer with `keep_special` as its as_text tokens (so that a
  // kept marker token counts as its text for the grammar, as it does in the output).
  std::shared_ptr<const grammar::TokenVocabulary> grammar_vocabulary;
};

enum class FinishReason { kStop, kLength, kCancelled };
std::string_view FinishReasonName(FinishReason r);  // "stop", "length", "cancelled"

struct GenerateResult {
  std::vector<engine::TokenId> prompt_tokens;
  std::vector<engine::TokenId> tokens;  // generated, including a final EOG token if one was hit
  std::string text;                     // generated text without stop string / EOG token
  FinishReason finish = FinishReason::kLength;
  // With top_logprobs >= 0: one entry per generated token except a final EOG token (tokens of
  // a stop string are included), in order.
  std::vector<engine::SampledToken> logprobs;
  double prompt_ms = 0, generate_ms = 0;
};

// Called with each new piece of text; return false to stop generating (finish = kCancelled).
using TextCallback = std::function<bool(std::string_view piece)>;

// Like TextCallback, plus the log-probabilities of the tokens sampled since the previous call
// (empty unless GenerateOptions::top_logprobs >= 0). A piece and its tokens need not line up:
// text held back (a possible stop string, an incomplete UTF-8 character) comes with a later
// call, so a call may carry tokens and an empty piece only at the very end.
using PieceCallback = std::function<bool(std::string_view piece, std::span<const engine::SampledToken> tokens)>;

// kOutOfRange if the prompt does not fit in the context (the message says by how many tokens);
// kInvalidArgument for invalid sampling options, an empty prompt on a model without BOS, or a
// grammar_vocabulary of another size than the model's vocabulary. With a grammar:
// kFailedPrecondition if no token of the vocabulary can continue it, kResourceExhausted if the
// grammar is too ambiguous to match (grammar/grammar_constraint.h).
Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const TextCallback& on_text = {});
// The same with log-probabilities streamed alongside the text.
Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const PieceCallback& on_piece);

}  // namespace foundry::runtime
