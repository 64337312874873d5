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
};

enum class FinishReason { kStop, kLength, kCancelled };
std::string_view FinishReasonName(FinishReason r);  // "stop", "length", "cancelled"

struct GenerateResult {
  std::vector<engine::TokenId> prompt_tokens;
  std::vector<engine::TokenId> tokens;  // generated, including a final EOG token if one was hit
  std::string text;                     // generated text without stop string / EOG token
  FinishReason finish = FinishReason::kLength;
  double prompt_ms = 0, generate_ms = 0;
};

// Called with each new piece of text; return false to stop generating (finish = kCancelled).
using TextCallback = std::function<bool(std::string_view piece)>;

// kOutOfRange if the prompt does not fit in the context (the message says by how many tokens);
// kInvalidArgument for invalid sampling options or an empty prompt on a model without BOS.
Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const TextCallback& on_text = {});

}  // namespace foundry::runtime
