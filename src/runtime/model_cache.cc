#include "foundry/runtime/model_cache.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>

#include "runtime/catalog_ascii.h"

namespace foundry::runtime {
namespace {

namespace fs = std::filesystem;
using internal::AsciiIEquals;
using internal::AsciiLower;

bool IsRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows a symlink to its target
}

uint64_t FileSize(const fs::path& p) {
  std::error_code ec;
  uintmax_t n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

bool HasGgufExtension(const fs::path& p) { return AsciiLower(p.extension().string()) == ".gguf"; }

// True iff `p` is `root` or below it, judged on the normalized spelling (no symlink resolution:
// the cache only ever deletes what it listed, and it lists only below root).
bool IsInside(const fs::path& p, const fs::path& root) {
  fs::path rel = p.lexically_normal().lexically_relative(root.lexically_normal());
  if (rel.empty()) return false;
  return *rel.begin() != "..";
}

// The alias a BYO folder gives its model: `inference_model.json` next to the .gguf, as Foundry
// Local's own model folders carry it, with a string "Name" (and, when the folder holds several
// .gguf files, a string "File" naming the one it is for). Empty when there is none or it is
// malformed (a BYO model then keeps only its file-name id).
std::string FolderAlias(const fs::path& dir, const fs::path& gguf, int ggufs_in_dir) {
  std::ifstream in(dir / "inference_model.json", std::ios::binary);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("Name") || !j["Name"].is_string()) return "";
  const std::string name = j["Name"];
  if (name.empty() || name.size() > 256) return "";
  if (j.contains("File")) {
    if (!j["File"].is_string() || j["File"].get<std::string>() != gguf.filename().string()) return "";
  } else if (ggufs_in_dir != 1) {
    return "";
  }
  return name;
}

}  // namespace

fs::path ModelCache::DirFor(const CatalogModel& model) const {
  std::string dir = model.id;
  std::replace(dir.begin(), dir.end(), ':', '-');
  return root_ / dir;
}

fs::path ModelCache::PathFor(const CatalogModel& model) const { return DirFor(model) / model.file.name; }

bool ModelCache::IsCached(const CatalogModel& model) const { return IsRegularFile(PathFor(model)); }

Result<std::vector<CachedModel>> ModelCache::List() const {
  std::vector<CachedModel> out;
  std::error_code ec;
  if (!fs::exists(root_, ec)) return out;
  if (!fs::is_directory(root_, ec))
    return Status::FailedPrecondition("model cache " + root_.string() + " is not a directory");

  std::set<std::string> catalog_paths;  // normalized, so the BYO scan can skip them
  if (catalog_) {
    for (const CatalogModel& m : catalog_->models()) {
      fs::path p = PathFor(m);
      if (!IsRegularFile(p)) continue;
      catalog_paths.insert(p.lexically_normal().string());
      out.push_back({.id = m.id, .alias = m.alias, .path = p, .size_bytes = FileSize(p), .catalog_model = &m});
    }
  }

  std::vector<CachedModel> byo;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::Unavailable("cannot read model cache " + root_.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;  // a folder vanished or became unreadable mid-scan: list what we saw
    const fs::path& p = it->path();
    if (!HasGgufExtension(p) || !IsRegularFile(p)) continue;
    if (catalog_paths.count(p.lexically_normal().string())) continue;
    byo.push_back({.id = p.stem().string(), .path = p, .size_bytes = FileSize(p)});
  }
  std::sort(byo.begin(), byo.end(), [](const CachedModel& a, const CachedModel& b) { return a.path < b.path; });
  std::map<fs::path, int> per_dir;
  for (const CachedModel& m : byo) ++per_dir[m.path.parent_path()];
  for (CachedModel& m : byo) m.alias = FolderAlias(m.path.parent_path(), m.path, per_dir[m.path.parent_path()]);
  out.insert(out.end(), std::make_move_iterator(byo.begin()), std::make_move_iterator(byo.end()));
  return out;
}

Result<CachedModel> ModelCache::Find(std::string_view name, const HardwareInfo& hw) const {
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<CachedModel> cached, List());

  // 1. Exact ID: catalog models come first in `cached`, so they win over a BYO namesake.
  for (const CachedModel& m : cached)
    if (AsciiIEquals(m.id, name)) return m;

  // 2. Catalog ID without ":<version>": the highest cached version.
  std::string_view stem = name;
  if (stem.ends_with(':')) stem.remove_suffix(1);
  if (stem.find(':') == std::string_view::npos) {
    const CachedModel* best = nullptr;
    for (const CachedModel& m : cached)
      if (m.catalog_model && AsciiIEquals(m.catalog_model->IdWithoutVersion(), stem) &&
          (!best || m.catalog_model->version > best->catalog_model->version))
        best = &m;
    if (best) return *best;
  }

  // 3. The alias a BYO folder gives its model (the user's own naming wins over the catalog's).
  for (const CachedModel& m : cached)
    if (!m.catalog_model && !m.alias.empty() && AsciiIEquals(m.alias, name)) return m;

  // 4. Catalog alias: catalog models are listed in the catalog's priority order.
  bool alias_cached = false;
  for (const CachedModel& m : cached) {
    if (!m.catalog_model || !AsciiIEquals(m.alias, name)) continue;
    alias_cached = true;
    if (CanRun(*m.catalog_model, hw)) return m;
  }
  if (alias_cached)
    return Status::NotFound("the cached variants of '" + std::string(name) +
                            "' need a device this machine does not have");

  if (catalog_) {
    Result<const CatalogModel*> known = catalog_->Resolve(name, hw);
    if (known.ok())
      return Status::NotFound("model '" + std::string(name) + "' (" + (*known)->id +
                              ") is not downloaded; run `foundry model download " + std::string(name) + "`");
  }
  return Status::NotFound("model '" + std::string(name) + "' is not in the cache " + root_.string());
}

Status ModelCache::Remove(const CachedModel& model) const {
  if (!IsInside(model.path, root_))
    return Status::FailedPrecondition("refusing to delete " + model.path.string() +
                                      ": it is not inside the model cache " + root_.string());
  std::error_code ec;
  if (model.catalog_model) {
    fs::path dir = DirFor(*model.catalog_model);
    if (!fs::exists(dir, ec)) return Status::NotFound(model.id + " is not in the cache (" + dir.string() + ")");
    fs::remove_all(dir, ec);
    if (ec) return Status::Unavailable("cannot delete " + dir.string() + ": " + ec.message());
    return Status::Ok();
  }
  if (!fs::remove(model.path, ec)) {
    if (ec) return Status::Unavailable("cannot delete " + model.path.string() + ": " + ec.message());
    return Status::NotFound(model.id + " is not in the cache (" + model.path.string() + ")");
  }
  return Status::Ok();
}

}  // namespace foundry::runtime
