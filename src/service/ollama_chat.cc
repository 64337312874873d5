// POST /api/generate and POST /api/chat: Ollama's generation endpoints (docs/ollama-api.md).

#include <memory>

#include "service/chat_completion.h"
#include "service/ollama_api.h"
#include "service/ollama_chat_shaper.h"
#include "service/ollama_params.h"
#include "service/tool_request.h"

namespace foundry::service {
namespace {

using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;

std::string Now() { return Rfc3339(std::chrono::system_clock::now()); }

// What /api/generate and /api/chat share once the body is parsed.
struct Common {
  std::string name;  // as the client wrote it (echoed in "model")
  ResolvedModel model;
  runtime::GenerateOptions gen;
  bool stream = true;
  KeepAlive keep_alive;
  OutputFormat format;
};

Result<Common> ParseCommon(const OllamaContext& ctx, const json& body) {
  Common c;
  FOUNDRY_ASSIGN_OR_RETURN(c.name, RequestModelName(body));
  FOUNDRY_ASSIGN_OR_RETURN(c.gen, ParseOllamaOptions(body));
  FOUNDRY_ASSIGN_OR_RETURN(c.stream, ParseStream(body));
  FOUNDRY_ASSIGN_OR_RETURN(c.keep_alive, ParseKeepAlive(body.value("keep_alive", json())));
  FOUNDRY_ASSIGN_OR_RETURN(c.format, ParseFormat(body));
  FOUNDRY_ASSIGN_OR_RETURN(c.model, ResolveModelName(ctx, c.name));
  FOUNDRY_RETURN_IF_ERROR(CheckThink(body, c.name));
  return c;
}

// A missing model's NotFound in Ollama's words; other errors unchanged.
Status OllamaLoadError(const Status& st, const std::string& name) {
  if (st.code() == StatusCode::kNotFound)
    return Status::NotFound("model \"" + name + "\" not found, try pulling it first");
  return st;
}

// An empty request: load the model (keep_alive renews its TTL), or unload it for keep_alive 0.
// `chat` adds the empty assistant message /api/chat replies carry.
void LoadOrUnload(const OllamaContext& ctx, const Common& c, bool chat, httplib::Response& res) {
  json out = {{"model", c.name}, {"created_at", Now()}};
  if (chat) out["message"] = {{"role", "assistant"}, {"content", ""}};
  else out["response"] = "";
  out["done"] = true;
  if (c.keep_alive.kind == KeepAlive::Kind::kUnload) {
    Status st = ctx.models->Unload(c.model.id, /*force=*/true);
    if (!st.ok() && st.code() != StatusCode::kNotFound) return SendOllamaError(res, st);
    out["done_reason"] = "unload";
  } else {
    auto lm = ctx.models->Acquire(c.model.id, c.keep_alive.AcquireTtl());
    if (!lm.ok()) return SendOllamaError(res, OllamaLoadError(lm.status(), c.name));
    out["done_reason"] = "load";
  }
  SendOllamaJson(res, out);
}

// Ollama's timing fields (nanoseconds) for a finished generation.
json Timings(const runtime::GenerateResult& r, SteadyTime start, std::chrono::steady_clock::duration load) {
  return {{"total_duration", Nanos(std::chrono::steady_clock::now() - start)},
          {"load_duration", Nanos(load)},
          {"prompt_eval_count", r.prompt_tokens.size()},
          {"prompt_eval_duration", int64_t(r.prompt_ms * 1e6)},
          {"eval_count", r.tokens.size()},
          {"eval_duration", int64_t(r.generate_ms * 1e6)}};
}

// How one endpoint shapes its output: the lines for a streamed piece, the last streamed line,
// the whole reply. Each gets the response's "model"/"created_at" head already filled in.
struct Shape {
  std::function<std::vector<json>(std::string_view piece)> chunk;
  std::function<json(const runtime::GenerateResult& r)> last;   // streamed closing line (minus timings)
  std::function<json(const runtime::GenerateResult& r)> whole;  // non-streamed reply (minus timings)
};

struct Job {
  OllamaContext ctx;
  std::shared_ptr<runtime::LoadedModel> model;
  std::string name, prompt;
  runtime::GenerateOptions gen;
  KeepAlive keep_alive;
  SteadyTime start;
  std::chrono::steady_clock::duration load{};
};

// Runs the generation, streamed (NDJSON) or not, then applies keep_alive 0.
void Serve(Job job, Shape shape, bool stream, httplib::Response& res) {
  // A grammar (format) uses the model's cached token trie, with the tool-call markers as text.
  if (job.gen.grammar && !job.gen.grammar_vocabulary) {
    auto vocab = job.model->GrammarVocabulary(job.gen.keep_special);
    if (!vocab.ok()) return SendOllamaError(res, vocab.status());
    job.gen.grammar_vocabulary = *vocab;
  }
  auto head = [name = job.name] { return json{{"model", name}, {"created_at", Now()}}; };
  auto merge = [](json a, const json& b) {
    for (const auto& [k, v] : b.items()) a[k] = v;
    return a;
  };
  auto after = [job] {
    if (job.keep_alive.kind == KeepAlive::Kind::kUnload) (void)job.ctx.models->Unload(job.model->id, true);
  };
  if (!stream) {
    GenerationTimer timer(job.ctx.metrics, job.start);
    auto r = runtime::Generate(*job.model->scheduler, job.prompt, job.gen, timer.Wrap({}));
    after();
    if (!r.ok()) return SendOllamaError(res, r.status());
    timer.Finish(*r);
    return SendOllamaJson(res, merge(merge(head(), shape.whole(*r)), Timings(*r, job.start, job.load)));
  }
  // Queued before the 200 of the stream goes out: an over-long prompt is a 400, a full queue a 503.
  auto submitted = job.model->scheduler->Submit(job.prompt, job.gen);
  if (!submitted.ok()) {
    after();
    return SendOllamaError(res, submitted.status());
  }
  std::shared_ptr<runtime::Request> request = *submitted;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [job, request, shape, head, merge, after](size_t, httplib::DataSink& sink) {
        GenerationTimer timer(job.ctx.metrics, job.start);
        bool connected = true;
        const runtime::TextCallback on_text = timer.Wrap([&](std::string_view piece) {
          std::string lines;
          for (const json& j : shape.chunk(piece)) lines += NdjsonLine(merge(head(), j));
          return connected = lines.empty() || sink.write(lines.data(), lines.size());
        });
        // A client that went away (a failed write) cancels the request: its sequence is freed now.
        auto r = request->Stream(
            [&](std::string_view piece, std::span<const engine::SampledToken>) { return on_text(piece); });
        after();
        if (!connected) return false;
        std::string tail;
        if (!r.ok()) {
          tail = NdjsonLine({{"error", r.status().message()}});
        } else {
          timer.Finish(*r);
          tail = NdjsonLine(merge(merge(head(), shape.last(*r)), Timings(*r, job.start, job.load)));
        }
        sink.write(tail.data(), tail.size());
        sink.done();
        return true;
      },
      [request](bool) { request->Cancel(); });
}

// The tokenization of a rendered prompt: templates write BOS themselves when the model wants
// one; never add a second.
engine::EncodeOptions PromptEncoding(const engine::Model& model, const std::string& prompt) {
  const auto& tok = model.tokenizer();
  const bool has_bos = tok.bos_id() >= 0 && prompt.starts_with(tok.TokenText(tok.bos_id()));
  return {.add_special = tok.add_bos() && !has_bos, .parse_special = true};
}

// Acquires the model for a generation, timing the load.
Result<std::shared_ptr<runtime::LoadedModel>> AcquireFor(const OllamaContext& ctx, const Common& c, Job* job) {
  const auto t0 = std::chrono::steady_clock::now();
  auto lm = ctx.models->Acquire(c.model.id, c.keep_alive.AcquireTtl());
  if (!lm.ok()) return OllamaLoadError(lm.status(), c.name);
  job->load = std::chrono::steady_clock::now() - t0;
  return lm;
}

}  // namespace

void HandleOllamaGenerate(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Job job{.ctx = ctx, .start = std::chrono::steady_clock::now()};
  auto body_or = ParseOllamaBody(req);
  if (!body_or.ok()) return SendOllamaError(res, body_or.status());
  const json& b = *body_or;
  auto c = ParseCommon(ctx, b);
  if (!c.ok()) return SendOllamaError(res, c.status());
  for (const char* key : {"prompt", "system", "suffix", "template"})
    if (b.contains(key) && !b[key].is_null() && !b[key].is_string())
      return SendOllamaError(res, Status::InvalidArgument(std::string("'") + key + "' must be a string"));
  if (auto im = b.find("images"); im != b.end() && !im->is_null() && !(im->is_array() && im->empty()))
    return SendOllamaError(res, Status::InvalidArgument("\"" + c->name + "\" does not support images"));
  if (!b.value("suffix", json("")).get<std::string>().empty())
    return SendOllamaError(res, Status::InvalidArgument("\"" + c->name + "\" does not support insert ('suffix')"));
  if (!b.value("template", json("")).get<std::string>().empty())
    return SendOllamaError(res, Status::InvalidArgument(
                                    "custom 'template' (Go templates) is not supported; send 'raw': true "
                                    "with a prompt already in the model's format"));
  if (auto cx = b.find("context"); cx != b.end() && !cx->is_null() && !(cx->is_array() && cx->empty()))
    return SendOllamaError(res, Status::InvalidArgument("'context' is not supported; use /api/chat for conversations"));
  const std::string prompt = b.value("prompt", json("")).get<std::string>();
  if (prompt.empty()) return LoadOrUnload(ctx, *c, /*chat=*/false, res);
  if (Status st = ApplyFormatConstraint(c->format, &c->gen); !st.ok()) return SendOllamaError(res, st);

  auto lm = AcquireFor(ctx, *c, &job);
  if (!lm.ok()) return SendOllamaError(res, lm.status());
  const engine::Model& model = *(*lm)->model;
  job.gen = c->gen;
  if (b.value("raw", false)) {
    job.prompt = prompt;
    job.gen.encode = {.add_special = model.tokenizer().add_bos(), .parse_special = true};
  } else {
    json messages = json::array();
    if (const std::string sys = b.value("system", json("")).get<std::string>(); !sys.empty())
      messages.push_back({{"role", "system"}, {"content", sys}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    std::string param;
    auto chat = PrepareChat(model, c->model.id, json{{"messages", messages}}, ToolRequest{}, &param);
    if (!chat.ok()) return SendOllamaError(res, chat.status());
    job.prompt = chat->prompt;
    job.gen.encode = PromptEncoding(model, job.prompt);
  }
  job.model = *lm;
  job.name = c->name;
  job.keep_alive = c->keep_alive;

  Shape shape;
  shape.chunk = [](std::string_view piece) {
    return std::vector<json>{{{"response", std::string(piece)}, {"done", false}}};
  };
  auto context = [](const runtime::GenerateResult& r) {
    json ids = json::array();
    for (auto t : r.prompt_tokens) ids.push_back(t);
    for (auto t : r.tokens) ids.push_back(t);
    return ids;
  };
  shape.last = [context](const runtime::GenerateResult& r) {
    return json{{"response", ""}, {"done", true}, {"done_reason", OllamaDoneReason(r.finish)}, {"context", context(r)}};
  };
  shape.whole = [context](const runtime::GenerateResult& r) {
    return json{{"response", r.text}, {"done", true}, {"done_reason", OllamaDoneReason(r.finish)}, {"context", context(r)}};
  };
  Serve(std::move(job), std::move(shape), c->stream, res);
}

void HandleOllamaChat(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Job job{.ctx = ctx, .start = std::chrono::steady_clock::now()};
  auto body_or = ParseOllamaBody(req);
  if (!body_or.ok()) return SendOllamaError(res, body_or.status());
  const json& b = *body_or;
  auto c = ParseCommon(ctx, b);
  if (!c.ok()) return SendOllamaError(res, c.status());
  json messages = b.value("messages", json::array());
  if (messages.is_null()) messages = json::array();
  auto converted = OllamaMessagesToOpenAi(messages);
  if (!converted.ok()) return SendOllamaError(res, converted.status());
  if (converted->empty()) return LoadOrUnload(ctx, *c, /*chat=*/true, res);
  if (Status st = ApplyFormatConstraint(c->format, &c->gen); !st.ok()) return SendOllamaError(res, st);
  json openai = {{"messages", *converted}};
  if (b.contains("tools") && !b["tools"].is_null()) openai["tools"] = b["tools"];
  std::string param;
  auto tools = ParseToolRequest(openai, &param);
  if (!tools.ok()) return SendOllamaError(res, tools.status());

  auto lm = AcquireFor(ctx, *c, &job);
  if (!lm.ok()) return SendOllamaError(res, lm.status());
  const engine::Model& model = *(*lm)->model;
  auto chat = PrepareChat(model, c->model.id, openai, *tools, &param);
  if (!chat.ok()) {
    // Ollama's wording for a model without tool support.
    if (param == "tools")
      return SendOllamaError(res, Status::InvalidArgument("\"" + c->name + "\" does not support tools"));
    return SendOllamaError(res, chat.status());
  }
  job.model = *lm;
  job.name = c->name;
  job.keep_alive = c->keep_alive;
  job.prompt = chat->prompt;
  job.gen = c->gen;
  job.gen.encode = PromptEncoding(model, job.prompt);
  job.gen.keep_special = chat->keep_special;
  if (Status st = ApplyToolChoiceConstraint(*tools, chat->format, &job.gen, &param); !st.ok())
    return SendOllamaError(res, st);

  auto shaper = std::make_shared<OllamaChatShaper>(
      runtime::chat::ToolCallParserOptions{.format = chat->format, .make_id = RandomCallIds(chat->format)});
  Shape shape;
  shape.chunk = [shaper](std::string_view piece) { return shaper->Chunks(piece); };
  shape.last = [shaper](const runtime::GenerateResult& r) { return shaper->Last(r.finish); };
  shape.whole = [shaper](const runtime::GenerateResult& r) { return shaper->Whole(r.text, r.finish); };
  Serve(std::move(job), std::move(shape), c->stream, res);
}

}  // namespace foundry::service
