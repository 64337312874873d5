#pragma once
// ScopedTempDir: a fresh folder under std::filesystem::temp_directory_path(), deleted with its
// contents when the object goes away. Test-only, header-only.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace foundry::testing {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "foundry-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  // Empty if the folder could not be created.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace foundry::testing
