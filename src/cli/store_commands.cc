#include "cli/store_commands.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/store.h"

namespace foundry::cli {
namespace {

std::string SizeText(uint64_t mb) {
  char buf[32];
  if (mb >= 1024) std::snprintf(buf, sizeof buf, "%.2f GB", double(mb) / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu MB", (unsigned long long)mb);
  return buf;
}

int List(const FoundryHome& home, const std::string& filter_text) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  std::optional<runtime::ModelFilter> filter;
  if (!filter_text.empty()) {
    auto f = runtime::ModelFilter::Parse(filter_text);
    if (!f.ok()) return Fail(f.status());
    filter = *f;
  }
  auto rows = (*store)->catalog.List((*store)->hw, filter ? &*filter : nullptr);
  if (rows.empty()) {
    std::printf("No models match the filter.\n");
    return 0;
  }
  std::printf("%-22s %-7s %-16s %-10s %-12s %s\n", "Alias", "Device", "Task", "File Size", "License", "Model ID");
  std::string last_alias;
  for (const auto* m : rows) {
    if (m->alias != last_alias) {
      std::printf("%s\n", std::string(110, '-').c_str());
      last_alias = m->alias;
    }
    std::string task = m->task == "chat-completion" ? (m->supports_tool_calling ? "chat, tools" : "chat") : m->task;
    std::printf("%-22s %-7s %-16s %-10s %-12s %s\n", m->alias.c_str(), std::string(runtime::DeviceTypeName(m->device)).c_str(), task.c_str(),
                SizeText(m->file.size_mb).c_str(), m->license.c_str(), m->id.c_str());
  }
  return 0;
}

int Download(const FoundryHome& home, const std::string& name) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto m = (*store)->catalog.Resolve(name, (*store)->hw);
  if (!m.ok()) return Fail(m.status());
  if ((*store)->cache->IsCached(**m)) {
    std::printf("Model %s was found in the local cache.\n", (*m)->id.c_str());
    return 0;
  }
  auto path = EnsureDownloaded(**store, **m);
  if (!path.ok()) return Fail(path.status());
  std::printf("Model %s downloaded to %s\n", (*m)->id.c_str(), path->c_str());
  return 0;
}

int CacheList(const FoundryHome& home) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto list = (*store)->cache->List();
  if (!list.ok()) return Fail(list.status());
  std::printf("Models cached on device:\n");
  std::printf("   %-22s %s\n", "Alias", "Model ID");
  for (const auto& m : *list)
    std::printf("💾 %-22s %s\n", (m.alias.empty() ? m.id : m.alias).c_str(), m.id.c_str());
  return 0;
}

int CacheLocation(const FoundryHome& home) {
  std::printf("💾 Cache directory path: %s\n", CacheDir(home).c_str());
  return 0;
}

int CacheRemove(const FoundryHome& home, const std::string& name) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  auto m = (*store)->cache->Find(name, (*store)->hw);
  if (!m.ok()) return Fail(m.status());
  if (Status st = (*store)->cache->Remove(*m); !st.ok()) return Fail(st);
  std::printf("Model %s was removed from the cache.\n", m->id.c_str());
  return 0;
}

int CacheCd(const FoundryHome& home, const std::string& dir) {
  // Delegate to `service set --cachedir`, which persists and restarts a running service.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Status::Unavailable("cannot create " + dir + ": " + ec.message()));
  const std::string cmd = "\"" + home.exe.string() + "\" service set --cachedir \"" +
                          std::filesystem::absolute(dir).string() + "\"";
  return std::system(cmd.c_str()) == 0 ? 0 : 1;
}

}  // namespace

Result<std::filesystem::path> ResolveModelFile(const FoundryHome& home, const std::string& name) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name, ec) || name.ends_with(".gguf") || name.find('/') != std::string::npos)
    return std::filesystem::path(name);  // a path (errors for missing files come from the loader)
  FOUNDRY_ASSIGN_OR_RETURN(auto store, OpenStore(home));
  auto cached = store->cache->Find(name, store->hw);
  if (cached.ok()) return cached->path;
  auto m = store->catalog.Resolve(name, store->hw);
  if (!m.ok()) return Status::NotFound("model '" + name + "' is neither a file, a cached model nor in the catalog (see `foundry model list`)");
  return EnsureDownloaded(*store, **m);
}

void AddCatalogCommands(CLI::App& model, const FoundryHome& home, int* exit_code) {
  auto filter = std::make_shared<std::string>();
  auto list = model.add_subcommand("list", "List the models of the catalog (first row of an alias = its default)");
  list->alias("ls");
  list->add_option("--filter", *filter, "key=value with key device, provider, task or alias ('*' suffix, '!' negation)");
  list->callback([&home, filter, exit_code] { *exit_code = List(home, *filter); });
  auto name = std::make_shared<std::string>();
  auto dl = model.add_subcommand("download", "Download a model into the cache");
  dl->add_option("model", *name, "Alias or model id")->required();
  dl->callback([&home, name, exit_code] { *exit_code = Download(home, *name); });
}

void AddCacheCommands(CLI::App& cache, const FoundryHome& home, int* exit_code) {
  auto list = cache.add_subcommand("list", "List cached models");
  list->alias("ls");
  list->callback([&home, exit_code] { *exit_code = CacheList(home); });
  cache.add_subcommand("location", "Show the cache directory")->callback([&home, exit_code] {
    *exit_code = CacheLocation(home);
  });
  auto name = std::make_shared<std::string>();
  auto rm = cache.add_subcommand("remove", "Delete a model from the cache");
  rm->add_option("model", *name, "Alias, model id or file name")->required();
  rm->callback([&home, name, exit_code] { *exit_code = CacheRemove(home, *name); });
  auto dir = std::make_shared<std::string>();
  auto cd = cache.add_subcommand("cd", "Change the cache directory (restarts a running service)");
  cd->add_option("path", *dir, "New cache directory")->required();
  cd->callback([&home, dir, exit_code] { *exit_code = CacheCd(home, *dir); });
}

}  // namespace foundry::cli
