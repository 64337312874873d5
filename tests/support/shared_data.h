#pragma once
// Where the read-only reference data lives (../shared next to the repo, or $FOUNDRY_SHARED).

#include <filesystem>
#include <string>
#include <vector>

namespace foundry::testing {

// $FOUNDRY_SHARED if set, else the `shared` folder next to the source tree.
std::filesystem::path SharedDir();

// SharedDir() / relative. Fails the current test (ADD_FAILURE) if it does not exist, since the
// data is part of the project's ground truth, not optional.
std::filesystem::path SharedPath(const std::string& relative);

// Whole file as bytes / text.
std::vector<char> ReadFileBytes(const std::filesystem::path& path);
std::string ReadFileText(const std::filesystem::path& path);

// The `foundry` binary built alongside the tests.
std::filesystem::path FoundryBinary();

}  // namespace foundry::testing
