#pragma once
// Parsing of Ollama API request fields (/api/generate, /api/chat): `options`, `keep_alive`,
// `format`, `think`, `stream`, and the conversion of Ollama chat messages (tool calls with
// object arguments, tool results named by `tool_name`) into the OpenAI shape the chat code
// takes. Internal to the service; docs/ollama-api.md describes the behaviour.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/generator.h"

namespace foundry::service {

// A request's keep_alive: how long the model stays loaded after the request.
struct KeepAlive {
  enum class Kind {
    kDefault,   // absent or null: the service's TTL for the model is kept
    kUnload,    // 0: unload once the response is done
    kForever,   // negative: never unload by TTL
    kDuration,  // positive: this long after the last use
  };
  Kind kind = Kind::kDefault;
  std::chrono::seconds duration{0};  // kDuration only (at least 1 s: shorter rounds up)

  // The TTL to pass to ModelManager::Acquire (0: keep the model's current TTL).
  std::chrono::seconds AcquireTtl() const;
};

// Ollama's keep_alive: a number of seconds, or a Go duration string ("5m", "1h30m", "-1m",
// "300ms", "0"); a string holding a plain number counts as seconds. kInvalidArgument
// ("'keep_alive' ...") for anything else.
Result<KeepAlive> ParseKeepAlive(const nlohmann::json& value);

// Sampling and length from a request's `options` object, with Ollama's defaults (temperature
// 0.8, top_k 40, top_p 0.9, min_p 0, repeat_penalty 1.0, repeat_last_n 64, random seed,
// num_predict -1 = until the context is full; -2 = fill the context too). Recognised keys:
// num_predict, temperature, top_k, top_p, min_p, seed, stop, repeat_penalty, repeat_last_n,
// presence_penalty, frequency_penalty. Keys that tune Ollama's own runner (num_ctx, num_batch,
// num_gpu, main_gpu, num_thread, use_mmap, numa, num_keep, typical_p, penalize_newline, ...) are
// accepted and have no effect (as Ollama ignores unknown keys). kInvalidArgument naming
// "options.<key>" for a wrong type or an out-of-range value, or when `options` is no object.
Result<runtime::GenerateOptions> ParseOllamaOptions(const nlohmann::json& body);

// `stream` (default true). kInvalidArgument if it is not a boolean.
Result<bool> ParseStream(const nlohmann::json& body);

// What `format` asks for: nothing, "json" (any JSON value), or a JSON schema object.
struct OutputFormat {
  enum class Kind { kNone, kJson, kSchema };
  Kind kind = Kind::kNone;
  nlohmann::json schema;  // kSchema only
};
// kInvalidArgument for a string other than "json" / "" or a non-object.
Result<OutputFormat> ParseFormat(const nlohmann::json& body);

// Constrains generation to `format` with the grammar engine: kJson -> any JSON object
// (runtime::grammar::JsonObjectGrammar), kSchema -> the compiled schema (property order: the
// body's JSON object order is not kept, keys come sorted). kInvalidArgument ("'format': ...")
// for a schema the compiler refuses (runtime/grammar/json_schema.h).
Status ApplyFormatConstraint(const OutputFormat& format, runtime::GenerateOptions* gen);

// `think`: false / absent are fine; true or a level ("low", "medium", "high", "max") needs a
// thinking model, which no model here is: kInvalidArgument "'<model>' does not support
// thinking" (Ollama's answer for such models). Other types: kInvalidArgument.
Status CheckThink(const nlohmann::json& body, std::string_view model);

// Ollama chat messages -> OpenAI-shaped messages for TemplateMessages: `tool_calls[].function.
// arguments` objects are kept (templates want objects), calls get ids ("call_<m>_<k>") where
// they have none, and a `role: "tool"` message gets the `tool_call_id` of the earliest call not
// yet answered (the one named `tool_name` when given) and `name` = tool_name. `images` must be
// absent or empty (no vision models). kInvalidArgument naming "messages[i]...".
Result<nlohmann::json> OllamaMessagesToOpenAi(const nlohmann::json& messages);

// Time helpers for the wire format: RFC 3339 in UTC with nanoseconds
// ("2024-05-01T12:00:00.123456789Z"), and durations in nanoseconds.
std::string Rfc3339(std::chrono::system_clock::time_point t);
int64_t Nanos(std::chrono::steady_clock::duration d);

// Ollama model names are "name[:tag]" with tag "latest" by default. The names to try for a
// lookup, most specific first: `name` itself, then without ":latest" (a BYO file "m.gguf" is
// "m:latest"), then with ":latest" appended when there is no tag.
std::vector<std::string> NameCandidates(std::string_view name);

}  // namespace foundry::service
