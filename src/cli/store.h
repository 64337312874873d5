#pragma once
// The model store as the CLI and the service see it: catalog + cache + downloader, configured
// from FoundryHome (settings.json, FOUNDRY_MODEL_MIRROR, the catalog file).

#include <memory>
#include <string>

#include "cli/service_commands.h"
#include "foundry/runtime/catalog.h"
#include "foundry/runtime/downloader.h"
#include "foundry/runtime/model_cache.h"

namespace foundry::cli {

struct Store {
  runtime::Catalog catalog;
  std::unique_ptr<runtime::ModelCache> cache;  // borrows catalog: keep Store in one place
  runtime::Downloader downloader;
  runtime::HardwareInfo hw;  // CPU only until the CUDA backend lands
};

// kInvalidArgument / kNotFound for an unreadable catalog or a bad mirror.
Result<std::unique_ptr<Store>> OpenStore(const FoundryHome& home);

// The cache directory configured in settings.json (default <home>/cache/models).
std::filesystem::path CacheDir(const FoundryHome& home);

// Downloads `model` if needed with a progress bar on stderr. Returns the file.
Result<std::filesystem::path> EnsureDownloaded(const Store& store, const runtime::CatalogModel& model);

}  // namespace foundry::cli
