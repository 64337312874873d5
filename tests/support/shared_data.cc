#include "support/shared_data.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace foundry::testing {

std::filesystem::path SharedDir() {
  // getenv here is at the test "main" level: tests are the top of their own stack.
  if (const char* env = std::getenv("FOUNDRY_SHARED"); env && *env) return env;
  return std::filesystem::path(FOUNDRY_DEFAULT_SHARED);
}

std::filesystem::path SharedPath(const std::string& relative) {
  auto p = SharedDir() / relative;
  if (!std::filesystem::exists(p)) ADD_FAILURE() << "missing reference data: " << p;
  return p;
}

std::vector<char> ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::filesystem::path FoundryBinary() { return FOUNDRY_BINARY_PATH; }

}  // namespace foundry::testing
