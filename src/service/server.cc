#include "foundry/service/server.h"

#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "foundry/runtime/chat/model_chat_template.h"
#include "service/chat_completion.h"
#include "service/download_route.h"
#include "service/http_util.h"
#include "service/logprobs_json.h"
#include "service/metrics.h"
#include "service/ollama_api.h"
#include "service/ollama_params.h"
#include "service/openai_params.h"
#include "service/response_format.h"
#include "service/tool_request.h"

namespace foundry::service {
namespace {

using nlohmann::json;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomId(const char* prefix) {
  static const char* kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kAlnum[rng() % 62];
  return id;
}

}  // namespace

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

struct Server::Impl {
  ServerOptions options;
  runtime::ModelManager& models;
  ServiceHooks hooks;
  httplib::Server http;
  int port = 0;
  std::thread listener;
  std::thread sweeper;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;  // guarded by mu
  Metrics metrics;
  RequestClock request_clock;

  Impl(const ServerOptions& o, runtime::ModelManager& m, ServiceHooks h)
      : options(o), models(m), hooks(std::move(h)), metrics(&m) {}

  std::string Url() const { return "http://" + options.host + ":" + std::to_string(port); }

  void Routes();
  void Completions(const httplib::Request& req, httplib::Response& res);
  void ChatCompletions(const httplib::Request& req, httplib::Response& res, bool count_only);
  std::vector<ModelListing> Listings();
};

std::vector<ModelListing> Server::Impl::Listings() {
  std::vector<ModelListing> out = hooks.list_models ? hooks.list_models() : std::vector<ModelListing>{};
  for (const auto& info : models.List()) {
    bool known = false;
    for (const auto& l : out) known |= l.id == info.id;
    if (!known) {
      auto tools = runtime::chat::ModelFileRendersTools(info.path);
      out.push_back({.id = info.id, .supports_tool_calling = tools.ok() && *tools});
    }
  }
  return out;
}

void Server::Impl::Routes() {
  // 503 while a model loads (as llama-server's /health), so a probe can wait for readiness.
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (models.Stats().loading > 0) {
      res.status = 503;
      return SendJson(res, {{"status", "loading"},
                            {"error", {{"code", 503}, {"message", "Loading model"}, {"type", "unavailable_error"}}}});
    }
    SendJson(res, {{"status", "ok"}});
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  RegisterOllamaRoutes(http, {.models = &models, .metrics = &metrics, .store = hooks.store, .version = options.version});
  // Per request: the start time (pre-routing) and, once answered, the counters and a log line.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    request_clock.Begin(&req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = request_clock.End(&req);
    const std::string route = RouteLabel(req.method, req.path);
    metrics.RecordRequest(route, res.status, seconds);
    if (options.log)
      options.log(RequestLogLine({.method = req.method, .path = req.path, .route = route, .status = res.status,
                                  .seconds = seconds, .remote_addr = req.remote_addr,
                                  .request_bytes = req.body.size()}));
  });
  http.Get("/openai/status", [this](const httplib::Request&, httplib::Response& res) {
    // camelCase: every Foundry Local SDK reads "modelDirPath".
    SendJson(res, {{"endpoints", {Url()}}, {"modelDirPath", options.model_dir.string()}, {"pipeName", "inference_agent"}});
  });
  http.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, {{"modelCachePath", options.model_dir.string()}, {"endpoints", {Url()}}, {"pid", ::getpid()}});
  });
  http.Get("/foundry/list", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(hooks.foundry_list_json ? hooks.foundry_list_json() : "[]", "application/json");
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    json data = json::array();
    for (const auto& m : Listings())
      data.push_back({{"id", m.id}, {"object", "model"}, {"created", UnixNow()}, {"owned_by", m.owned_by},
                      {"context_length", m.context_length}, {"maxInputTokens", m.context_length},
                      {"toolCalling", m.supports_tool_calling}, {"supports_tool_calling", m.supports_tool_calling}});
    SendJson(res, {{"object", "list"}, {"data", data}});
  });
  http.Get("/openai/models", [this](const httplib::Request&, httplib::Response& res) {
    json ids = json::array();
    for (const auto& m : Listings()) ids.push_back(m.id);
    SendJson(res, ids);
  });
  auto loaded = [this](const httplib::Request&, httplib::Response& res) {
    json ids = json::array();
    for (const auto& m : models.List()) ids.push_back(m.id);
    SendJson(res, ids);
  };
  http.Get("/openai/loadedmodels", loaded);
  http.Get("/models/loaded", loaded);

  auto load = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    long ttl = 0;
    for (const char* key : {"ttl", "timeout"})  // C# SDK 0.x sends timeout=
      if (req.has_param(key)) ttl = std::strtol(req.get_param_value(key).c_str(), nullptr, 10);
    auto m = models.Acquire(id, std::chrono::seconds(ttl > 0 ? ttl : 0));
    if (!m.ok()) {
      Status st = m.status();
      // The Foundry SDKs map this text to "model not downloaded".
      if (st.code() == StatusCode::kNotFound)
        st = Status::NotFound("No OpenAIService provider found for modelName " + id + ": " + st.message());
      return SendError(res, st);
    }
    if (req.path.starts_with("/models/")) SendJson(res, {{"status", "loaded"}});
  };
  http.Get(R"(/openai/load/(.+))", load);
  http.Get(R"(/models/load/(.+))", load);
  auto unload = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    const bool force = req.get_param_value("force") == "true";
    // Foundry Local (Gen-1): without force a model keeps its TTL and stays loaded until the TTL
    // runs out; force ignores the TTL (the SDKs' own integration test checks both). Gen-2's
    // /models/unload always unloads.
    if (!force && req.path.starts_with("/openai/")) {
      if (!models.IsLoaded(id)) return SendError(res, Status::NotFound("model " + id + " is not loaded"));
      return;
    }
    Status st = models.Unload(id, force);
    if (!st.ok()) return SendError(res, st);
    if (req.path.starts_with("/models/")) SendJson(res, {{"status", "unloaded"}});
  };
  http.Get(R"(/openai/unload/(.+))", unload);
  http.Get(R"(/models/unload/(.+))", unload);
  http.Get("/openai/unloadall", [this](const httplib::Request&, httplib::Response&) { models.UnloadAll(); });

  http.Post("/openai/download", [this](const httplib::Request& req, httplib::Response& res) {
    HandleDownload(req, res, hooks);
  });
  http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Completions(req, res);
  });
  http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    ChatCompletions(req, res, false);
  });
  http.Post("/v1/chat/completions/tokenizer/encode/count",
            [this](const httplib::Request& req, httplib::Response& res) { ChatCompletions(req, res, true); });
}

namespace {

// How one endpoint shapes its responses: a streamed piece, the closing events, the whole reply.
struct Shape {
  // Events for one streamed piece (none while a parser holds text back); `tokens`: the
  // log-probabilities of the piece's tokens (empty unless asked for).
  std::function<std::vector<json>(const std::string& piece,
                                  std::span<const engine::SampledToken> tokens)>
      chunk;
  std::function<std::vector<json>(const runtime::GenerateResult& r, bool include_usage)> closing;
  std::function<json(const runtime::GenerateResult& r)> whole;
  std::optional<json> opening;  // first streamed event (chat: the assistant role)
};

json Usage(const runtime::GenerateResult& r) {
  return json{{"prompt_tokens", r.prompt_tokens.size()},
              {"completion_tokens", r.tokens.size()},
              {"total_tokens", r.prompt_tokens.size() + r.tokens.size()}};
}

// Runs the generation for a request, streamed (SSE) or not. `opts.gen.encode` says how to
// tokenize `prompt`.
void Serve(httplib::Response& res, std::shared_ptr<runtime::LoadedModel> model, std::string prompt,
           const RequestOptions& opts, Shape shape, Metrics* metrics,
           std::chrono::steady_clock::time_point start) {
  if (!opts.stream) {
    GenerationTimer timer(metrics, start);
    auto r = runtime::Generate(*model->scheduler, prompt, opts.gen, timer.Wrap({}));
    if (!r.ok()) return SendError(res, r.status());
    timer.Finish(*r);
    return SendJson(res, shape.whole(*r));
  }
  // Queued before the 200 goes out, so an over-long prompt is still a 400 and a full queue a 503.
  auto submitted = model->scheduler->Submit(prompt, opts.gen);
  if (!submitted.ok()) return SendError(res, submitted.status());
  std::shared_ptr<runtime::Request> request = *submitted;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [model, request, opts, shape, metrics, start](size_t, httplib::DataSink& sink) {
        GenerationTimer timer(metrics, start);
        bool connected = true;
        if (shape.opening) {
          std::string ev = SseEvent(*shape.opening);
          connected = sink.write(ev.data(), ev.size());
        }
        if (!connected) return false;  // the release hook cancels the request
        // A failed write (the client went away) cancels the request: its sequence is freed now.
        auto r = request->Stream(timer.WrapPieces(
            [&](std::string_view piece, std::span<const engine::SampledToken> tokens) {
              std::string ev;
              for (const json& j : shape.chunk(std::string(piece), tokens)) ev += SseEvent(j);
              return connected = ev.empty() || sink.write(ev.data(), ev.size());
            }));
        if (!connected) return false;
        if (r.ok()) timer.Finish(*r);
        std::string tail;
        if (!r.ok()) {
          tail = SseEvent({{"error", {{"message", r.status().message()}, {"type", ErrorType(r.status())}}}});
        } else {
          for (const json& ev : shape.closing(*r, opts.include_usage)) tail += SseEvent(ev);
        }
        tail += "data: [DONE]\n\n";
        sink.write(tail.data(), tail.size());
        sink.done();
        return true;
      },
      [request](bool) { request->Cancel(); });  // also when the provider never ran
}

}  // namespace

void Server::Impl::Completions(const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto body = ParseBody(req);
  if (!body.ok()) return SendError(res, body.status());
  const json& b = *body;
  if (!b.contains("model") || !b["model"].is_string())
    return SendError(res, Status::InvalidArgument("'model' is required"), "model");
  if (!b.contains("prompt") || !b["prompt"].is_string())
    return SendError(res, Status::InvalidArgument("'prompt' must be a string"), "prompt");
  auto opts = ParseRequestOptions(b);
  if (!opts.ok()) return SendError(res, opts.status());
  const char* bad_param = nullptr;
  auto logprobs = ParseCompletionLogprobs(b, &bad_param);
  if (!logprobs.ok()) return SendError(res, logprobs.status(), bad_param);
  opts->gen.top_logprobs = *logprobs;
  const std::string model_id = b["model"];
  auto lm = models.Acquire(model_id);
  if (!lm.ok()) return SendError(res, lm.status(), "model");

  // Log-probabilities (when asked for) in the legacy completions shape; text offsets run on
  // across the chunks of a stream.
  std::shared_ptr<const engine::Model> model = (*lm)->model;
  auto offset = std::make_shared<size_t>(0);
  auto with_logprobs = [model, offset, want = *logprobs >= 0](json out, std::span<const engine::SampledToken> tokens) {
    if (want) out["choices"][0]["logprobs"] = CompletionLogprobs(model->tokenizer(), tokens, offset.get());
    return out;
  };
  const std::string id = RandomId("cmpl-");
  const int64_t created = UnixNow();
  // Captures by value: the streaming provider runs after this function has returned.
  auto chunk = [id, created, model_id](const std::string& text, const json& finish) {
    return json{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model_id},
                {"choices", {{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}}}}};
  };
  Shape shape;
  shape.chunk = [chunk, with_logprobs](const std::string& piece, std::span<const engine::SampledToken> tokens) {
    return std::vector<json>{with_logprobs(chunk(piece, nullptr), tokens)};
  };
  shape.closing = [chunk](const runtime::GenerateResult& r, bool include_usage) {
    std::vector<json> out = {chunk("", runtime::FinishReasonName(r.finish))};
    if (include_usage) {
      json u = chunk("", nullptr);
      u["choices"] = json::array();
      u["usage"] = Usage(r);
      out.push_back(u);
    }
    return out;
  };
  shape.whole = [chunk, with_logprobs](const runtime::GenerateResult& r) {
    json out = with_logprobs(chunk(r.text, runtime::FinishReasonName(r.finish)), r.logprobs);
    out["usage"] = Usage(r);
    return out;
  };
  Serve(res, *lm, b["prompt"], *opts, shape, &metrics, start);
}

void Server::Impl::ChatCompletions(const httplib::Request& req, httplib::Response& res, bool count_only) {
  const auto start = std::chrono::steady_clock::now();
  auto body = ParseBody(req);
  if (!body.ok()) return SendError(res, body.status());
  const json& b = *body;
  if (!b.contains("model") || !b["model"].is_string())
    return SendError(res, Status::InvalidArgument("'model' is required"), "model");
  if (!b.contains("messages") || !b["messages"].is_array() || b["messages"].empty())
    return SendError(res, Status::InvalidArgument("'messages' must be a non-empty array"), "messages");
  auto opts = ParseRequestOptions(b);
  if (!opts.ok()) return SendError(res, opts.status());
  std::string param;
  // The body again with its key order kept: tool and response schemas keep their property
  // order (it is the order the constrained output writes them in).
  const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(req.body, nullptr, false);
  auto tools = ParseToolRequest(ordered, &param);
  if (!tools.ok()) return SendError(res, tools.status(), param.c_str());
  auto response_grammar = ParseResponseFormat(ordered, &param);
  if (!response_grammar.ok()) return SendError(res, response_grammar.status(), param.c_str());
  const char* bad_param = nullptr;
  auto logprobs = ParseChatLogprobs(b, &bad_param);
  if (!logprobs.ok()) return SendError(res, logprobs.status(), bad_param);
  opts->gen.top_logprobs = *logprobs;
  const std::string model_id = b["model"];
  auto lm = models.Acquire(model_id);
  if (!lm.ok()) return SendError(res, lm.status(), "model");
  auto chat = PrepareChat(*(*lm)->model, model_id, b, *tools, &param);
  if (!chat.ok()) return SendError(res, chat.status(), param.c_str());
  const std::string& prompt = chat->prompt;
  // Templates write BOS themselves when the model wants one; never add a second.
  const auto& tok = (*lm)->model->tokenizer();
  const bool has_bos = tok.bos_id() >= 0 && prompt.starts_with(tok.TokenText(tok.bos_id()));
  opts->gen.encode = {.add_special = tok.add_bos() && !has_bos, .parse_special = true};
  if (count_only)
    return SendJson(res, {{"tokenCount", tok.Encode(prompt, opts->gen.encode).size()}});
  opts->gen.keep_special = chat->keep_special;
  // tool_choice required / a named function wins over response_format; under auto the
  // response_format grammar shapes the reply, which then holds no call (docs/tool-calling.md).
  if (Status st = ApplyToolChoiceConstraint(*tools, chat->format, &opts->gen, &param); !st.ok())
    return SendError(res, st, param.c_str());
  if (!opts->gen.grammar) opts->gen.grammar = *response_grammar;
  if (opts->gen.grammar) {
    auto vocab = (*lm)->GrammarVocabulary(opts->gen.keep_special);
    if (!vocab.ok()) return SendError(res, vocab.status());
    opts->gen.grammar_vocabulary = *vocab;
  }

  auto shaper = std::make_shared<ChatCompletionShaper>(ChatShapeOptions{
      .id = RandomId("chatcmpl-"), .created = UnixNow(), .model = model_id, .format = chat->format,
      .parallel_tool_calls = tools->parallel, .make_id = RandomCallIds(chat->format)});
  Shape shape;
  // choices[].logprobs: {"content": [...], "refusal": null} when asked for, else null. Streamed,
  // the tokens of text a tool-call parser holds back wait for the next content chunk; tokens
  // that turn out to be tool-call markup are not reported (OpenAI reports content tokens only).
  std::shared_ptr<const engine::Model> model = (*lm)->model;
  const bool want_logprobs = *logprobs >= 0;
  auto logprobs_json = [model, want_logprobs](std::span<const engine::SampledToken> tokens) {
    return want_logprobs ? json{{"content", ChatLogprobsContent(model->tokenizer(), tokens)}, {"refusal", nullptr}}
                         : json(nullptr);
  };
  auto pending = std::make_shared<std::vector<engine::SampledToken>>();
  shape.opening = shaper->Opening();
  shape.chunk = [shaper, logprobs_json, pending, want_logprobs](
                    const std::string& piece, std::span<const engine::SampledToken> tokens) {
    std::vector<json> out = shaper->Chunks(piece);
    if (!want_logprobs) return out;
    pending->insert(pending->end(), tokens.begin(), tokens.end());
    for (json& j : out) {
      const json& delta = j["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) {
        j["choices"][0]["logprobs"] = logprobs_json(*pending);
        pending->clear();
        break;
      }
    }
    return out;
  };
  shape.closing = [shaper](const runtime::GenerateResult& r, bool include_usage) {
    return shaper->Closing(r.finish, include_usage ? Usage(r) : json(nullptr));
  };
  shape.whole = [shaper, logprobs_json](const runtime::GenerateResult& r) {
    json out = shaper->Whole(r.text, r.finish, Usage(r));
    out["choices"][0]["logprobs"] = logprobs_json(r.logprobs);
    return out;
  };
  Serve(res, *lm, prompt, *opts, shape, &metrics, start);
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, runtime::ModelManager& models,
                                              ServiceHooks hooks) {
  auto impl = std::make_unique<Impl>(options, models, std::move(hooks));
  const size_t threads = options.http_threads;
  impl->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl->http.set_keep_alive_max_count(100);
  // Streams are many small writes: send each at once instead of waiting for the previous ACK
  // (Nagle + delayed ACK add up to 40 ms per piece).
  impl->http.set_tcp_nodelay(true);
  impl->Routes();
  if (options.port == 0) {
    impl->port = impl->http.bind_to_any_port(options.host);
    if (impl->port <= 0) return Status::Unavailable("cannot listen on " + options.host);
  } else {
    if (!impl->http.bind_to_port(options.host, options.port))
      return Status::Unavailable("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                                 " (is another service using the port?)");
    impl->port = options.port;
  }
  Impl* p = impl.get();
  p->listener = std::thread([p] { p->http.listen_after_bind(); });
  p->sweeper = std::thread([p] {
    std::unique_lock<std::mutex> lock(p->mu);
    while (!p->stopping) {
      p->cv.wait_for(lock, p->options.sweep_interval);
      if (!p->stopping) p->models.Sweep();
    }
  });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }
std::string Server::url() const { return impl_->Url(); }

void Server::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping && !impl_->listener.joinable()) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopping; });
}

}  // namespace foundry::service
