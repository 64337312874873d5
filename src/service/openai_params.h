#pragma once
// Parsing of OpenAI request fields shared by /v1/completions and /v1/chat/completions into
// typed GenerateOptions, with OpenAI's defaults and ranges. Internal to the service.

#include <nlohmann/json.hpp>

#include "foundry/core/status.h"
#include "foundry/runtime/generator.h"

namespace foundry::service {

struct RequestOptions {
  runtime::GenerateOptions gen;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool max_tokens_given = false;
};

// kInvalidArgument naming the field for wrong types or out-of-range values.
Result<RequestOptions> ParseRequestOptions(const nlohmann::json& body);

// Log-probabilities asked for, as GenerateOptions::top_logprobs (-1: none, else the number of
// alternatives per token). kInvalidArgument naming the field in *bad_param otherwise.
// Chat: `logprobs` (boolean) and `top_logprobs` (integer 0..20, only with logprobs: true).
Result<int32_t> ParseChatLogprobs(const nlohmann::json& body, const char** bad_param);
// Completions: `logprobs` (integer 0..5, OpenAI's limit; null: none).
Result<int32_t> ParseCompletionLogprobs(const nlohmann::json& body, const char** bad_param);

}  // namespace foundry::service
