#pragma once
// Server: the local HTTP service — OpenAI-compatible inference plus Foundry Local's management
// API — on top of the runtime's ModelManager.
//
// Routes (see docs/api-compatibility.md): GET /health, /openai/status, /status, /v1/models,
// /openai/models, /openai/loadedmodels, /models/loaded, /openai/load/{id}, /models/load/{id},
// /openai/unload/{id}, /models/unload/{id}, /openai/unloadall, /foundry/list; POST
// /openai/download (Foundry's progress stream), /v1/completions, /v1/chat/completions (with tool
// calling, docs/tool-calling.md), /v1/chat/completions/tokenizer/encode/count; Ollama's API
// (GET|HEAD /, /api/generate, /api/chat, /api/tags, /api/show, /api/ps, /api/pull, /api/delete,
// /api/copy, /api/version, /api/embed; docs/ollama-api.md); GET /metrics (Prometheus text,
// docs/observability.md). Every request also writes one JSON log line (ServerOptions::log).
// Errors use OpenAI's shape {"error": {"message", "type", "param", "code"}} with the status code
// from one table (HttpStatusFor).
//
// Thread-safety: requests are served on a pool of HTTP threads; everything they touch is
// thread-safe (ModelManager) or per-request. Start() returns once the socket listens.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/catalog.h"
#include "foundry/runtime/downloader.h"
#include "foundry/runtime/model_cache.h"
#include "foundry/runtime/model_manager.h"

namespace foundry::service {

// A model the service can serve (cached or bring-your-own), for /v1/models and /openai/models.
struct ModelListing {
  std::string id;
  std::string alias;          // may be empty
  uint32_t context_length = 0;
  bool supports_tool_calling = false;
  std::string owned_by = "foundry";
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                          // 0: any free port
  size_t http_threads = 8;
  std::filesystem::path model_dir;       // reported by /openai/status (modelDirPath)
  std::chrono::seconds sweep_interval{5};  // how often idle models past their TTL are unloaded
  std::string version = "0.1.0";         // reported by /api/version
  // Receives one structured (JSON) log line per request, without a newline; unset: none.
  std::function<void(const std::string& line)> log;
};

// The model store behind Ollama's model routes: /api/tags and /api/show list and describe the
// cache, /api/pull downloads from the catalog, /api/delete and /api/copy change the cache, and
// model names in requests are looked up in it. Borrowed: each must outlive the server. A null
// cache leaves names as given and /api/tags empty; null catalog or downloader make /api/pull
// answer 501.
struct ModelStoreRefs {
  const runtime::Catalog* catalog = nullptr;
  const runtime::ModelCache* cache = nullptr;
  const runtime::Downloader* downloader = nullptr;
  runtime::HardwareInfo hw;
};

// One download the service can run for POST /openai/download (see PrepareDownload below).
struct DownloadJob {
  std::string model_id;   // the catalog model ID the request resolved to
  std::string file_name;  // its file, for the progress lines
  // Downloads the model (at once if it is cached already), reporting progress (return false from the callback to cancel:
  // kCancelled). Errors as runtime::Downloader::Download. Runs on the request's thread.
  std::function<Status(const runtime::DownloadProgressCallback& progress)> run;
};

struct ServiceHooks {
  // Models that can be served (cached and BYO); loaded ones are added automatically.
  std::function<std::vector<ModelListing>()> list_models;
  // Catalog as served by /foundry/list (a JSON array in text form); empty -> "[]".
  std::function<std::string()> foundry_list_json;
  // Resolves the `model.Name` of a download request (a model ID, an ID without version or an
  // alias) to a job. kNotFound: the catalog does not know it. Unset: /openai/download answers
  // 501.
  std::function<Result<DownloadJob>(const std::string& name)> prepare_download;
  ModelStoreRefs store;
};

int HttpStatusFor(const Status& status);

class Server {
 public:
  // kUnavailable if the address cannot be bound. `models` must outlive the server.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                               runtime::ModelManager& models, ServiceHooks hooks);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  // Stops listening and waits for in-flight requests to finish. Idempotent.
  void Stop();
  // Blocks until Stop() is called from another thread (or a signal handler path).
  void Wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace foundry::service
