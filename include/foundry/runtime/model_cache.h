#pragma once
// ModelCache: the GGUF models on disk under one cache root (by default ~/.foundry/cache/models;
// the caller decides and passes it in).
//
// Layout (also in catalog/README.md):
//   <root>/<model-dir>/<file name>        a catalog model downloaded by foundry, where
//                                          <model-dir> is the model ID with ':' replaced by
//                                          '-' (Foundry Local's convention), e.g.
//                                          <root>/qwen2.5-0.5b-instruct-generic-cpu-1/
//                                               qwen2.5-0.5b-instruct-q4_k_m.gguf
//   <root>/<model-dir>/<file name>.partial an unfinished download (never listed as cached)
//   <root>/**/<anything>.gguf              a bring-your-own model: any other .gguf file at any
//                                          depth; its ID is the file name without ".gguf"
// The '-' mapping is one-to-one on catalog IDs because a version is digits only and follows the
// last '-'. A file is a catalog model iff it sits exactly at PathFor(model) of some catalog
// entry; that rule, not the directory name alone, decides, so a BYO folder that happens to look
// like a model directory stays BYO. Only regular files (or symlinks to them) count; folders
// are searched recursively without following directory symlinks; unreadable folders are
// skipped.
//
// Lookups (Find), ASCII case-insensitive, first rule that matches:
//   1. a cached catalog model ID, then a BYO ID (the first in path order if two BYO files share
//      a name);
//   2. a catalog ID without ":<version>" -> the highest cached version;
//   3. the alias of a BYO model: an `inference_model.json` in its folder with {"Name": alias}
//      (plus "File": "<file>.gguf" when the folder holds several .gguf files);
//   4. a catalog alias -> the cached variant Catalog::Resolve's order prefers among those `hw`
//      can run.
//
// Thread-safety: thread-compatible object, but every method re-reads the disk, so two caches
// (or processes) over one root see each other's changes. The catalog passed in is borrowed.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/catalog.h"

namespace foundry::runtime {

struct CachedModel {
  std::string id;              // catalog model ID, or the BYO file name without ".gguf"
  std::string alias;           // the catalog alias; for a BYO model the "Name" of an
                               // inference_model.json in its folder, else empty
  std::filesystem::path path;  // the .gguf file
  uint64_t size_bytes = 0;
  const CatalogModel* catalog_model = nullptr;  // borrowed from the Catalog; null for BYO

  bool is_catalog_model() const { return catalog_model != nullptr; }
};

class ModelCache {
 public:
  // `catalog` may be null (then every .gguf is BYO); when set it must outlive the cache. `root`
  // need not exist yet (the cache is then empty).
  ModelCache(std::filesystem::path root, const Catalog* catalog)
      : root_(std::move(root)), catalog_(catalog) {}

  // The cache root (`foundry cache location`).
  const std::filesystem::path& root() const { return root_; }

  // <root>/<model ID with ':' -> '-'>: the folder a catalog model is downloaded into.
  std::filesystem::path DirFor(const CatalogModel& model) const;
  // DirFor(model) / model.file.name: where the downloaded model lives once complete.
  std::filesystem::path PathFor(const CatalogModel& model) const;
  // True iff PathFor(model) is a regular file (a finished download).
  bool IsCached(const CatalogModel& model) const;

  // Every cached model: catalog models first in catalog order, then BYO models by path.
  // An empty or missing root gives an empty list. kUnavailable only if the root exists but
  // cannot be read at all (message names it and the OS error).
  Result<std::vector<CachedModel>> List() const;

  // The cached model `name` refers to (rules at the top of this file). kNotFound: nothing
  // cached matches (the message names `name`, and says when the catalog knows it but it is
  // not downloaded). Errors of List() pass through.
  Result<CachedModel> Find(std::string_view name, const HardwareInfo& hw) const;

  // Deletes a cached model: for a catalog model its whole folder DirFor() (the file and any
  // .partial); for a BYO model only its file (its folder may hold other things).
  // kNotFound: already gone. kFailedPrecondition: `model.path` is not inside root() (refused).
  // kUnavailable: the OS refused (message has the path and the OS error).
  Status Remove(const CachedModel& model) const;

 private:
  std::filesystem::path root_;
  const Catalog* catalog_;  // may be null
};

}  // namespace foundry::runtime
