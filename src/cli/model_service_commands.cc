#include "cli/model_service_commands.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/service_client.h"
#include "cli/store.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

// The ID of the cached model `name` refers to. kNotFound with the SDKs' wording when the catalog
// knows it but it is not downloaded, or a plain kNotFound when nothing knows it.
Result<std::string> CachedModelId(const Store& store, const std::string& name) {
  if (auto cached = store.cache->Find(name, store.hw); cached.ok()) return cached->id;
  if (store.catalog.Resolve(name, store.hw).ok())
    return Status::NotFound("Model " + name + " has not been downloaded yet. Download it first: foundry model download " + name);
  return Status::NotFound("model '" + name + "' is neither cached nor in the catalog (see `foundry model list`)");
}

int Load(const FoundryHome& home, const std::string& name, int ttl) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto id = CachedModelId(**store, name);
  if (!id.ok()) return Fail(id.status());
  auto service = EnsureService(home);
  if (!service.ok()) return Fail(service.status());
  std::printf("🕓 Loading model...\n");
  std::fflush(stdout);
  if (Status st = LoadThroughService(*service, *id, ttl); !st.ok()) return Fail(st);
  std::printf("🟢 Model %s loaded successfully\n", name.c_str());
  return 0;
}

int Unload(const FoundryHome& home, const std::string& name) {
  auto service = RunningService(home);
  if (!service) {
    std::printf("🔴 Model management service is not running!\n");
    std::printf("To start the service, run the following command: foundry service start\n");
    return 1;
  }
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto id = CachedModelId(**store, name);
  if (!id.ok()) return Fail(id.status());
  if (Status st = UnloadThroughService(*service, *id); !st.ok()) return Fail(st);
  std::printf("🔴 Model %s unloaded successfully\n", name.c_str());
  return 0;
}

}  // namespace

Result<std::filesystem::path> CachedByoFile(const FoundryHome& home, const std::string& name) {
  FOUNDRY_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  FOUNDRY_ASSIGN_OR_RETURN(runtime::CachedModel m, store->cache->Find(name, store->hw));
  if (m.is_catalog_model()) return Status::NotFound(name + " is a catalog model");
  return m.path;
}

int CatalogModelInfo(const FoundryHome& home, const std::string& name, bool as_json) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto resolved = (*store)->catalog.Resolve(name, (*store)->hw);
  if (!resolved.ok()) return Fail(resolved.status());
  const runtime::CatalogModel& m = **resolved;
  const bool cached = (*store)->cache->IsCached(m);
  const std::string path = cached ? (*store)->cache->PathFor(m).string() : "";
  if (as_json) {
    json entry = runtime::ToFoundryListEntry(m);
    entry["id"] = m.id;
    entry["cached"] = cached;
    entry["path"] = cached ? json(path) : json(nullptr);
    std::printf("%s\n", json{{"model", entry}}.dump(2).c_str());
    return 0;
  }
  std::printf("Model ID:           %s\n", m.id.c_str());
  std::printf("Alias:              %s\n", m.alias.c_str());
  std::printf("Device:             %s\n", std::string(runtime::DeviceTypeName(m.device)).c_str());
  std::printf("Execution provider: %s\n", m.execution_provider.c_str());
  std::printf("Task:               %s\n", m.task.c_str());
  std::printf("Publisher:          %s\n", m.publisher.c_str());
  std::printf("License:            %s\n", m.license.c_str());
  std::printf("File:               %s (%llu MB, %s)\n", m.file.name.c_str(), (unsigned long long)m.file.size_mb,
              m.quantization.c_str());
  std::printf("Context length:     %u\n", m.context_length);
  if (m.max_output_tokens) std::printf("Max output tokens:  %u\n", *m.max_output_tokens);
  std::printf("Tool calling:       %s\n", m.supports_tool_calling ? "yes" : "no");
  std::printf("Cached:             %s\n", cached ? ("yes, " + path).c_str() : "no");
  return 0;
}

void AddServiceModelCommands(CLI::App& model, const FoundryHome& home, int* exit_code) {
  auto name = std::make_shared<std::string>();
  auto ttl = std::make_shared<int>(0);
  CLI::App* load = model.add_subcommand("load", "Load a cached model into the service (starts the service if needed)");
  load->add_option("model", *name, "Alias or model id")->required();
  load->add_option("--ttl", *ttl, "Seconds the model stays loaded when idle (default: the service's, 600)");
  load->callback([&home, name, ttl, exit_code] { *exit_code = Load(home, *name, *ttl); });

  auto unload_name = std::make_shared<std::string>();
  CLI::App* unload = model.add_subcommand("unload", "Unload a model from the service");
  unload->add_option("model", *unload_name, "Alias or model id")->required();
  unload->callback([&home, unload_name, exit_code] { *exit_code = Unload(home, *unload_name); });
}

}  // namespace foundry::cli
