#include "service/openai_params.h"

#include <random>

namespace foundry::service {
namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument("'" + field + "' " + why);
}

// Reads a number field within [lo, hi] into *out if present and not null.
Status Number(const json& body, const char* field, double lo, double hi, float* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return Bad(field, "must be a number");
  double v = it->get<double>();
  if (!(v >= lo && v <= hi))
    return Bad(field, "must be between " + json(lo).dump() + " and " + json(hi).dump());
  *out = float(v);
  return Status::Ok();
}

Status Integer(const json& body, const char* field, int64_t lo, int64_t hi, int64_t* out, bool* given) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_number_integer()) return Bad(field, "must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return Bad(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  *out = v;
  if (given) *given = true;
  return Status::Ok();
}

}  // namespace

Result<RequestOptions> ParseRequestOptions(const json& body) {
  RequestOptions r;
  auto& s = r.gen.sampling;
  // OpenAI defaults: temperature 1, top_p 1, no top-k / min-p, no penalties.
  s.temperature = 1.0f;
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  FOUNDRY_RETURN_IF_ERROR(Number(body, "temperature", 0.0, 2.0, &s.temperature));
  FOUNDRY_RETURN_IF_ERROR(Number(body, "top_p", 0.0, 1.0, &s.top_p));
  if (s.top_p <= 0.0f) s.top_p = 1e-6f;  // top_p 0 means "only the top token"
  FOUNDRY_RETURN_IF_ERROR(Number(body, "min_p", 0.0, 1.0, &s.min_p));
  FOUNDRY_RETURN_IF_ERROR(Number(body, "presence_penalty", -2.0, 2.0, &s.presence_penalty));
  FOUNDRY_RETURN_IF_ERROR(Number(body, "frequency_penalty", -2.0, 2.0, &s.frequency_penalty));
  FOUNDRY_RETURN_IF_ERROR(Number(body, "repetition_penalty", 0.01, 10.0, &s.repeat_penalty));
  int64_t top_k = 0;
  FOUNDRY_RETURN_IF_ERROR(Integer(body, "top_k", 0, 1 << 20, &top_k, nullptr));
  s.top_k = int32_t(top_k);

  int64_t seed = -1;
  bool seeded = false;
  FOUNDRY_RETURN_IF_ERROR(Integer(body, "seed", INT64_MIN, INT64_MAX, &seed, &seeded));
  if (!seeded) FOUNDRY_RETURN_IF_ERROR(Integer(body, "random_seed", INT64_MIN, INT64_MAX, &seed, &seeded));
  s.seed = seeded ? uint64_t(seed) : std::random_device{}();

  int64_t max_tokens = -1;
  FOUNDRY_RETURN_IF_ERROR(Integer(body, "max_tokens", 0, INT32_MAX, &max_tokens, &r.max_tokens_given));
  FOUNDRY_RETURN_IF_ERROR(
      Integer(body, "max_completion_tokens", 0, INT32_MAX, &max_tokens, &r.max_tokens_given));
  r.gen.max_tokens = int32_t(max_tokens);  // -1: until the context is full

  if (auto it = body.find("stop"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      r.gen.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 16) return Bad("stop", "may hold at most 16 strings");
      for (const auto& x : *it) {
        if (!x.is_string()) return Bad("stop", "must be a string or an array of strings");
        r.gen.stop.push_back(x.get<std::string>());
      }
    } else {
      return Bad("stop", "must be a string or an array of strings");
    }
  }
  if (auto it = body.find("stream"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad("stream", "must be a boolean");
    r.stream = it->get<bool>();
  }
  // llama-server's and vLLM's extension: keep generating past end-of-generation tokens.
  if (auto it = body.find("ignore_eos"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad("ignore_eos", "must be a boolean");
    r.gen.stop_at_eog = !it->get<bool>();
  }
  if (auto it = body.find("stream_options"); it != body.end() && it->is_object()) {
    if (auto u = it->find("include_usage"); u != it->end() && u->is_boolean()) r.include_usage = u->get<bool>();
  }
  if (auto it = body.find("n"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() != 1) return Bad("n", "only n = 1 is supported");
  }
  return r;
}

Result<int32_t> ParseChatLogprobs(const json& body, const char** bad_param) {
  bool want = false;
  if (auto it = body.find("logprobs"); it != body.end() && !it->is_null()) {
    *bad_param = "logprobs";
    if (!it->is_boolean()) return Bad("logprobs", "must be a boolean");
    want = it->get<bool>();
  }
  auto it = body.find("top_logprobs");
  if (it == body.end() || it->is_null()) return want ? 0 : -1;
  *bad_param = "top_logprobs";
  if (!it->is_number_integer()) return Bad("top_logprobs", "must be an integer");
  const int64_t n = it->get<int64_t>();
  if (n < 0 || n > 20) return Bad("top_logprobs", "must be between 0 and 20");
  if (!want) return Bad("top_logprobs", "requires 'logprobs' to be true");
  return int32_t(n);
}

Result<int32_t> ParseCompletionLogprobs(const json& body, const char** bad_param) {
  auto it = body.find("logprobs");
  if (it == body.end() || it->is_null()) return -1;
  *bad_param = "logprobs";
  if (!it->is_number_integer()) return Bad("logprobs", "must be an integer");
  const int64_t n = it->get<int64_t>();
  if (n < 0 || n > 5) return Bad("logprobs", "must be between 0 and 5");
  return int32_t(n);
}

}  // namespace foundry::service
