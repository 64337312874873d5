#pragma once
// Ollama's REST API on the foundry service (docs/ollama-api.md): the same models, loaded through
// the same ModelManager as the OpenAI routes, with Ollama's request fields, NDJSON streaming,
// nanosecond timings and {"error": "..."} errors. Internal to the service.
//
//   ollama_api.cc     registration, GET|HEAD /, /api/version, /api/embed, errors
//   ollama_chat.cc    POST /api/generate and /api/chat (generation, tools, load/unload requests)
//   ollama_models.cc  /api/tags, /api/show, /api/ps, /api/pull, /api/delete, /api/copy
//
// Thread-safety: the handlers run on the HTTP threads; everything they share is thread-safe
// (ModelManager, Metrics, the store, whose cache re-reads the disk on every call).

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/model_manager.h"
#include "foundry/service/server.h"
#include "service/metrics.h"

namespace foundry::service {

// What the Ollama handlers use. Borrowed by the handlers: everything must outlive the server.
struct OllamaContext {
  runtime::ModelManager* models = nullptr;
  Metrics* metrics = nullptr;  // may be null
  ModelStoreRefs store;
  std::string version;  // /api/version
};

// Registers every Ollama route on `http`. `ctx` is copied.
void RegisterOllamaRoutes(httplib::Server& http, const OllamaContext& ctx);

// Ollama's error reply: {"error": message} with the status from HttpStatusFor.
void SendOllamaError(httplib::Response& res, const Status& status);
// A JSON reply (application/json; invalid UTF-8 replaced).
void SendOllamaJson(httplib::Response& res, const nlohmann::json& j);
// One NDJSON line (with "\n").
std::string NdjsonLine(const nlohmann::json& j);
// The body as a JSON object: kInvalidArgument otherwise. An empty body is an empty object.
Result<nlohmann::json> ParseOllamaBody(const httplib::Request& req);
// The request's model name: "model", or the older "name". kInvalidArgument "model is required".
Result<std::string> RequestModelName(const nlohmann::json& body);

// A model name resolved against the store: `id` is what ModelManager knows it by, `cached` is
// set when the cache holds it. kNotFound: `model "<name>" not found, try pulling it first`.
struct ResolvedModel {
  std::string id;
  std::optional<runtime::CachedModel> cached;
};
Result<ResolvedModel> ResolveModelName(const OllamaContext& ctx, const std::string& name);

// Route handlers (ollama_chat.cc, ollama_models.cc).
void HandleOllamaGenerate(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOllamaChat(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOllamaTags(const OllamaContext& ctx, httplib::Response& res);
void HandleOllamaShow(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOllamaPs(const OllamaContext& ctx, httplib::Response& res);
void HandleOllamaPull(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOllamaDelete(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);
void HandleOllamaCopy(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace foundry::service
