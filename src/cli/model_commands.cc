#include "cli/model_commands.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/chat_repl.h"
#include "cli/model_service_commands.h"
#include "cli/cli_common.h"
#include "cli/service_client.h"
#include "cli/store.h"
#include "cli/store_commands.h"
#include "foundry/core/mapped_file.h"
#include "foundry/runtime/generator.h"
#include "foundry/runtime/grammar/json_schema.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

struct RunFlags {
  std::string model;
  std::string prompt;
  int max_tokens = 256;
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int64_t seed = -1;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool json = false;
  bool verbose = false;
  int ttl = 0;
  bool has_prompt = false;  // --prompt given (even empty): one-shot in-process generation
  std::string grammar_file;      // --grammar: GBNF text
  std::string json_schema_file;  // --json-schema: a JSON Schema
  bool json_object = false;      // --json-object: any JSON object
  EngineFlags engine;
};

// A model argument that names a file rather than a catalog/cache entry.
bool IsFileArgument(const std::string& name) {
  std::error_code ec;
  return std::filesystem::is_regular_file(name, ec) || name.ends_with(".gguf") || name.find('/') != std::string::npos;
}

struct EvalFlags {
  std::string model;
  std::string prompt;
  int top = 10;
  EngineFlags engine;
};

struct InfoFlags {
  std::string model;
  bool json = false;
};

void AddEngineFlags(CLI::App* cmd, EngineFlags* f) {
  cmd->add_option("-t,--threads", f->threads, "Threads for inference (default: all cores)");
  cmd->add_option("--kernels", f->kernels, "Kernel set: auto, scalar, avx2, avx512")
      ->default_val("auto");
  cmd->add_option("-c,--ctx-size", f->ctx_size, "Context size in tokens (default: model's, at most 4096)");
}

Result<std::string> ReadText(const std::string& path) {
  FOUNDRY_ASSIGN_OR_RETURN(MappedFile m, MappedFile::Open(path));
  return std::string(reinterpret_cast<const char*>(m.bytes().data()), m.bytes().size());
}

// The grammar asked for by --grammar / --json-schema / --json-object (null when none).
Result<std::shared_ptr<const runtime::grammar::Grammar>> LoadGrammar(const RunFlags& f) {
  using runtime::grammar::Grammar;
  if (f.json_object) return std::make_shared<const Grammar>(runtime::grammar::JsonObjectGrammar());
  if (f.grammar_file.empty() && f.json_schema_file.empty()) return std::shared_ptr<const Grammar>();
  const std::string& path = f.grammar_file.empty() ? f.json_schema_file : f.grammar_file;
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return Status(text.status().code(), path + ": " + text.status().message());
  Result<Grammar> g = f.grammar_file.empty() ? runtime::grammar::CompileJsonSchemaText(*text)
                                             : runtime::grammar::ParseGrammar(*text);
  if (!g.ok()) return Status(g.status().code(), path + ": " + g.status().message());
  return std::make_shared<const Grammar>(std::move(g).value());
}

// Without --prompt: the interactive chat through the service (chat_repl.h).
int Chat(const FoundryHome& home, const RunFlags& f) {
  if (IsFileArgument(f.model))
    return Fail(Status::InvalidArgument("the interactive chat serves cached or catalog models through the service; "
                                        "put the file into the cache (foundry cache location) or pass --prompt"));
  ChatFlags c{.model = f.model, .verbose = f.verbose, .ttl_seconds = f.ttl};
  c.sampling = {{"max_tokens", f.max_tokens}, {"temperature", f.temperature}, {"top_p", f.top_p},
                {"top_k", f.top_k}, {"min_p", f.min_p}, {"frequency_penalty", f.frequency_penalty},
                {"presence_penalty", f.presence_penalty}, {"repetition_penalty", f.repeat_penalty}};
  if (f.max_tokens < 0) c.sampling.erase("max_tokens");
  if (f.seed >= 0) c.sampling["seed"] = f.seed;
  if (!f.stop.empty()) c.sampling["stop"] = f.stop;
  return RunInteractiveChat(home, c);
}

int Run(const FoundryHome& home, const RunFlags& f) {
  if (!f.has_prompt) {
    if (!f.grammar_file.empty() || !f.json_schema_file.empty() || f.json_object)
      return Fail(Status::InvalidArgument("--grammar, --json-schema and --json-object need --prompt "
                                          "(in the chat, use response_format through the API)"));
    return Chat(home, f);
  }
  auto grammar = LoadGrammar(f);
  if (!grammar.ok()) return Fail(grammar.status());
  auto file = ResolveModelFile(home, f.model);
  if (!file.ok()) return Fail(file.status());
  auto eng = LoadEngine(file->string(), f.engine);
  if (!eng.ok()) return Fail(eng.status());
  runtime::GenerateOptions o;
  o.max_tokens = f.max_tokens;
  o.sampling = {.temperature = f.temperature, .top_k = f.top_k, .top_p = f.top_p, .min_p = f.min_p,
                .repeat_penalty = f.repeat_penalty, .presence_penalty = f.presence_penalty,
                .frequency_penalty = f.frequency_penalty,
                .seed = f.seed >= 0 ? uint64_t(f.seed) : std::random_device{}()};
  o.stop = f.stop;
  o.stop_at_eog = !f.ignore_eos;
  o.grammar = *grammar;
  runtime::TextCallback stream;
  if (!f.json) {
    stream = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
  auto res = runtime::Generate(*(*eng)->context, f.prompt, o, stream);
  if (!res.ok()) return Fail(res.status());
  if (f.json) {
    json out = {{"prompt_tokens", res->prompt_tokens},
                {"tokens", res->tokens},
                {"text", res->text},
                {"finish_reason", runtime::FinishReasonName(res->finish)},
                {"timings", {{"prompt_ms", res->prompt_ms}, {"generate_ms", res->generate_ms}}}};
    std::printf("%s\n", out.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
  }
  return 0;
}

int Eval(const EvalFlags& f) {
  if (f.top < 1) return Fail(Status::InvalidArgument("--top must be >= 1"));
  auto eng = LoadEngine(f.model, f.engine);
  if (!eng.ok()) return Fail(eng.status());
  engine::Context& ctx = *(*eng)->context;
  const engine::Model& m = ctx.model();
  std::vector<engine::TokenId> tokens = m.tokenizer().Encode(f.prompt, {});
  if (tokens.empty()) return Fail(Status::InvalidArgument("the prompt has no tokens"));
  if (tokens.size() > ctx.n_ctx())
    return Fail(Status::OutOfRange("the prompt has " + std::to_string(tokens.size()) +
                                   " tokens but the context holds " + std::to_string(ctx.n_ctx())));
  std::vector<engine::BatchToken> batch(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    batch[i] = {.token = tokens[i], .pos = int32_t(i), .seq = 0, .want_logits = true};
  std::vector<float> logits;
  if (Status st = ctx.Decode(batch, &logits); !st.ok()) return Fail(st);
  const size_t n_vocab = m.hparams().n_vocab;
  const size_t k = std::min<size_t>(size_t(f.top), n_vocab);
  json top = json::array();
  std::vector<int32_t> ids(n_vocab);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const float* lg = logits.data() + i * n_vocab;
    for (size_t j = 0; j < n_vocab; ++j) ids[j] = int32_t(j);
    std::partial_sort(ids.begin(), ids.begin() + long(k), ids.end(), [&](int32_t a, int32_t b) {
      return lg[a] > lg[b] || (lg[a] == lg[b] && a < b);
    });
    json pos = json::array();
    for (size_t j = 0; j < k; ++j) pos.push_back({ids[j], lg[ids[j]]});
    top.push_back(std::move(pos));
  }
  json out = {{"tokens", tokens}, {"top", std::move(top)}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

std::string HumanBytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  return buf;
}

int Info(const InfoFlags& f) {
  // Info works on any valid GGUF, even one whose architecture we cannot run.
  auto file = engine::GgufFile::Open(f.model);
  if (!file.ok()) return Fail(file.status());
  auto kt = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  auto model = engine::Model::Load(f.model, kt, {.repack_weights = false});

  std::map<std::string, uint64_t> types;
  uint64_t n_params = 0, tensor_bytes = 0;
  for (const auto& t : file->tensors()) {
    types[std::string(engine::TensorTypeName(t.type))]++;
    n_params += t.n_elements;
    tensor_bytes += t.n_bytes;
  }
  auto str = [&](const char* key) -> std::string {
    auto v = file->GetString(key);
    return v.ok() ? std::string(*v) : "";
  };
  json j;
  j["file"] = f.model;
  j["gguf_version"] = file->version();
  j["file_size"] = file->file_size();
  j["architecture"] = str("general.architecture");
  j["name"] = str("general.name");
  j["parameters"] = n_params;
  j["tensor_count"] = file->tensors().size();
  j["tensor_bytes"] = tensor_bytes;
  j["tensor_types"] = types;
  j["supported"] = model.ok();
  if (!model.ok()) j["load_error"] = model.status().message();
  j["chat_template"] = file->Find("tokenizer.chat_template") != nullptr;
  if (model.ok()) {
    const auto& hp = (*model)->hparams();
    const auto& tok = (*model)->tokenizer();
    j["context_length"] = hp.n_ctx_train;
    j["embedding_length"] = hp.n_embd;
    j["block_count"] = hp.n_layer;
    j["head_count"] = hp.n_head;
    j["head_count_kv"] = hp.n_head_kv;
    j["head_dim"] = hp.head_dim_k;
    j["feed_forward_length"] = hp.n_ff;
    j["rope_freq_base"] = hp.rope_freq_base;
    j["tied_embeddings"] = (*model)->tied_output();
    j["tokenizer"] = {{"model", tok.model_name()}, {"pre", tok.pre()}, {"n_vocab", tok.n_vocab()},
                      {"bos_id", tok.bos_id()}, {"eos_id", tok.eos_id()},
                      {"add_bos", tok.add_bos()}};
  }
  if (f.json) {
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("file:            %s (GGUF v%u, %s)\n", f.model.c_str(), file->version(),
              HumanBytes(file->file_size()).c_str());
  std::printf("architecture:    %s\n", j["architecture"].get<std::string>().c_str());
  std::printf("name:            %s\n", j["name"].get<std::string>().c_str());
  std::printf("parameters:      %llu (%s in %zu tensors)\n", (unsigned long long)n_params,
              HumanBytes(tensor_bytes).c_str(), file->tensors().size());
  std::string t;
  for (const auto& [k, v] : types) t += (t.empty() ? "" : ", ") + k + " x" + std::to_string(v);
  std::printf("tensor types:    %s\n", t.c_str());
  if (model.ok()) {
    const auto& hp = (*model)->hparams();
    const auto& tok = (*model)->tokenizer();
    std::printf("context length:  %u\n", hp.n_ctx_train);
    std::printf("layers:          %u (embedding %u, feed-forward %u)\n", hp.n_layer, hp.n_embd, hp.n_ff);
    std::printf("attention:       %u heads, %u KV heads, head dim %u, rope base %g\n", hp.n_head,
                hp.n_head_kv, hp.head_dim_k, double(hp.rope_freq_base));
    std::printf("tokenizer:       %s%s%s, %d tokens, BOS %d, EOS %d\n",
                std::string(tok.model_name()).c_str(), tok.pre().empty() ? "" : " / ",
                std::string(tok.pre()).c_str(), tok.n_vocab(), tok.bos_id(), tok.eos_id());
  } else {
    std::printf("supported:       no — %s\n", model.status().message().c_str());
  }
  std::printf("chat template:   %s\n", j["chat_template"].get<bool>() ? "yes" : "no");
  return 0;
}

}  // namespace

void AddModelCommands(CLI::App& model, const FoundryHome& home, int* exit_code) {
  auto run = std::make_shared<RunFlags>();
  CLI::App* r = model.add_subcommand("run", "Generate a continuation of a prompt with a GGUF model");
  r->add_option("model", run->model, "A .gguf file, or an alias/model id (downloaded if needed)")->required();
  CLI::Option* prompt = r->add_option("-p,--prompt", run->prompt,
                                      "Prompt text: generate once in-process (without it: interactive chat through the service)");
  r->add_option("-n,--max-tokens", run->max_tokens, "Tokens to generate at most (-1: until the context is full)")
      ->default_val(256);
  r->add_option("--temperature", run->temperature, "Sampling temperature; 0 = greedy")->default_val(0.8);
  r->add_option("--top-k", run->top_k, "Top-k cutoff (0 = off)")->default_val(40);
  r->add_option("--top-p", run->top_p, "Nucleus cutoff (1 = off)")->default_val(0.95);
  r->add_option("--min-p", run->min_p, "Min-p cutoff (0 = off)")->default_val(0.05);
  r->add_option("--repeat-penalty", run->repeat_penalty, "Repetition penalty (1 = off)")->default_val(1.0);
  r->add_option("--presence-penalty", run->presence_penalty, "Presence penalty")->default_val(0.0);
  r->add_option("--frequency-penalty", run->frequency_penalty, "Frequency penalty")->default_val(0.0);
  r->add_option("-s,--seed", run->seed, "Random seed (default: random)");
  r->add_option("--stop", run->stop, "Stop string (repeatable)");
  r->add_flag("--ignore-eos", run->ignore_eos, "Keep generating past end-of-generation tokens");
  r->add_flag("--json", run->json, "Print one JSON object: prompt_tokens, tokens, text");
  r->add_flag("--verbose", run->verbose, "Interactive chat: print the time the load took");
  r->add_option("--ttl", run->ttl, "Interactive chat: seconds the service keeps the model loaded when idle");
  auto* g = r->add_option("--grammar", run->grammar_file, "Constrain the output to a GBNF grammar (file)");
  auto* js = r->add_option("--json-schema", run->json_schema_file,
                           "Constrain the output to JSON valid against a JSON Schema (file)");
  auto* jo = r->add_flag("--json-object", run->json_object, "Constrain the output to a JSON object");
  g->excludes(js)->excludes(jo);
  js->excludes(jo);
  AddEngineFlags(r, &run->engine);
  r->callback([&home, run, prompt, exit_code] {
    run->has_prompt = prompt->count() > 0;
    *exit_code = Run(home, *run);
  });

  auto ev = std::make_shared<EvalFlags>();
  CLI::App* e = model.add_subcommand("eval", "Print the top logits at every prompt position as JSON");
  e->add_option("model", ev->model, "Path to a .gguf file")->required();
  e->add_option("-p,--prompt", ev->prompt, "Prompt text")->required();
  e->add_option("--top", ev->top, "Logits per position")->default_val(10);
  AddEngineFlags(e, &ev->engine);
  e->callback([ev, exit_code] { *exit_code = Eval(*ev); });

  auto in = std::make_shared<InfoFlags>();
  CLI::App* i = model.add_subcommand("info", "Show a catalog model (alias or id) or summarise a GGUF file");
  i->add_option("model", in->model, "Alias, model id, cached model or path to a .gguf file")->required();
  i->add_flag("--json", in->json, "Print JSON");
  i->callback([&home, in, exit_code] {
    if (IsFileArgument(in->model)) {
      *exit_code = Info(*in);
      return;
    }
    // A cached bring-your-own model is shown from its file; everything else from the catalog.
    auto file = CachedByoFile(home, in->model);
    if (file.ok()) {
      InfoFlags by_file = *in;
      by_file.model = file->string();
      *exit_code = Info(by_file);
      return;
    }
    *exit_code = CatalogModelInfo(home, in->model, in->json);
  });
  AddServiceModelCommands(model, home, exit_code);
}

}  // namespace foundry::cli
