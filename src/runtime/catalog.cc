#include "foundry/runtime/catalog.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <new>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/catalog_ascii.h"

namespace foundry::runtime {
namespace {

using nlohmann::json;

// The device tags foundry can run or list, as data: the tag in the model ID decides the device
// and execution provider, so an entry cannot claim "cuda-gpu" and run on the CPU provider.
struct DeviceTagRow {
  std::string_view tag;
  DeviceType device;
  std::string_view execution_provider;
};
constexpr DeviceTagRow kDeviceTags[] = {
    {"generic-cpu", DeviceType::kCpu, "CPUExecutionProvider"},
    {"cuda-gpu", DeviceType::kGpu, "CUDAExecutionProvider"},
};

constexpr std::string_view kCudaProvider = "CUDAExecutionProvider";

using internal::AsciiIEquals;
using internal::AsciiLower;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool IsName(std::string_view s) {
  return !s.empty() && s.front() != '-' && s.back() != '-' && std::all_of(s.begin(), s.end(), IsNameChar);
}

// Field readers: each names the entry and field in its error, so a broken catalog says where.
class Reader {
 public:
  Reader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status Fail(std::string_view field, std::string_view what) const {
    return Status::InvalidArgument(where_ + ": field '" + std::string(field) + "' " + std::string(what));
  }
  bool Has(std::string_view field) const {
    auto it = obj_.find(field);
    return it != obj_.end() && !it->is_null();
  }
  const json* Get(std::string_view field) const {
    auto it = obj_.find(field);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  Result<std::string> String(std::string_view field) const {
    const json* v = Get(field);
    if (!v) return Fail(field, "is missing");
    if (!v->is_string()) return Fail(field, "must be a string");
    std::string s = v->get<std::string>();
    if (s.empty()) return Fail(field, "must not be empty");
    return s;
  }
  Result<std::string> OptString(std::string_view field, std::string fallback) const {
    const json* v = Get(field);
    if (!v) return fallback;
    if (!v->is_string()) return Fail(field, "must be a string or null");
    return v->get<std::string>();
  }
  Result<uint64_t> Unsigned(std::string_view field, uint64_t min, uint64_t max) const {
    const json* v = Get(field);
    if (!v) return Fail(field, "is missing");
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      return Fail(field, "must be a non-negative integer");
    uint64_t n = v->get<uint64_t>();
    if (n < min || n > max)
      return Fail(field, "is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return n;
  }
  Result<std::optional<uint64_t>> OptUnsigned(std::string_view field, uint64_t min, uint64_t max) const {
    if (!Has(field)) return std::optional<uint64_t>();
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t n, Unsigned(field, min, max));
    return std::optional<uint64_t>(n);
  }
  Result<bool> Bool(std::string_view field, std::optional<bool> fallback) const {
    const json* v = Get(field);
    if (!v) {
      if (fallback) return *fallback;
      return Fail(field, "is missing");
    }
    if (!v->is_boolean()) return Fail(field, "must be true or false");
    return v->get<bool>();
  }
  const std::string& where() const { return where_; }

 private:
  const json& obj_;
  std::string where_;
};

constexpr uint64_t kMaxU32 = 0xffffffffu;

Result<std::optional<FoundryPromptTemplate>> ParsePromptTemplate(const Reader& r) {
  const json* v = r.Get("promptTemplate");
  if (!v) return std::optional<FoundryPromptTemplate>();
  if (!v->is_object()) return r.Fail("promptTemplate", "must be an object or null");
  Reader t(*v, r.where() + ".promptTemplate");
  FoundryPromptTemplate pt;
  FOUNDRY_ASSIGN_OR_RETURN(pt.system, t.OptString("system", ""));
  FOUNDRY_ASSIGN_OR_RETURN(pt.user, t.OptString("user", ""));
  FOUNDRY_ASSIGN_OR_RETURN(pt.assistant, t.OptString("assistant", ""));
  FOUNDRY_ASSIGN_OR_RETURN(pt.prompt, t.OptString("prompt", ""));
  return std::optional<FoundryPromptTemplate>(std::move(pt));
}

Result<ModelFile> ParseFile(const json& v, const std::string& where) {
  if (!v.is_object()) return Status::InvalidArgument(where + ": field 'file' must be an object");
  Reader r(v, where + ".file");
  ModelFile f;
  FOUNDRY_ASSIGN_OR_RETURN(f.name, r.String("name"));
  if (f.name.find_first_of("/\\") != std::string::npos || f.name.starts_with(".") ||
      !f.name.ends_with(".gguf") || f.name.size() <= 5)
    return r.Fail("name", "must be a plain file name ending in .gguf (got '" + f.name + "')");
  FOUNDRY_ASSIGN_OR_RETURN(f.url, r.OptString("url", ""));
  if (!f.url.empty() && !f.url.starts_with("https://") && !f.url.starts_with("http://"))
    return r.Fail("url", "must be an http(s) URL (got '" + f.url + "')");
  FOUNDRY_ASSIGN_OR_RETURN(f.size_mb, r.Unsigned("fileSizeMb", 0, uint64_t{1} << 40));
  FOUNDRY_ASSIGN_OR_RETURN(f.size_bytes, r.OptUnsigned("sizeBytes", 1, uint64_t{1} << 50));
  FOUNDRY_ASSIGN_OR_RETURN(f.sha256, r.OptString("sha256", ""));
  if (!f.sha256.empty()) {
    if (f.sha256.size() != 64 ||
        !std::all_of(f.sha256.begin(), f.sha256.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }))
      return r.Fail("sha256", "must be 64 hex digits");
    f.sha256 = AsciiLower(f.sha256);
  }
  return f;
}

// One alias group of the file: shared fields plus its variants, appended to `out`.
Status ParseGroup(const json& g, size_t index, std::vector<CatalogModel>& out) {
  std::string where = "models[" + std::to_string(index) + "]";
  if (!g.is_object()) return Status::InvalidArgument(where + " must be an object");
  Reader r(g, where);
  CatalogModel base;
  FOUNDRY_ASSIGN_OR_RETURN(base.alias, r.String("alias"));
  if (!IsName(base.alias)) return r.Fail("alias", "must use only letters, digits, '.', '-', '_'");
  where += " (" + base.alias + ")";
  Reader rr(g, where);
  FOUNDRY_ASSIGN_OR_RETURN(base.name, rr.String("name"));
  if (!IsName(base.name)) return rr.Fail("name", "must use only letters, digits, '.', '-', '_'");
  FOUNDRY_ASSIGN_OR_RETURN(base.publisher, rr.String("publisher"));
  FOUNDRY_ASSIGN_OR_RETURN(base.provider_type, rr.OptString("providerType", "HuggingFace"));
  FOUNDRY_ASSIGN_OR_RETURN(base.task, rr.String("task"));
  FOUNDRY_ASSIGN_OR_RETURN(base.license, rr.String("license"));
  FOUNDRY_ASSIGN_OR_RETURN(base.license_description, rr.String("licenseDescription"));
  FOUNDRY_ASSIGN_OR_RETURN(base.parent_model_uri, rr.String("parentModelUri"));
  FOUNDRY_ASSIGN_OR_RETURN(uint64_t ctx, rr.Unsigned("contextLength", 1, kMaxU32));
  base.context_length = static_cast<uint32_t>(ctx);
  FOUNDRY_ASSIGN_OR_RETURN(auto max_out, rr.OptUnsigned("maxOutputTokens", 1, kMaxU32));
  if (max_out) base.max_output_tokens = static_cast<uint32_t>(*max_out);
  FOUNDRY_ASSIGN_OR_RETURN(base.supports_tool_calling, rr.Bool("supportsToolCalling", std::nullopt));
  FOUNDRY_ASSIGN_OR_RETURN(base.is_test_model, rr.Bool("testModel", false));
  if (rr.Has("minFLVersion")) {
    FOUNDRY_ASSIGN_OR_RETURN(std::string v, rr.String("minFLVersion"));
    base.min_fl_version = std::move(v);
  }
  FOUNDRY_ASSIGN_OR_RETURN(base.prompt_template, ParsePromptTemplate(rr));

  const json* variants = rr.Get("variants");
  if (!variants || !variants->is_array() || variants->empty())
    return rr.Fail("variants", "must be a non-empty array");
  size_t first = out.size();
  for (size_t i = 0; i < variants->size(); ++i) {
    const json& jv = (*variants)[i];
    std::string vwhere = where + ".variants[" + std::to_string(i) + "]";
    if (!jv.is_object()) return Status::InvalidArgument(vwhere + " must be an object");
    Reader vr(jv, vwhere);
    CatalogModel m = base;
    FOUNDRY_ASSIGN_OR_RETURN(m.device_tag, vr.String("deviceTag"));
    const DeviceTagRow* row = nullptr;
    for (const DeviceTagRow& t : kDeviceTags)
      if (t.tag == m.device_tag) row = &t;
    if (!row) {
      std::string known;
      for (const DeviceTagRow& t : kDeviceTags) known += (known.empty() ? "" : ", ") + std::string(t.tag);
      return vr.Fail("deviceTag", "'" + m.device_tag + "' is not one of: " + known);
    }
    m.device = row->device;
    m.execution_provider = std::string(row->execution_provider);
    FOUNDRY_ASSIGN_OR_RETURN(uint64_t version, vr.Unsigned("version", 1, kMaxU32));
    m.version = static_cast<uint32_t>(version);
    FOUNDRY_ASSIGN_OR_RETURN(m.quantization, vr.String("quantization"));
    const json* file = vr.Get("file");
    if (!file) return vr.Fail("file", "is missing");
    FOUNDRY_ASSIGN_OR_RETURN(m.file, ParseFile(*file, vwhere));
    m.id = m.IdWithoutVersion() + ":" + std::to_string(m.version);
    m.uri = m.file.url.empty() ? m.parent_model_uri : m.file.url;
    out.push_back(std::move(m));
  }
  // Within the group: the order Resolve walks (device priority, newer version, then ID).
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [](const CatalogModel& a, const CatalogModel& b) {
              int pa = DevicePriority(a.id), pb = DevicePriority(b.id);
              if (pa != pb) return pa < pb;
              if (a.version != b.version) return a.version > b.version;
              return AsciiLower(a.id) < AsciiLower(b.id);
            });
  return Status::Ok();
}

Result<std::vector<CatalogModel>> ParseJson(std::string_view text, std::string_view origin) {
  std::string where(origin);
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument(where + ": not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument(where + ": must be a JSON object");
  Reader top(doc, where);
  FOUNDRY_ASSIGN_OR_RETURN(uint64_t schema, top.Unsigned("schemaVersion", 1, kMaxU32));
  if (schema != 1)
    return Status::InvalidArgument(where + ": schemaVersion " + std::to_string(schema) +
                                   " is not supported (this foundry reads version 1)");
  const json* groups = top.Get("models");
  if (!groups || !groups->is_array()) return top.Fail("models", "must be an array");
  std::vector<CatalogModel> models;
  std::set<std::string> aliases, ids;
  for (size_t i = 0; i < groups->size(); ++i) {
    size_t before = models.size();
    Status st = ParseGroup((*groups)[i], i, models);
    if (!st.ok()) return st.WithContext(where);
    const std::string& alias = models[before].alias;
    if (!aliases.insert(AsciiLower(alias)).second)
      return Status::InvalidArgument(where + ": alias '" + alias + "' appears twice");
    for (size_t k = before; k < models.size(); ++k)
      if (!ids.insert(AsciiLower(models[k].id)).second)
        return Status::InvalidArgument(where + ": model ID '" + models[k].id + "' appears twice");
  }
  return models;
}

}  // namespace

std::string_view DeviceTypeName(DeviceType device) {
  switch (device) {
    case DeviceType::kCpu: return "CPU";
    case DeviceType::kGpu: return "GPU";
    case DeviceType::kNpu: return "NPU";
  }
  return "CPU";
}

std::string CatalogModel::IdWithoutVersion() const { return name + "-" + device_tag; }

bool CanRun(const CatalogModel& model, const HardwareInfo& hw) {
  switch (model.device) {
    case DeviceType::kCpu: return true;
    case DeviceType::kGpu: return hw.has_cuda && model.execution_provider == kCudaProvider;
    case DeviceType::kNpu: return false;
  }
  return false;
}

int DevicePriority(std::string_view model_id) {
  std::string id = AsciiLower(model_id);
  size_t colon = id.rfind(':');
  std::string_view stem = std::string_view(id).substr(0, colon == std::string::npos ? id.size() : colon);
  if (stem.ends_with("-npu")) return 0;
  if (stem.ends_with("-cuda-gpu")) return 2;
  if (stem.ends_with("-generic-gpu")) return 3;
  if (stem.ends_with("-gpu")) return 1;
  if (stem.ends_with("-generic-cpu")) return 5;
  if (stem.ends_with("-cpu")) return 4;
  return 6;
}

Result<ModelFilter> ModelFilter::Parse(std::string_view expression) {
  constexpr std::string_view kKeys = "device, provider, task, alias";
  size_t eq = expression.find('=');
  if (eq == std::string_view::npos)
    return Status::InvalidArgument("filter '" + std::string(expression) +
                                   "' must look like key=value (keys: " + std::string(kKeys) + ")");
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  std::string key = AsciiLower(trim(expression.substr(0, eq)));
  std::string_view value = trim(expression.substr(eq + 1));
  ModelFilter f;
  if (key == "device") f.key = Key::kDevice;
  else if (key == "provider") f.key = Key::kProvider;
  else if (key == "task") f.key = Key::kTask;
  else if (key == "alias") f.key = Key::kAlias;
  else
    return Status::InvalidArgument("unknown filter key '" + key + "' (keys: " + std::string(kKeys) + ")");
  if (value.starts_with('!')) {
    f.is_negated = true;
    value.remove_prefix(1);
  }
  if (value.ends_with('*')) {
    f.is_prefix = true;
    value.remove_suffix(1);
  }
  if (value.empty() && !f.is_prefix)
    return Status::InvalidArgument("filter '" + std::string(expression) + "' has an empty value");
  f.value = AsciiLower(value);
  return f;
}

bool ModelFilter::Matches(const CatalogModel& model) const {
  auto match = [this](std::string_view field) {
    std::string lower = AsciiLower(field);
    return is_prefix ? std::string_view(lower).starts_with(value) : lower == value;
  };
  bool hit = false;
  switch (key) {
    case Key::kDevice: hit = match(DeviceTypeName(model.device)); break;
    case Key::kTask: hit = match(model.task); break;
    case Key::kAlias: hit = match(model.alias); break;
    case Key::kProvider: {
      constexpr std::string_view kSuffix = "ExecutionProvider";
      std::string_view ep = model.execution_provider;
      hit = match(ep) || (ep.ends_with(kSuffix) && match(ep.substr(0, ep.size() - kSuffix.size())));
      break;
    }
  }
  return hit != is_negated;
}

nlohmann::json ToFoundryListEntry(const CatalogModel& m) {
  json prompt_template = nullptr;
  if (m.prompt_template) {
    prompt_template = {{"system", m.prompt_template->system},
                       {"user", m.prompt_template->user},
                       {"assistant", m.prompt_template->assistant},
                       {"prompt", m.prompt_template->prompt}};
  }
  json j = {
      {"name", m.id},
      {"displayName", m.IdWithoutVersion()},
      {"providerType", m.provider_type},
      {"uri", m.uri},
      {"version", std::to_string(m.version)},
      {"modelType", "GGUF"},
      {"promptTemplate", prompt_template},
      {"publisher", m.publisher},
      {"task", m.task},
      {"testModel", m.is_test_model},
      {"runtime", {{"deviceType", DeviceTypeName(m.device)}, {"executionProvider", m.execution_provider}}},
      {"fileSizeMb", m.file.size_mb},
      {"modelSettings", {{"parameters", json::array()}}},
      {"alias", m.alias},
      {"supportsToolCalling", m.supports_tool_calling},
      {"license", m.license},
      {"licenseDescription", m.license_description},
      {"parentModelUri", m.parent_model_uri},
      {"maxOutputTokens", m.max_output_tokens ? json(*m.max_output_tokens) : json(nullptr)},
      {"minFLVersion", m.min_fl_version ? json(*m.min_fl_version) : json(nullptr)},
      {"contextLength", m.context_length},
  };
  return j;
}

std::string ToFoundryListJson(std::span<const CatalogModel* const> models) {
  json arr = json::array();
  for (const CatalogModel* m : models) arr.push_back(ToFoundryListEntry(*m));
  return arr.dump();
}

Result<Catalog> Catalog::LoadFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return Status::NotFound("catalog file " + path.string() + " does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot open catalog file " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Unavailable("cannot read catalog file " + path.string());
  return Parse(text, path.string());
}

Result<Catalog> Catalog::Parse(std::string_view json_text, std::string_view origin) {
  // nlohmann reports type errors by exception; they stop here (ParseJson checks types first,
  // so reaching a catch is a foundry bug or an allocation failure).
  try {
    FOUNDRY_ASSIGN_OR_RETURN(std::vector<CatalogModel> models, ParseJson(json_text, origin));
    return Catalog(std::move(models));
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory parsing catalog " + std::string(origin));
  } catch (const std::exception& e) {
    return Status::Internal("parsing catalog " + std::string(origin) + ": " + e.what());
  }
}

const CatalogModel* Catalog::FindById(std::string_view id) const {
  for (const CatalogModel& m : models_)
    if (AsciiIEquals(m.id, id)) return &m;
  return nullptr;
}

std::vector<const CatalogModel*> Catalog::VariantsOf(std::string_view alias) const {
  std::vector<const CatalogModel*> out;
  for (const CatalogModel& m : models_)
    if (AsciiIEquals(m.alias, alias)) out.push_back(&m);
  return out;
}

Result<const CatalogModel*> Catalog::Resolve(std::string_view name, const HardwareInfo& hw) const {
  if (const CatalogModel* m = FindById(name)) return m;

  // "<id>:" (the SDKs' prefix form) and "<id>" both mean the highest version.
  std::string_view stem = name;
  if (stem.ends_with(':')) stem.remove_suffix(1);
  if (stem.find(':') == std::string_view::npos) {
    const CatalogModel* best = nullptr;
    for (const CatalogModel& m : models_)
      if (AsciiIEquals(m.IdWithoutVersion(), stem) && (!best || m.version > best->version)) best = &m;
    if (best) return best;
  }

  std::vector<const CatalogModel*> variants = VariantsOf(name);
  if (variants.empty())
    return Status::NotFound("model '" + std::string(name) +
                            "' is not in the catalog (not a model ID or alias; see `foundry model list`)");
  for (const CatalogModel* m : variants)  // already in priority order
    if (CanRun(*m, hw)) return m;
  std::string needs;
  for (const CatalogModel* m : variants) needs += (needs.empty() ? "" : ", ") + m->id + " needs " + m->execution_provider;
  return Status::NotFound("no variant of '" + std::string(name) + "' runs on this machine (" + needs + ")");
}

std::vector<const CatalogModel*> Catalog::List(const HardwareInfo& hw, const ModelFilter* filter) const {
  std::vector<const CatalogModel*> out;
  for (const CatalogModel& m : models_)
    if (CanRun(m, hw) && (!filter || filter->Matches(m))) out.push_back(&m);
  return out;
}

std::string Catalog::ToFoundryListJson(const HardwareInfo& hw) const {
  std::vector<const CatalogModel*> list = List(hw);
  return runtime::ToFoundryListJson(list);
}

}  // namespace foundry::runtime
