// Ollama's model management routes over foundry's catalog and cache: /api/tags, /api/show,
// /api/ps, /api/pull, /api/delete, /api/copy (docs/ollama-api.md).

#include <cctype>
#include <cstdio>
#include <map>

#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/runtime/chat/model_chat_template.h"
#include "foundry/runtime/sha256.h"
#include "service/ollama_api.h"
#include "service/ollama_params.h"

namespace foundry::service {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Ollama names carry a tag; a foundry id without one is shown as "<id>:latest" (and
// NameCandidates maps it back).
std::string OllamaName(const std::string& id) {
  return id.find(':') == std::string::npos ? id + ":latest" : id;
}

// llama.cpp's general.file_type values (LLAMA_FTYPE_*), as Ollama prints quantization levels.
std::string FileTypeName(uint64_t ft) {
  static const std::map<uint64_t, const char*> kNames = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},   {8, "Q5_0"},
      {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"},
      {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"},
      {21, "Q2_K_S"}, {22, "IQ3_XS"}, {23, "IQ3_XXS"}, {24, "IQ1_S"}, {25, "IQ4_NL"}, {26, "IQ3_S"},
      {27, "IQ3_M"},  {28, "IQ2_S"},  {29, "IQ2_M"},  {30, "IQ4_XS"}, {31, "IQ1_M"},  {32, "BF16"}};
  auto it = kNames.find(ft);
  return it == kNames.end() ? "unknown" : it->second;
}

// "7.6B", "15.2M", "260.0K": Ollama's parameter_size.
std::string ParameterSize(uint64_t n) {
  char buf[32];
  if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.1fB", double(n) / 1e9);
  else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.1fM", double(n) / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1fK", double(n) / 1e3);
  return buf;
}

// The metadata value as JSON; arrays only when `arrays` (Ollama's show leaves them null unless
// verbose), nested arrays never.
json GgufValueJson(const engine::GgufValue& v, bool arrays) {
  using engine::GgufType;
  if (v.type != GgufType::kArray) {
    if (auto s = v.AsString()) return std::string(*s);
    if (auto b = v.AsBool()) return *b;
    if (v.is_float()) return v.f;
    if (auto u = v.AsUint()) return *u;
    if (auto i = v.AsInt()) return *i;
    return nullptr;
  }
  if (!arrays || v.elem_type == GgufType::kArray) return nullptr;
  json out = json::array();
  if (v.elem_type == GgufType::kString) {
    for (auto s : v.strings) out.push_back(std::string(s));
    return out;
  }
  const bool is_float = v.elem_type == GgufType::kFloat32 || v.elem_type == GgufType::kFloat64;
  for (uint64_t i = 0; i < v.count; ++i) {
    if (is_float) out.push_back(v.ArrayFloat(i));
    else out.push_back(v.ArrayInt(i));
  }
  return out;
}

struct Described {
  json details;
  json model_info;
  std::string chat_template;
  uint32_t context_length = 0;
};

// Ollama's "details" (and, for /api/show, model_info) from the GGUF header.
Result<Described> Describe(const fs::path& path, const runtime::CatalogModel* catalog, bool model_info,
                           bool verbose) {
  FOUNDRY_ASSIGN_OR_RETURN(engine::GgufFile f, engine::GgufFile::Open(path));
  Described d;
  auto arch_or = f.GetString("general.architecture");
  const std::string arch = arch_or.ok() ? std::string(*arch_or) : "unknown";
  uint64_t n_params = 0;
  for (const auto& t : f.tensors()) n_params += t.n_elements;
  std::string quant = catalog && !catalog->quantization.empty() ? catalog->quantization : "";
  if (quant.empty()) {
    auto ft = f.GetU32("general.file_type");
    if (ft.ok()) {
      quant = FileTypeName(*ft);
    } else {
      // No file type recorded (old converters): the type most weight matrices have.
      std::map<std::string, int> counts;
      for (const auto& t : f.tensors())
        if (t.n_dims >= 2) ++counts[std::string(engine::TensorTypeName(t.type))];
      int best = 0;
      quant = "unknown";
      for (const auto& [name, n] : counts)
        if (n > best) best = n, quant = name;
    }
  }
  d.details = {{"parent_model", ""},
               {"format", "gguf"},
               {"family", arch},
               {"families", {arch}},
               {"parameter_size", ParameterSize(n_params)},
               {"quantization_level", quant}};
  auto n_ctx = f.GetU32Or(arch + ".context_length", 0);
  d.context_length = n_ctx.ok() ? *n_ctx : 0;
  std::optional<std::string_view> tmpl;
  if (auto t = f.GetString("tokenizer.chat_template"); t.ok()) tmpl = *t;
  d.chat_template = runtime::chat::ModelChatTemplateSource(tmpl, arch);
  if (model_info) {
    d.model_info = json::object();
    for (const auto& kv : f.metadata())
      d.model_info[std::string(kv.key)] = GgufValueJson(kv.value, verbose);
    d.model_info["general.parameter_count"] = n_params;
  }
  return d;
}

// A stable digest for a model: the catalog's sha256 of its file, else a hash of the file's
// path, size and modification time (hashing a multi-GB file per listing would be too slow).
std::string Digest(const fs::path& path, const runtime::CatalogModel* catalog) {
  if (catalog && !catalog->file.sha256.empty()) return catalog->file.sha256;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  auto h = runtime::Sha256::Create();
  if (!h.ok()) return std::string(64, '0');
  (void)h->Update(path.string() + "|" + std::to_string(size) + "|" + std::to_string(mtime));
  auto hex = h->HexDigest();
  return hex.ok() ? *hex : std::string(64, '0');
}

std::string ModifiedAt(const fs::path& path) {
  std::error_code ec;
  const auto ft = fs::last_write_time(path, ec);
  if (ec) return Rfc3339(std::chrono::system_clock::now());
  return Rfc3339(std::chrono::file_clock::to_sys(ft));
}

// A steady-clock deadline as wall-clock time.
std::chrono::system_clock::time_point WallTime(std::chrono::steady_clock::time_point t) {
  const auto now_steady = std::chrono::steady_clock::now();
  const auto now_wall = std::chrono::system_clock::now();
  return now_wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - now_steady);
}

// A name a copy may take: the characters Ollama allows in model names, no path separators.
bool ValidCopyName(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.' || name[0] == '-') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != ':') return false;
  return true;
}

// The cache, or a 501 when the service runs without one.
const runtime::ModelCache* CacheOr501(const OllamaContext& ctx, httplib::Response& res) {
  if (!ctx.store.cache)
    SendOllamaError(res, Status::Unimplemented("this service has no model cache configured"));
  return ctx.store.cache;
}

}  // namespace

void HandleOllamaTags(const OllamaContext& ctx, httplib::Response& res) {
  json models = json::array();
  if (ctx.store.cache) {
    auto list = ctx.store.cache->List();
    if (!list.ok()) return SendOllamaError(res, list.status());
    for (const auto& m : *list) {
      auto d = Describe(m.path, m.catalog_model, false, false);
      json details = d.ok() ? d->details : json{{"format", "gguf"}};
      models.push_back({{"name", OllamaName(m.id)},
                        {"model", OllamaName(m.id)},
                        {"modified_at", ModifiedAt(m.path)},
                        {"size", m.size_bytes},
                        {"digest", Digest(m.path, m.catalog_model)},
                        {"details", details}});
    }
  }
  SendOllamaJson(res, {{"models", models}});
}

void HandleOllamaShow(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseOllamaBody(req);
  if (!body.ok()) return SendOllamaError(res, body.status());
  auto name = RequestModelName(*body);
  if (!name.ok()) return SendOllamaError(res, name.status());
  auto model = ResolveModelName(ctx, *name);
  if (!model.ok()) return SendOllamaError(res, model.status());
  fs::path path;
  const runtime::CatalogModel* catalog = nullptr;
  if (model->cached) {
    path = model->cached->path;
    catalog = model->cached->catalog_model;
  } else {
    for (const auto& m : ctx.models->List())
      if (m.id == model->id) path = m.path;
  }
  if (path.empty()) return SendOllamaError(res, Status::NotFound("model \"" + *name + "\" not found"));
  const bool verbose = body->value("verbose", false);
  auto d = Describe(path, catalog, true, verbose);
  if (!d.ok()) return SendOllamaError(res, d.status());
  json capabilities = {"completion"};
  if (auto tools = runtime::chat::ModelFileRendersTools(path); tools.ok() && *tools) capabilities.push_back("tools");
  // Ollama's defaults as we apply them (ParseOllamaOptions), in Modelfile PARAMETER syntax.
  const std::string parameters = "temperature 0.8\ntop_k 40\ntop_p 0.9\nrepeat_last_n 64\nrepeat_penalty 1";
  std::string modelfile = "# Modelfile generated by foundry\n# To build a new Modelfile based on this, replace FROM with:\n# FROM " +
                          OllamaName(model->id) + "\n\nFROM " + path.string() + "\nTEMPLATE \"\"\"" +
                          d->chat_template + "\"\"\"\n";
  for (const char* p : {"temperature 0.8", "top_k 40", "top_p 0.9", "repeat_last_n 64", "repeat_penalty 1"})
    modelfile += std::string("PARAMETER ") + p + "\n";
  json out = {{"license", catalog ? catalog->license : ""},
              {"modelfile", modelfile},
              {"parameters", parameters},
              {"template", d->chat_template},
              {"details", d->details},
              {"model_info", d->model_info},
              {"capabilities", capabilities},
              {"modified_at", ModifiedAt(path)}};
  SendOllamaJson(res, out);
}

void HandleOllamaPs(const OllamaContext& ctx, httplib::Response& res) {
  json models = json::array();
  for (const auto& m : ctx.models->List()) {
    const runtime::CatalogModel* catalog = nullptr;
    if (ctx.store.catalog) catalog = ctx.store.catalog->FindById(m.id);
    auto d = Describe(m.path, catalog, false, false);
    models.push_back({{"name", OllamaName(m.id)},
                      {"model", OllamaName(m.id)},
                      {"size", m.bytes},
                      {"digest", Digest(m.path, catalog)},
                      {"details", d.ok() ? d->details : json{{"format", "gguf"}}},
                      {"expires_at", Rfc3339(WallTime(m.expires))},
                      {"size_vram", 0},
                      {"context_length", m.n_ctx}});
  }
  SendOllamaJson(res, {{"models", models}});
}

void HandleOllamaPull(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseOllamaBody(req);
  if (!body.ok()) return SendOllamaError(res, body.status());
  auto name = RequestModelName(*body);
  if (!name.ok()) return SendOllamaError(res, name.status());
  auto stream = ParseStream(*body);
  if (!stream.ok()) return SendOllamaError(res, stream.status());
  if (!ctx.store.catalog || !ctx.store.cache || !ctx.store.downloader)
    return SendOllamaError(res, Status::Unimplemented("this service has no catalog to pull from"));
  const runtime::CatalogModel* model = nullptr;
  for (const std::string& c : NameCandidates(*name)) {
    auto r = ctx.store.catalog->Resolve(c, ctx.store.hw);
    if (r.ok()) {
      model = *r;
      break;
    }
  }
  if (!model) {
    // A bring-your-own model already in the cache has nothing to pull.
    auto cached = ResolveModelName(ctx, *name);
    if (cached.ok() && cached->cached) {
      if (!*stream) return SendOllamaJson(res, {{"status", "success"}});
      return res.set_content(NdjsonLine({{"status", "pulling manifest"}}) + NdjsonLine({{"status", "success"}}),
                             "application/x-ndjson");
    }
    return SendOllamaError(res, Status::NotFound("pull model manifest: \"" + *name +
                                                 "\" is not in the foundry catalog (see GET /foundry/list)"));
  }
  const std::string sha = model->file.sha256.empty() ? Digest(model->file.name, nullptr) : model->file.sha256;
  const std::string digest = "sha256:" + sha;
  const runtime::ModelCache* cache = ctx.store.cache;
  const runtime::Downloader* downloader = ctx.store.downloader;
  if (!*stream) {
    auto r = downloader->Download(*model, *cache);
    if (!r.ok()) return SendOllamaError(res, r.status());
    return SendOllamaJson(res, {{"status", "success"}});
  }
  res.set_chunked_content_provider(
      "application/x-ndjson", [model, cache, downloader, digest, sha](size_t, httplib::DataSink& sink) {
        auto write = [&sink](const json& j) {
          const std::string line = NdjsonLine(j);
          return sink.write(line.data(), line.size());
        };
        if (!write({{"status", "pulling manifest"}})) return false;
        bool connected = true;
        runtime::DownloadControl control;
        control.on_progress = [&](const runtime::DownloadProgress& p) {
          json line = {{"status", "pulling " + sha.substr(0, 12)}, {"digest", digest}};
          if (p.bytes_total > 0) line["total"] = p.bytes_total;
          if (p.bytes_done > 0 || p.bytes_total > 0) line["completed"] = p.bytes_done;
          connected = write(line);
          return connected;  // a client that went away cancels (the partial file is kept)
        };
        auto r = downloader->Download(*model, *cache, control);
        if (!connected) return false;
        if (!r.ok()) {
          write({{"error", r.status().message()}});
        } else {
          if (r->was_cached)
            write({{"status", "pulling " + sha.substr(0, 12)}, {"digest", digest}, {"total", r->size_bytes},
                   {"completed", r->size_bytes}});
          write({{"status", "verifying sha256 digest"}});
          write({{"status", "writing manifest"}});
          write({{"status", "success"}});
        }
        sink.done();
        return true;
      });
}

void HandleOllamaDelete(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseOllamaBody(req);
  if (!body.ok()) return SendOllamaError(res, body.status());
  auto name = RequestModelName(*body);
  if (!name.ok()) return SendOllamaError(res, name.status());
  const runtime::ModelCache* cache = CacheOr501(ctx, res);
  if (!cache) return;
  auto model = ResolveModelName(ctx, *name);
  if (!model.ok() || !model->cached) return SendOllamaError(res, Status::NotFound("model \"" + *name + "\" not found"));
  if (ctx.models->IsLoaded(model->id)) (void)ctx.models->Unload(model->id, /*force=*/true);
  if (Status st = cache->Remove(*model->cached); !st.ok()) return SendOllamaError(res, st);
  res.status = 200;
}

void HandleOllamaCopy(const OllamaContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseOllamaBody(req);
  if (!body.ok()) return SendOllamaError(res, body.status());
  for (const char* key : {"source", "destination"})
    if (!body->contains(key) || !(*body)[key].is_string() || (*body)[key].get<std::string>().empty())
      return SendOllamaError(res, Status::InvalidArgument(std::string("'") + key + "' is required"));
  const std::string source = (*body)["source"], destination = (*body)["destination"];
  const runtime::ModelCache* cache = CacheOr501(ctx, res);
  if (!cache) return;
  auto src = ResolveModelName(ctx, source);
  if (!src.ok() || !src->cached) return SendOllamaError(res, Status::NotFound("model \"" + source + "\" not found"));
  if (!ValidCopyName(destination))
    return SendOllamaError(res, Status::InvalidArgument("destination \"" + destination +
                                                        "\" is not a valid model name (letters, digits, '.', "
                                                        "'_', '-', ':')"));
  if (ctx.store.catalog && ctx.store.catalog->Resolve(destination, ctx.store.hw).ok())
    return SendOllamaError(res, Status::InvalidArgument("destination \"" + destination +
                                                        "\" names a catalog model; choose another name"));
  // The copy is a bring-your-own file in the cache root; its id is the file name.
  std::string stem = destination;
  if (stem.ends_with(":latest")) stem.resize(stem.size() - 7);
  const fs::path dest = cache->root() / (stem + ".gguf");
  const fs::path tmp = cache->root() / ("." + stem + ".gguf.copy");
  std::error_code ec;
  fs::create_directories(cache->root(), ec);
  fs::remove(tmp, ec);
  // A hard link costs no space; where the file system refuses, copy.
  fs::create_hard_link(src->cached->path, tmp, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(src->cached->path, tmp, ec);
  }
  if (!ec) fs::rename(tmp, dest, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return SendOllamaError(res, Status::Unavailable("cannot copy to " + dest.string() + ": " + ec.message()));
  }
  res.status = 200;
}

}  // namespace foundry::service
