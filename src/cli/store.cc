#include "cli/store.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace foundry::cli {

std::filesystem::path CacheDir(const FoundryHome& home) {
  std::ifstream in(home.dir / "settings.json");
  if (in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object() && j.contains("serviceSettings") && j["serviceSettings"].is_object()) {
      const auto& s = j["serviceSettings"];
      if (s.contains("cacheDirectoryPath") && s["cacheDirectoryPath"].is_string())
        return s["cacheDirectoryPath"].get<std::string>();
    }
  }
  return home.dir / "cache" / "models";
}

Result<std::unique_ptr<Store>> OpenStore(const FoundryHome& home) {
  FOUNDRY_ASSIGN_OR_RETURN(runtime::Catalog catalog, runtime::Catalog::LoadFile(home.catalog));
  FOUNDRY_ASSIGN_OR_RETURN(runtime::Downloader dl, runtime::Downloader::Create({.mirror = home.mirror}));
  auto store = std::unique_ptr<Store>(new Store{std::move(catalog), nullptr, std::move(dl), {}});
  store->cache = std::make_unique<runtime::ModelCache>(CacheDir(home), &store->catalog);
  return store;
}

Result<std::filesystem::path> EnsureDownloaded(const Store& store, const runtime::CatalogModel& model) {
  if (store.cache->IsCached(model)) return store.cache->PathFor(model);
  const bool tty = ::isatty(2);
  std::fprintf(stderr, "Downloading %s...\n", model.id.c_str());
  runtime::DownloadControl control;
  control.on_progress = [tty](const runtime::DownloadProgress& p) {
    if (!tty) return true;
    const double pct = p.bytes_total ? 100.0 * double(p.bytes_done) / double(p.bytes_total) : 0.0;
    const int width = 30, filled = int(pct / 100 * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %.1f / %.1f MB", std::string(size_t(filled), '#').c_str(),
                 std::string(size_t(width - filled), ' ').c_str(), pct, double(p.bytes_done) / 1e6,
                 double(p.bytes_total) / 1e6);
    return true;
  };
  auto r = store.downloader.Download(model, *store.cache, control);
  if (tty) std::fprintf(stderr, "\n");
  if (!r.ok()) return r.status();
  return r->path;
}

}  // namespace foundry::cli
