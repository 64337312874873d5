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

}  // namespace foundry::service
