#pragma once
// Catalog: the models foundry can download, one CatalogModel per variant (model ID).
//
// Loaded from a JSON file (catalog/catalog.json in the repository; format in catalog/README.md).
// Each alias (e.g. "qwen2.5-0.5b") has one or more variants that differ by device; each variant
// has a Foundry Local model ID of the form `<name>-<device-tag>:<version>`, e.g.
// `qwen2.5-0.5b-instruct-generic-cpu:1` or `qwen2.5-0.5b-instruct-cuda-gpu:1`, and one GGUF file
// with its download URL.
//
// Name resolution (Resolve), all comparisons ASCII case-insensitive, first rule that matches:
//   1. a full model ID                   "qwen2.5-0.5b-instruct-generic-cpu:1"
//   2. a model ID without ":<version>"   "qwen2.5-0.5b-instruct-generic-cpu" -> highest version
//   3. an alias                          "qwen2.5-0.5b" -> the best variant this machine runs:
//      variants the hardware cannot run are skipped (a CUDA variant runs only when
//      HardwareInfo::has_cuda; NPU and non-CUDA GPU variants never run here), the rest are
//      ordered by device priority (Foundry Local's order: `-npu` < other `-gpu` < `-cuda-gpu` <
//      `-generic-gpu` < other `-cpu` < `-generic-cpu`), then higher version, then ID.
// The catalog never probes the hardware itself: the caller passes a HardwareInfo.
//
// Thread-safety: immutable after loading; const methods are safe from any thread. Pointers
// returned by the methods point into the catalog and live as long as it does (a move keeps
// them valid: the entries live in a std::vector that is moved, not copied).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "foundry/core/status.h"

namespace foundry::runtime {

// What the caller found out about this machine (the catalog does not probe).
struct HardwareInfo {
  bool has_cuda = false;  // a usable CUDA device is present
};

enum class DeviceType { kCpu, kGpu, kNpu };
// "CPU", "GPU", "NPU" (as in Foundry's runtime.deviceType).
std::string_view DeviceTypeName(DeviceType device);

// Foundry Local's optional per-model prompt template (`{Content}` is the placeholder). GGUF
// models carry their own chat template, so catalog entries normally leave it unset (JSON null).
struct FoundryPromptTemplate {
  std::string system, user, assistant, prompt;
};

// The one file of a variant.
struct ModelFile {
  std::string name;  // file name in the cache and on a mirror, e.g. "qwen2.5-0.5b-instruct-q4_k_m.gguf";
                     // ends in ".gguf", no path separators
  std::string url;   // https download URL; empty: only obtainable from a mirror
  std::optional<uint64_t> size_bytes;  // exact size when known (a download of another size is
                                       // rejected); unset when only approximate
  std::string sha256;                  // 64 lowercase hex digits, or empty when unknown
  uint64_t size_mb = 0;                // approximate size in MB (Foundry's fileSizeMb)
};

// One variant of the catalog. Plain data; all fields are validated by Catalog::Parse.
struct CatalogModel {
  std::string id;          // "<name>-<device_tag>:<version>"
  std::string name;        // "qwen2.5-0.5b-instruct"
  std::string device_tag;  // "generic-cpu", "cuda-gpu"
  uint32_t version = 0;    // >= 1
  std::string alias;       // "qwen2.5-0.5b"
  DeviceType device = DeviceType::kCpu;
  std::string execution_provider;  // "CPUExecutionProvider", "CUDAExecutionProvider"
  std::string quantization;        // "Q4_K_M" (informational)
  std::string publisher;           // "Qwen", "Microsoft", ...
  std::string provider_type;       // "HuggingFace"
  std::string uri;                 // the file's URL, else parent_model_uri
  std::string task;                // "chat-completion" or "text-generation"
  std::string license;             // SPDX-like id, e.g. "apache-2.0", "MIT"
  std::string license_description;
  std::string parent_model_uri;     // the original (non-GGUF) model
  uint32_t context_length = 0;      // tokens the model was trained for
  std::optional<uint32_t> max_output_tokens;
  bool supports_tool_calling = false;
  bool is_test_model = false;       // Foundry's testModel: a tiny model for offline tests
  std::optional<std::string> min_fl_version;
  std::optional<FoundryPromptTemplate> prompt_template;
  ModelFile file;

  // "<name>-<device_tag>" (Foundry's displayName).
  std::string IdWithoutVersion() const;
};

// One `model list --filter key=value` expression. Keys: device (CPU|GPU|NPU), provider (an
// execution provider, with or without the "ExecutionProvider" suffix: "cuda" matches
// "CUDAExecutionProvider"), task, alias. A value ending in `*` matches by prefix; a value
// starting with `!` negates. Keys and values compare ASCII case-insensitively.
struct ModelFilter {
  enum class Key { kDevice, kProvider, kTask, kAlias };
  Key key = Key::kAlias;
  std::string value;       // lowercase, without the `!` and the trailing `*`
  bool is_prefix = false;  // value ended in `*`
  bool is_negated = false; // value started with `!`

  // kInvalidArgument (message names the problem and the valid keys): no `=`, unknown key,
  // empty value.
  static Result<ModelFilter> Parse(std::string_view expression);
  bool Matches(const CatalogModel& model) const;
};

// True iff `hw` can run `model` (CPU always; CUDA variants only with hw.has_cuda).
bool CanRun(const CatalogModel& model, const HardwareInfo& hw);

// Foundry's device priority of a model ID (lower is preferred): 0 `-npu:`, 1 other `-gpu:`,
// 2 `-cuda-gpu:`, 3 `-generic-gpu:`, 4 other `-cpu:`, 5 `-generic-cpu:`, 6 anything else.
int DevicePriority(std::string_view model_id);

// The `/foundry/list` element for `model`, with every field Foundry Local's SDKs require
// (name, displayName, providerType, uri, version, modelType "GGUF", promptTemplate (null or
// object), publisher, task, runtime{deviceType, executionProvider}, fileSizeMb, modelSettings
// {parameters: []}, alias, supportsToolCalling, license, licenseDescription, parentModelUri,
// maxOutputTokens, minFLVersion) plus testModel and contextLength.
nlohmann::json ToFoundryListEntry(const CatalogModel& model);
// A JSON array of ToFoundryListEntry (the `/foundry/list` body), in the given order.
std::string ToFoundryListJson(std::span<const CatalogModel* const> models);

class Catalog {
 public:
  // Reads and parses a catalog file. kNotFound: no such file; kUnavailable: unreadable;
  // kInvalidArgument: malformed (message names the file, the entry and the field).
  static Result<Catalog> LoadFile(const std::filesystem::path& path);
  // Parses catalog JSON text; `origin` names it in error messages. Errors as LoadFile.
  // Rejected: bad JSON, a missing or mistyped field, an ID that breaks the grammar, an unknown
  // device tag, a duplicate ID, a file name with a path separator or not ending in ".gguf",
  // a URL that is not http(s), a malformed sha256.
  static Result<Catalog> Parse(std::string_view json_text, std::string_view origin);

  // Every variant: aliases in file order; within an alias by device priority, then higher
  // version, then ID (so a CPU-only machine resolves an alias to the first runnable row).
  const std::vector<CatalogModel>& models() const { return models_; }

  // Exact model ID, case-insensitive; nullptr if absent.
  const CatalogModel* FindById(std::string_view id) const;

  // Resolves a name as described at the top of this file. kNotFound: nothing matches (the
  // message names `name`), or the alias exists but none of its variants runs on `hw` (the
  // message says which devices its variants need).
  Result<const CatalogModel*> Resolve(std::string_view name, const HardwareInfo& hw) const;

  // Variants of `alias` (case-insensitive) in models() order; empty if unknown.
  std::vector<const CatalogModel*> VariantsOf(std::string_view alias) const;

  // What `model list` shows: the variants `hw` can run, in models() order (the first row of an
  // alias group is what the alias resolves to), keeping those `filter` matches (null: all).
  std::vector<const CatalogModel*> List(const HardwareInfo& hw,
                                        const ModelFilter* filter = nullptr) const;

  // ToFoundryListJson(List(hw)).
  std::string ToFoundryListJson(const HardwareInfo& hw) const;

 private:
  explicit Catalog(std::vector<CatalogModel> models) : models_(std::move(models)) {}
  std::vector<CatalogModel> models_;
};

}  // namespace foundry::runtime
