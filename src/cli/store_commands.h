#pragma once
// `foundry model list|download` and `foundry cache list|location|remove|cd`.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "cli/service_commands.h"
#include "foundry/core/status.h"

namespace foundry::cli {

void AddCatalogCommands(CLI::App& model, const FoundryHome& home, int* exit_code);
void AddCacheCommands(CLI::App& cache, const FoundryHome& home, int* exit_code);

// A model argument as a file: an existing .gguf path, a cached model (id, alias, BYO name), or a
// catalog model that is downloaded first (with a progress bar).
Result<std::filesystem::path> ResolveModelFile(const FoundryHome& home, const std::string& name);

}  // namespace foundry::cli
