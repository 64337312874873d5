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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/context.h"
#include "foundry/engine/sampler.h"

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
// kInvalidArgument for invalid sampling options or an empty prompt on a model without BOS.
Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const TextCallback& on_text = {});
// The same with log-probabilities streamed alongside the text.
Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const PieceCallback& on_piece);

}  // namespace foundry::runtime
