#pragma once
// OpenAI's JSON for token log-probabilities, from what the sampler reported
// (engine::SampledToken). Internal to the service.
//   chat:        choices[].logprobs = {"content": ChatLogprobsContent(...), "refusal": null}
//   completions: choices[].logprobs = CompletionLogprobs(...)

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>

#include "foundry/engine/sampler.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::service {

// [{"token", "logprob", "bytes": [UTF-8 bytes], "top_logprobs": [{"token", "logprob", "bytes"}]}]
// Token texts are the tokenizer's pieces (may be partial UTF-8; `bytes` is exact).
nlohmann::json ChatLogprobsContent(const engine::Tokenizer& tok, std::span<const engine::SampledToken> tokens);

// {"tokens": [...], "token_logprobs": [...], "top_logprobs": [{piece: logprob}], "text_offset": [...]}.
// Offsets count bytes of the completion from *offset, which is advanced past these tokens (so a
// stream continues where the previous chunk ended).
nlohmann::json CompletionLogprobs(const engine::Tokenizer& tok, std::span<const engine::SampledToken> tokens,
                                  size_t* offset);

}  // namespace foundry::service
