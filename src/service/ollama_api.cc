#include "service/ollama_api.h"

#include "service/http_util.h"
#include "service/ollama_params.h"

namespace foundry::service {

using nlohmann::json;

void SendOllamaError(httplib::Response& res, const Status& status) {
  SetErrorStatus(res, status);
  res.set_content(json{{"error", status.message()}}.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

void SendOllamaJson(httplib::Response& res, const json& j) {
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

std::string NdjsonLine(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

Result<json> ParseOllamaBody(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("invalid JSON in the request body");
  if (!body.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return body;
}

Result<std::string> RequestModelName(const json& body) {
  for (const char* key : {"model", "name"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) return Status::InvalidArgument(std::string("'") + key + "' must be a string");
    if (!it->get<std::string>().empty()) return it->get<std::string>();
  }
  return Status::InvalidArgument("model is required");
}

Result<ResolvedModel> ResolveModelName(const OllamaContext& ctx, const std::string& name) {
  const auto candidates = NameCandidates(name);
  if (ctx.store.cache) {
    for (const std::string& c : candidates) {
      auto m = ctx.store.cache->Find(c, ctx.store.hw);
      if (m.ok()) return ResolvedModel{m->id, *m};
      if (m.status().code() != StatusCode::kNotFound) return m.status();
    }
  }
  for (const std::string& c : candidates)
    if (ctx.models->IsLoaded(c)) return ResolvedModel{c, std::nullopt};
  // Without a cache the ModelManager's resolver is the only judge.
  if (!ctx.store.cache) return ResolvedModel{name, std::nullopt};
  return Status::NotFound("model \"" + name + "\" not found, try pulling it first");
}

namespace {

// /api/embed and /api/embeddings: validated like Ollama, then refused: no model here computes
// embeddings (the engine has no pooling / embedding output yet).
void HandleEmbed(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseOllamaBody(req);
  if (!body.ok()) return SendOllamaError(res, body.status());
  auto name = RequestModelName(*body);
  if (!name.ok()) return SendOllamaError(res, name.status());
  auto model = ResolveModelName(ctx, *name);
  if (!model.ok()) return SendOllamaError(res, model.status());
  SendOllamaError(res, Status::Unimplemented("\"" + *name +
                                             "\" does not support embeddings: foundry has no embedding "
                                             "models yet (the models it runs generate text)"));
}

template <class F>
void Guarded(httplib::Response& res, F&& body) noexcept {
  try {
    body();
  } catch (const std::bad_alloc&) {
    SendOllamaError(res, Status::ResourceExhausted("out of memory"));
  } catch (const std::exception& e) {
    SendOllamaError(res, Status::Internal(e.what()));
  } catch (...) {
    SendOllamaError(res, Status::Internal("unknown exception"));
  }
}

}  // namespace

void RegisterOllamaRoutes(httplib::Server& http, const OllamaContext& context) {
  const OllamaContext ctx = context;
  // Ollama answers GET / (and HEAD /, which httplib routes to the GET handler) with this text;
  // clients use it as a liveness probe.
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Ollama is running", "text/plain; charset=utf-8");
  });
  http.Get("/api/version", [ctx](const httplib::Request&, httplib::Response& res) {
    SendOllamaJson(res, {{"version", ctx.version}});
  });
  using Handler = void (*)(const OllamaContext&, const httplib::Request&, httplib::Response&);
  auto post = [&http, ctx](const char* path, Handler h) {
    http.Post(path, [ctx, h](const httplib::Request& req, httplib::Response& res) {
      Guarded(res, [&] { h(ctx, req, res); });
    });
  };
  post("/api/generate", HandleOllamaGenerate);
  post("/api/chat", HandleOllamaChat);
  post("/api/show", HandleOllamaShow);
  post("/api/pull", HandleOllamaPull);
  post("/api/copy", HandleOllamaCopy);
  post("/api/embed", HandleEmbed);
  post("/api/embeddings", HandleEmbed);
  http.Delete("/api/delete", [ctx](const httplib::Request& req, httplib::Response& res) {
    Guarded(res, [&] { HandleOllamaDelete(ctx, req, res); });
  });
  http.Get("/api/tags", [ctx](const httplib::Request&, httplib::Response& res) {
    Guarded(res, [&] { HandleOllamaTags(ctx, res); });
  });
  http.Get("/api/ps", [ctx](const httplib::Request&, httplib::Response& res) {
    Guarded(res, [&] { HandleOllamaPs(ctx, res); });
  });
  for (const char* path : {"/api/push", "/api/create"}) {
    http.Post(path, [path](const httplib::Request&, httplib::Response& res) {
      SendOllamaError(res, Status::Unimplemented(std::string(path) +
                                                 " is not supported: foundry serves GGUF models from its "
                                                 "catalog and cache (use /api/pull or place a .gguf in the cache)"));
    });
  }
}

}  // namespace foundry::service
